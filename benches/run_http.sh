#!/usr/bin/env bash
# benches/run_http.sh: HTTP/1.1 plaintext "Hello, World!", keep-alive and
# pipelined 16 deep, greenline against may_minihttp, hyper and gevent's
# pywsgi, one after the other in one run. See BENCHMARKS.md.
#
#   bash benches/run_http.sh                     # 5 rounds of 5 s per peer and mode
#   DURATION=2 bash benches/run_http.sh          # smoke run
#   PEERS="greenline minihttp" bash benches/run_http.sh
#   ROUNDS=1 bash benches/run_http.sh            # one pass instead of five
#   MODES=keepalive ROUNDS=15 DURATION=3 bash benches/run_http.sh
#
# Each server runs alone on core $SERVER_CPU (0) with one worker; wrk
# (-t1 -c64) runs on core $LOAD_CPU (1). The server's CPU time per request
# is its utime+stime (from /proc/PID/stat) over the measured run divided by
# the requests wrk counted.
#
# The peers are measured in $ROUNDS rounds (5), each round starting one
# peer further along the list, and each figure is the median of its
# rounds: this machine drifts by several percent within a minute, and a
# single pass would hand that drift to whichever peer ran at the wrong
# time.
set -euo pipefail
# Short runs, many rounds (see above): drift spreads over every peer.
DURATION="${DURATION:-5}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PEERS="${PEERS:-greenline minihttp hyper gevent gevent-nodelay}"
CONNS="${CONNS:-64}"
DEPTH="${DEPTH:-16}"
ROUNDS="${ROUNDS:-5}"
MODES="${MODES:-keepalive pipelined}"
command -v wrk >/dev/null || bash "$ROOT/compat/setup.sh" >&2 || die "no wrk (compat/setup.sh installs it)"

build_greenline http_hello
build_peers minihttp_hello hyper_hello
case " $PEERS " in *" gevent"*) need_python ;; esac

# serve PEER: starts PEER's server; sets SERVER_PID and URL.
serve() {
    case "$1" in
    greenline)
        URL=http://127.0.0.1:8080/
        start_server "$1" 8080 env GREENLINE_WORKERS=1 "$EX/http_hello" 127.0.0.1:8080 --no-access-log ;;
    minihttp)
        URL=http://127.0.0.1:8081/
        start_server "$1" 8081 env MAY_WORKERS=1 "$BIN/minihttp_hello" 127.0.0.1:8081 ;;
    hyper)
        URL=http://127.0.0.1:8082/
        start_server "$1" 8082 "$BIN/hyper_hello" 127.0.0.1:8082 ;;
    gevent)
        URL=http://127.0.0.1:8083/
        start_server "$1" 8083 "$PY" "$ROOT/benches/peers/gevent_hello.py" 127.0.0.1:8083 ;;
    gevent-nodelay)
        URL=http://127.0.0.1:8084/
        start_server "$1" 8084 "$PY" "$ROOT/benches/peers/gevent_hello.py" 127.0.0.1:8084 --nodelay ;;
    *) die "unknown peer $1 (greenline minihttp hyper gevent gevent-nodelay)" ;;
    esac
}

# run_wrk MODE SECONDS LOG: wrk against $URL, keep-alive or pipelined.
run_wrk() {
    local script=()
    [ "$1" = pipelined ] && script=(-s "$ROOT/benches/pipeline.lua")
    local extra=()
    [ "$1" = pipelined ] && extra=(-- "$DEPTH")
    timeout $(( $2 + 30 )) taskset -c "$LOAD_CPU" \
        wrk -t1 -c"$CONNS" -d"${2}s" "${script[@]}" "$URL" "${extra[@]}" >"$3" 2>&1
}

# measure PEER MODE: one warm-up and one measured wrk run; prints
# "req/s cpu_us_per_req errors server_cpu_percent".
measure() {
    local log="$LOGDIR/$1.$2.wrk"
    run_wrk "$2" "$WARMUP" "$LOGDIR/$1.$2.warmup" || true
    local t0 t1
    t0="$(cpu_ticks "$SERVER_PID")"
    run_wrk "$2" "$DURATION" "$log" || { echo "- - wrk-failed -"; return; }
    t1="$(cpu_ticks "$SERVER_PID")"
    local reqs rps errs
    reqs="$(awk '/requests in/ { print $1 }' "$log")"
    rps="$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$log")"
    errs="$(awk '/Socket errors:/ { gsub(",", ""); e += $4 + $6 + $8 + $10 }
                 /Non-2xx/ { e += $NF } END { print e + 0 }' "$log")"
    local us
    us="$(awk -v d=$(( t1 - t0 )) -v hz="$CLK_TCK" -v n="${reqs:-0}" \
        'BEGIN { if (n > 0) printf "%.2f", d / hz * 1e6 / n; else print "-" }')"
    local util
    util="$(awk -v d=$(( t1 - t0 )) -v hz="$CLK_TCK" -v s="$DURATION" 'BEGIN { printf "%.0f", d / hz / s * 100 }')"
    echo "${rps:--} $us $errs $util"
}

