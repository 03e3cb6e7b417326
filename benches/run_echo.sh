#!/usr/bin/env bash
# benches/run_echo.sh: TCP echo through StreamServer, 64 connections each
# ping-ponging one 64-byte message, greenline against tokio, raw may and
# gevent's StreamServer, one after the other in one run. See BENCHMARKS.md.
#
#   bash benches/run_echo.sh                     # 5 rounds of 5 s per peer
#   DURATION=2 bash benches/run_echo.sh          # smoke run
#   PEERS="greenline tokio" CONNS=64 SIZE=64 bash benches/run_echo.sh
#   ROUNDS=1 bash benches/run_echo.sh            # one pass instead of five
#   PEERS="greenline tokio tokio_mt" bash benches/run_echo.sh
#
# tokio is tokio's current_thread runtime, a single-threaded process;
# tokio_mt its multi_thread runtime with one worker, a process of several
# threads like greenline's. The kernel takes and drops a reference on the
# socket's file in every system call of a process whose threads share the
# descriptor table, and skips both in a single-threaded one: ~2.5 % of the
# CPU per message here (BENCHMARKS.md). tokio_idle is current_thread plus
# one thread that only sleeps: that cost alone.
#
# Each server runs alone on core $SERVER_CPU (0) with one worker or thread;
# the load generator (benches/peers' echo_load, tokio current_thread) runs
# on core $LOAD_CPU (1). Server CPU time per round trip as in run_http.sh,
# and, as there, each figure is the median of $ROUNDS rounds (5) whose
# peer order rotates.
set -euo pipefail
# Short runs, many rounds (see above): drift spreads over every peer.
DURATION="${DURATION:-5}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PEERS="${PEERS:-greenline tokio may gevent}"
CONNS="${CONNS:-64}"
SIZE="${SIZE:-64}"
ROUNDS="${ROUNDS:-5}"

build_greenline echo_bench_server
build_peers echo_load tokio_echo may_echo
case " $PEERS " in *" gevent "*) need_python ;; esac

# serve PEER: starts PEER's echo server; sets SERVER_PID and ADDR.
serve() {
    case "$1" in
    greenline)
        ADDR=127.0.0.1:5010
        start_server "$1" 5010 env GREENLINE_WORKERS=1 "$EX/echo_bench_server" "$ADDR" ;;
    tokio)
        ADDR=127.0.0.1:5011
        start_server "$1" 5011 "$BIN/tokio_echo" "$ADDR" ;;
    tokio_mt)
        ADDR=127.0.0.1:5014
        start_server "$1" 5014 env TOKIO_RT=multi "$BIN/tokio_echo" "$ADDR" ;;
    tokio_idle)
        ADDR=127.0.0.1:5015
        start_server "$1" 5015 env TOKIO_IDLE_THREAD=1 "$BIN/tokio_echo" "$ADDR" ;;
    may)
        ADDR=127.0.0.1:5012
        start_server "$1" 5012 env MAY_WORKERS=1 "$BIN/may_echo" "$ADDR" ;;
    gevent)
        ADDR=127.0.0.1:5013
        start_server "$1" 5013 "$PY" "$ROOT/benches/peers/gevent_echo.py" "$ADDR" ;;
    *) die "unknown peer $1 (greenline tokio tokio_mt tokio_idle may gevent)" ;;
    esac
}

# load SECONDS LOG: echo_load against $ADDR on the load core.
load() {
    timeout $(( $1 + 30 )) taskset -c "$LOAD_CPU" \
        "$BIN/echo_load" "$ADDR" "$CONNS" "$SIZE" "$1" >"$2" 2>&1
}

