#!/usr/bin/env bash
# benches/run_echo_perf.sh: where each echo server's CPU per message goes,
# kernel against user space, sampled by perf. See BENCHMARKS.md.
#
#   bash benches/run_echo_perf.sh                 # greenline, tokio, tokio_idle, tokio_mt; 3 rounds of 5 s
#   ROUNDS=1 PEERS="greenline tokio" bash benches/run_echo_perf.sh
#
# The servers run at once on core $SERVER_CPU (0), each loaded by its own
# echo_load (64 connections of 64 bytes) on core $LOAD_CPU (1), as in
# `BENCH=echo run_shared.sh`, while `perf record -e cpu-clock -C 0` samples
# core 0 at 10 kHz. Each server's samples are split into kernel and user
# space by the threads they fell on and divided by its round trips. The
# `fget` column counts the samples in fdget, fput and __fget_files: the
# reference on the socket's file that the kernel takes and drops in every
# system call of a process whose threads share the descriptor table, and
# skips in a single-threaded one (tokio is current_thread; tokio_idle the
# same plus one sleeping thread; tokio_mt the multi_thread runtime with one
# worker; greenline runs on may, always several threads). Needs perf
# (Debian: linux-perf) and root or perf_event_paranoid <= 0 for -C.
set -euo pipefail
DURATION="${DURATION:-5}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PEERS="${PEERS:-greenline tokio tokio_idle tokio_mt}"
ROUNDS="${ROUNDS:-3}"
CONNS="${CONNS:-64}"
SIZE="${SIZE:-64}"
command -v perf >/dev/null || die "no perf (Debian: apt-get install linux-perf)"
case " $PEERS " in *" greenline "*) ;; *) die "PEERS must include greenline" ;; esac

build_greenline echo_bench_server
build_peers echo_load tokio_echo

declare -A PID PORT
port=8280
for peer in $PEERS; do
    PORT[$peer]=$port
    addr="127.0.0.1:$port"
    case "$peer" in
    greenline) start_server "$peer" "$port" env GREENLINE_WORKERS=1 "$EX/echo_bench_server" "$addr" ;;
    tokio) start_server "$peer" "$port" "$BIN/tokio_echo" "$addr" ;;
    tokio_idle) start_server "$peer" "$port" env TOKIO_IDLE_THREAD=1 "$BIN/tokio_echo" "$addr" ;;
    tokio_mt) start_server "$peer" "$port" env TOKIO_RT=multi "$BIN/tokio_echo" "$addr" ;;
    *) die "unknown peer $peer (greenline tokio tokio_idle tokio_mt)" ;;
    esac
    PID[$peer]=$SERVER_PID
    port=$((port + 1))
done

# load SECONDS TAG: one echo_load per server, all at once; waits for them.
load() {
    local peer pids=()
    for peer in $PEERS; do
        timeout $(( $1 + 30 )) taskset -c "$LOAD_CPU" \
            "$BIN/echo_load" "127.0.0.1:${PORT[$peer]}" "$CONNS" "$SIZE" "$1" >"$LOGDIR/$peer.$2.load" 2>&1 &
        pids+=($!)
    done
    wait "${pids[@]}"
}

# Thread ids per server, for telling perf's samples apart (a thread's
# command name need not say which process it belongs to).
threads() {
    local t out=""
    for t in "/proc/$1/task"/*; do out+="${t##*/},"; done
    echo "$out"
}

declare -A KERNEL USER FGET TOTAL
for ((round = 1; round <= ROUNDS; round++)); do
    load "$WARMUP" warmup.$round || die "a load generator failed in the warm-up"
    load "$DURATION" "$round" &
    loads=$!
    perf record -q -e cpu-clock -F 10000 -C "$SERVER_CPU" -o "$LOGDIR/perf.$round.data" \
        -- sleep "$DURATION" >"$LOGDIR/perf.$round.log" 2>&1 || die "perf record failed (see $LOGDIR/perf.$round.log)"
    wait "$loads" || die "a load generator failed in round $round"
    perf report -i "$LOGDIR/perf.$round.data" --sort pid,dso,sym --stdio -n 2>/dev/null |
        grep -v '^#' >"$LOGDIR/perf.$round.txt" || true
    line="  round $round:"
    for peer in $PEERS; do
        msgs="$(awk '/^round trips:/ { print $3 }' "$LOGDIR/$peer.$round.load")"
        read -r k u f < <(awk -v tids=",$(threads "${PID[$peer]}")" -v n="${msgs:-0}" '
            { split($3, t, ":") }
            index(tids, "," t[1] + 0 ",") {
                if ($4 == "[kernel.kallsyms]") { k += $2; if ($6 ~ /^(fdget|fput|__fget_files)$/) f += $2 }
                else u += $2 }
            END { if (n > 0) printf "%.2f %.2f %.3f\n", k / n * 1000, u / n * 1000, f / n * 1000; else print "- - -" }' \
            "$LOGDIR/perf.$round.txt")
        KERNEL[$peer]+="$k "; USER[$peer]+="$u "; FGET[$peer]+="$f "
        line+=" $peer kernel $k user $u fget $f"
    done
    echo "$line" >&2
done

header "TCP echo, servers sharing core $SERVER_CPU, perf samples (10 kHz) per 1000 messages" \
    "$ROUNDS rounds of ${DURATION}s; $CONNS connections of $SIZE bytes per server; load generators on core $LOAD_CPU"
printf "%-12s %8s %8s %8s %8s %22s %22s\n" peer kernel user total fget "gl/peer kernel" "gl/peer total"
for peer in $PEERS; do
    tot=""
    read -ra ks <<<"${KERNEL[$peer]}"; read -ra us <<<"${USER[$peer]}"
    for i in "${!ks[@]}"; do tot+="$(calc "${ks[$i]} + ${us[$i]}") "; done
    TOTAL[$peer]="$tot"
done
for peer in $PEERS; do
    # shellcheck disable=SC2086 # the rounds' values, one word each
    read -r mk _ _ < <(paired "${KERNEL[greenline]}" "${KERNEL[$peer]}")
    read -r mt lt nt < <(paired "${TOTAL[greenline]}" "${TOTAL[$peer]}")
    # shellcheck disable=SC2086
    printf "%-12s %8s %8s %8s %8s %22s %22s\n" "$peer" "$(median ${KERNEL[$peer]})" "$(median ${USER[$peer]})" \
        "$(median ${TOTAL[$peer]})" "$(median ${FGET[$peer]})" "$mk" "$mt (cheaper $lt of $nt)"
done
echo "(medians of the rounds; gl/peer: median of the rounds' ratios)"
