#!/usr/bin/env bash
# benches/run_conns.sh: many idle keep-alive connections. For each HTTP
# server in turn, benches/peers' conns_hold opens $CONNS (10,000)
# connections, gets one "Hello, World!" on each, holds them all open for
# $HOLD seconds, then asks once more on every one (a dropped connection is
# an error). Reports errors and the server's resident memory per
# connection: (VmRSS with all open - VmRSS before) / N. See BENCHMARKS.md.
#
#   bash benches/run_conns.sh                    # 10,000 connections, held 10 s
#   DURATION=2 bash benches/run_conns.sh         # smoke run (held 2 s)
#   CONNS=2000 PEERS="greenline" bash benches/run_conns.sh
#
# Server on core $SERVER_CPU (0) with one worker, conns_hold on core
# $LOAD_CPU (1). Both processes need CONNS + a few descriptors: the script
# raises the open-files limit to the hard limit (20,000 here).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PEERS="${PEERS:-greenline greenline-nopark minihttp hyper gevent}"
CONNS="${CONNS:-10000}"
HOLD="${HOLD:-$DURATION}"
TARGET_BYTES="${TARGET_BYTES:-10240}"   # the issue's 10 KB, read as KiB

ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $(( CONNS + 100 )) ] \
    || die "open files limit $(ulimit -n) is below CONNS=$CONNS + 100"

build_greenline http_hello
build_peers conns_hold minihttp_hello hyper_hello
case " $PEERS " in *" gevent "*) need_python ;; esac

serve() {
    case "$1" in
    greenline)
        ADDR=127.0.0.1:8080
        start_server "$1" 8080 env GREENLINE_WORKERS=1 "$EX/http_hello" "$ADDR" --no-access-log ;;
    greenline-nopark)
        # The same server keeping a greenlet per idle connection, to show
        # what handing idle connections to the server's idle lot
        # (ServerConfig::idle_handoff) saves.
        ADDR=127.0.0.1:8084
        start_server "$1" 8084 env GREENLINE_WORKERS=1 "$EX/http_hello" "$ADDR" --no-access-log --no-idle-handoff ;;
    minihttp)
        ADDR=127.0.0.1:8081
        start_server "$1" 8081 env MAY_WORKERS=1 "$BIN/minihttp_hello" "$ADDR" ;;
    hyper)
        ADDR=127.0.0.1:8082
        start_server "$1" 8082 "$BIN/hyper_hello" "$ADDR" ;;
    gevent)
        ADDR=127.0.0.1:8083
        start_server "$1" 8083 "$PY" "$ROOT/benches/peers/gevent_hello.py" "$ADDR" ;;
    *) die "unknown peer $1 (greenline greenline-nopark minihttp hyper gevent)" ;;
    esac
}

# Reference figures from the issue, for the table (bytes per idle connection).
declare -A ISSUE=([minihttp]="16 KB (raw may)" [hyper]="9.1 KB (tokio)" [gevent]="9.5 KB")

declare -A ERRS PER OPEN RSS0 RSS1
for peer in $PEERS; do
    serve "$peer"
    # Warm-up: the first connections' buffers and stacks, not counted.
    timeout 60 taskset -c "$LOAD_CPU" "$BIN/conns_hold" "$ADDR" 100 "$SERVER_PID" 0 \
        >"$LOGDIR/$peer.warmup" 2>&1 || true
    log="$LOGDIR/$peer.conns"
    timeout $(( HOLD + 120 )) taskset -c "$LOAD_CPU" "$BIN/conns_hold" "$ADDR" "$CONNS" "$SERVER_PID" "$HOLD" \
        >"$log" 2>&1 || true
    ERRS[$peer]="$(awk '/^errors:/ { print $2 }' "$log")"; ERRS[$peer]="${ERRS[$peer]:-failed}"
    PER[$peer]="$(awk '/^rss per connection:/ { print $4 }' "$log")"; PER[$peer]="${PER[$peer]:--}"
    OPEN[$peer]="$(awk '/^opened in:/ { print $3 }' "$log")"; OPEN[$peer]="${OPEN[$peer]:--}"
    RSS0[$peer]="$(awk '/^server rss before:/ { print $4 }' "$log")"; RSS0[$peer]="${RSS0[$peer]:--}"
    RSS1[$peer]="$(awk '/^server rss with all open:/ { print $6 }' "$log")"; RSS1[$peer]="${RSS1[$peer]:--}"
    echo "  $peer: errors ${ERRS[$peer]}, ${PER[$peer]} B/connection, opened in ${OPEN[$peer]} s" >&2
    stop_server
done

echo
echo "== $CONNS idle keep-alive HTTP connections, held ${HOLD}s, then one more request on each"
echo "   (server on core $SERVER_CPU, conns_hold on core $LOAD_CPU; logs in $LOGDIR)"
printf "%-16s %8s %12s %14s %16s %12s %10s  %s\n" peer errors "opened in s" "RSS before KiB" "RSS all open KiB" "B per conn" "gl/peer" "issue's figure"
for peer in $PEERS; do
    printf "%-16s %8s %12s %14s %16s %12s %10s  %s\n" "$peer" "${ERRS[$peer]}" "${OPEN[$peer]}" \
        "${RSS0[$peer]}" "${RSS1[$peer]}" "${PER[$peer]}" "$(ratio "${PER[greenline]:--}" "${PER[$peer]}")" "${ISSUE[$peer]:-}"
done
echo "targets:"
printf "  %-52s %s\n" "greenline holds $CONNS connections with 0 errors" "$(verdict "${ERRS[greenline]:--}" le 0)"
printf "  %-52s %s\n" "greenline RSS per idle connection <= $TARGET_BYTES B" "$(verdict "${PER[greenline]:--}" le "$TARGET_BYTES")"