# measure PEER: one warm-up and one measured load against PEER's server;
# prints "msg/s cpu_us_per_msg errors server_cpu_percent".
measure() {
    load "$WARMUP" "$LOGDIR/$1.warmup" || true
    local t0 t1 log="$LOGDIR/$1.echo.$2"
    t0="$(cpu_ticks "$SERVER_PID")"
    if ! load "$DURATION" "$log"; then
        echo "- - load-failed -"
        return
    fi
    t1="$(cpu_ticks "$SERVER_PID")"
    local trips mps errs us util
    trips="$(awk '/^round trips:/ { print $3 }' "$log")"
    mps="$(awk '/^throughput:/ { print $2 }' "$log")"
    errs="$(awk '/^errors:/ { print $2 }' "$log")"
    us="$(awk -v d=$(( t1 - t0 )) -v hz="$CLK_TCK" -v n="${trips:-0}" \
        'BEGIN { if (n > 0) printf "%.2f", d / hz * 1e6 / n; else print "-" }')"
    util="$(awk -v d=$(( t1 - t0 )) -v hz="$CLK_TCK" -v s="$DURATION" 'BEGIN { printf "%.0f", d / hz / s * 100 }')"
    echo "${mps:--} $us ${errs:--} $util"
}

declare -A MPS CPU ERR UTIL ROUND_MPS ROUND_CPU
read -r -a peers <<<"$PEERS"
for ((round = 0; round < ROUNDS; round++)); do
    for peer in $(rotated "$round" "${peers[@]}"); do
        serve "$peer"
        read -r m c e u < <(measure "$peer" "$round")
        MPS[$peer]+="$m "; CPU[$peer]+="$c "; UTIL[$peer]+="$u "
        ERR[$peer]="$(add_errors "${ERR[$peer]:-0}" "$e")"
        echo "  round $((round + 1)): $peer: $m msg/s, $c us CPU/msg, errors $e, server CPU $u%" >&2
        stop_server
    done
done
for peer in "${peers[@]}"; do
    ROUND_MPS[$peer]="${MPS[$peer]}"; ROUND_CPU[$peer]="${CPU[$peer]}"
    # shellcheck disable=SC2086 # the rounds' values, one word each
    { MPS[$peer]="$(whole "$(median ${MPS[$peer]})")"; CPU[$peer]="$(median ${CPU[$peer]})"; UTIL[$peer]="$(whole "$(median ${UTIL[$peer]})")"; }
done

header "TCP echo: $CONNS connections, $SIZE-byte ping-pong" \
    "server on core $SERVER_CPU, load on core $LOAD_CPU; median of $ROUNDS rounds of ${DURATION}s per peer after ${WARMUP}s warm-up"
g_m="${MPS[greenline]:--}"; g_c="${CPU[greenline]:--}"
printf "%-12s %10s %11s %7s %7s %13s %13s\n" peer "msg/s" "CPU us/msg" "CPU %" errors "gl/peer msg/s" "gl/peer CPU"
for peer in $PEERS; do
    printf "%-12s %10s %11s %7s %7s %13s %13s\n" "$peer" "${MPS[$peer]}" "${CPU[$peer]}" "${UTIL[$peer]}" \
        "${ERR[$peer]}" "$(ratio "$g_m" "${MPS[$peer]}")" "$(ratio "$g_c" "${CPU[$peer]}")"
done
echo "targets:"
case " $PEERS " in *" tokio "*)
    printf "  %-52s %s\n" "msg/s >= 1.0 x tokio's" "$(verdict "$g_m" ge "${MPS[tokio]}")"
    read -r m k n < <(paired "${ROUND_MPS[tokio]}" "${ROUND_MPS[greenline]}")
    printf "  %-52s %s\n" "  round by round, msg/s gl/tokio" "median $(ratio 1 "$m" 3), greenline faster in $k of $n rounds"
    read -r m k n < <(paired "${ROUND_CPU[greenline]}" "${ROUND_CPU[tokio]}")
    printf "  %-52s %s\n" "  round by round, CPU/msg gl/tokio" "median $m, greenline cheaper in $k of $n rounds" ;;
esac
case " $PEERS " in *" tokio_mt "*)
    read -r m k n < <(paired "${ROUND_CPU[greenline]}" "${ROUND_CPU[tokio_mt]}")
    printf "  %-52s %s\n" "  round by round, CPU/msg gl/tokio_mt" "median $m, greenline cheaper in $k of $n rounds" ;;
esac
printf "  %-52s %s\n" "greenline errors = 0" "$(verdict "${ERR[greenline]:--}" le 0)"