declare -A RPS CPU ERR UTIL ROUND_CPU ROUND_RPS
read -r -a peers <<<"$PEERS"
for ((round = 0; round < ROUNDS; round++)); do
    for peer in $(rotated "$round" "${peers[@]}"); do
        serve "$peer"
        for mode in $MODES; do
            read -r r c e u < <(measure "$peer" "$mode")
            RPS[$peer.$mode]+="$r "; CPU[$peer.$mode]+="$c "; UTIL[$peer.$mode]+="$u "
            ERR[$peer.$mode]="$(add_errors "${ERR[$peer.$mode]:-0}" "$e")"
            echo "  round $((round + 1)): $peer $mode: $r req/s, $c us CPU/req, errors $e, server CPU $u%" >&2
        done
        stop_server
    done
done
for key in "${!RPS[@]}"; do
    ROUND_CPU[$key]="${CPU[$key]}"; ROUND_RPS[$key]="${RPS[$key]}"
    # shellcheck disable=SC2086 # the rounds' values, one word each
    { RPS[$key]="$(whole "$(median ${RPS[$key]})")"; CPU[$key]="$(median ${CPU[$key]})"; UTIL[$key]="$(whole "$(median ${UTIL[$key]})")"; }
done

setup="server on core $SERVER_CPU, load on core $LOAD_CPU; median of $ROUNDS rounds of ${DURATION}s per peer after ${WARMUP}s warm-up"
for mode in $MODES; do
    if [ "$mode" = keepalive ]; then
        header "HTTP plaintext, keep-alive: wrk -t1 -c$CONNS" "$setup"
    else
        header "HTTP plaintext, pipelined $DEPTH deep: wrk -t1 -c$CONNS -s benches/pipeline.lua -- $DEPTH" "$setup"
    fi
    g_r="${RPS[greenline.$mode]:--}"; g_c="${CPU[greenline.$mode]:--}"
    printf "%-16s %10s %11s %7s %7s %13s %13s\n" peer "req/s" "CPU us/req" "CPU %" errors "gl/peer req/s" "gl/peer CPU"
    for peer in $PEERS; do
        r="${RPS[$peer.$mode]}"; c="${CPU[$peer.$mode]}"
        printf "%-16s %10s %11s %7s %7s %13s %13s\n" "$peer" "$r" "$c" "${UTIL[$peer.$mode]}" "${ERR[$peer.$mode]}" \
            "$(ratio "$g_r" "$r")" "$(ratio "$g_c" "$c")"
    done
    echo "targets:"
    if [ "$mode" = keepalive ]; then
        for p in minihttp hyper; do
            case " $PEERS " in *" $p "*) ;; *) continue ;; esac
            printf "  %-52s %s\n" "CPU/req <= $p's" "$(verdict "$g_c" le "${CPU[$p.$mode]}")"
            printf "  %-52s %s\n" "req/s >= $p's" "$(verdict "$g_r" ge "${RPS[$p.$mode]}")"
            read -r m k n < <(paired "${ROUND_CPU[greenline.$mode]:-}" "${ROUND_CPU[$p.$mode]:-}")
            printf "  %-52s %s\n" "  round by round, CPU/req gl/$p" "median $m, greenline cheaper in $k of $n rounds"
            read -r m k n < <(paired "${ROUND_RPS[$p.$mode]:-}" "${ROUND_RPS[greenline.$mode]:-}")
            printf "  %-52s %s\n" "  round by round, req/s gl/$p" "median $(ratio 1 "$m" 3), greenline faster in $k of $n rounds"
        done
    else
        case " $PEERS " in *" minihttp "*)
            printf "  %-52s %s\n" "req/s >= 0.95 x minihttp's" "$(verdict "$g_r" ge "${RPS[minihttp.$mode]}" 0.95)" ;;
        esac
    fi
    for p in gevent gevent-nodelay; do
        case " $PEERS " in *" $p "*)
            printf "  %-52s %s\n" "req/s >= $p's (the floor)" "$(verdict "$g_r" ge "${RPS[$p.$mode]}")" ;;
        esac
    done
    printf "  %-52s %s\n" "greenline errors = 0" "$(verdict "${ERR[greenline.$mode]:--}" le 0)"
done
