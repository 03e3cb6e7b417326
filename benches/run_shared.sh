#!/usr/bin/env bash
# benches/run_shared.sh: CPU per request (HTTP keep-alive) or per message
# (TCP echo) with the servers measured at the same time, sharing one core.
# See BENCHMARKS.md.
#
#   bash benches/run_shared.sh                   # HTTP: greenline, may_minihttp, hyper; 5 rounds of 5 s
#   BENCH=echo bash benches/run_shared.sh        # echo: greenline, tokio, tokio_mt, raw may
#   ROUNDS=9 PEERS="greenline minihttp" bash benches/run_shared.sh
#   PERF=1 BENCH=echo bash benches/run_shared.sh # also: kernel and user, sampled by perf
#
# run_http.sh and run_echo.sh measure one server at a time, and this
# machine's speed drifts by up to +-20 % between rounds a few seconds
# apart, which hides differences of a few percent. Here every server runs
# on core $SERVER_CPU (0) at once, each loaded by its own load generator
# (wrk -t1 -c64, or echo_load with 64 connections of 64 bytes) on core
# $LOAD_CPU (1), all started together: whatever the machine does during a
# round, every server lives through it. Each round gives every server's
# CPU time per request (utime+stime from /proc over the round, divided by
# the requests or round trips its load generator counted); the ratios are
# taken within a round. The figures are not those of the one-at-a-time
# scripts (the servers share a core, so each gets a part of it and batches
# less); only the ratios are compared.
#
# PERF=1 also samples the shared core with `perf record -e cpu-clock` at
# 10 kHz during each round and splits each server's samples (found by its
# thread ids) into kernel and user space, per 1000 requests or messages;
# the `fget` column counts the samples in fdget, fput and __fget_files, the
# kernel's reference on a socket's file, taken and dropped in every system
# call of a process whose threads share the descriptor table and skipped
# in a single-threaded one. Needs perf (Debian: linux-perf) and root or
# perf_event_paranoid <= 0.
set -euo pipefail
DURATION="${DURATION:-5}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH="${BENCH:-http}"
PERF="${PERF:-0}"
if [ "$PERF" = 1 ]; then command -v perf >/dev/null || die "PERF=1 needs perf (Debian: apt-get install linux-perf)"; fi
CONNS="${CONNS:-64}"
SIZE="${SIZE:-64}"
ROUNDS="${ROUNDS:-5}"
case "$BENCH" in
http)
    PEERS="${PEERS:-greenline minihttp hyper}"
    command -v wrk >/dev/null || bash "$ROOT/compat/setup.sh" >&2 || die "no wrk (compat/setup.sh installs it)"
    build_greenline http_hello
    build_peers minihttp_hello hyper_hello ;;
echo)
    # tokio: current_thread; tokio_mt: multi_thread, one worker (see
    # run_echo.sh); tokio_idle (not by default): current_thread plus one
    # thread that only sleeps, the cost of being multi-threaded alone.
    PEERS="${PEERS:-greenline tokio tokio_mt may}"
    build_greenline echo_bench_server
    build_peers echo_load tokio_echo may_echo ;;
*) die "BENCH is http or echo" ;;
esac
case " $PEERS " in *" greenline "*) ;; *) die "PEERS must include greenline" ;; esac

declare -A PID PORT
port=8180
for peer in $PEERS; do
    PORT[$peer]=$port
    addr="127.0.0.1:$port"
    case "$BENCH.$peer" in
    http.greenline) start_server "$peer" "$port" env GREENLINE_WORKERS=1 "$EX/http_hello" "$addr" --no-access-log ;;
    http.minihttp) start_server "$peer" "$port" env MAY_WORKERS=1 "$BIN/minihttp_hello" "$addr" ;;
    http.hyper) start_server "$peer" "$port" "$BIN/hyper_hello" "$addr" ;;
    echo.greenline) start_server "$peer" "$port" env GREENLINE_WORKERS=1 "$EX/echo_bench_server" "$addr" ;;
    echo.tokio) start_server "$peer" "$port" "$BIN/tokio_echo" "$addr" ;;
    echo.tokio_mt) start_server "$peer" "$port" env TOKIO_RT=multi "$BIN/tokio_echo" "$addr" ;;
    echo.tokio_idle) start_server "$peer" "$port" env TOKIO_IDLE_THREAD=1 "$BIN/tokio_echo" "$addr" ;;
    echo.may) start_server "$peer" "$port" env MAY_WORKERS=1 "$BIN/may_echo" "$addr" ;;
    *) die "unknown $BENCH peer $peer" ;;
    esac
    PID[$peer]=$SERVER_PID
    port=$((port + 1))
done

# load SECONDS TAG: one load generator per server, all at once; waits for
# them all.
load() {
    local peer pids=()
    for peer in $PEERS; do
        if [ "$BENCH" = http ]; then
            timeout $(( $1 + 30 )) taskset -c "$LOAD_CPU" \
                wrk -t1 -c"$CONNS" -d"${1}s" "http://127.0.0.1:${PORT[$peer]}/" >"$LOGDIR/$peer.$2.load" 2>&1 &
        else
            timeout $(( $1 + 30 )) taskset -c "$LOAD_CPU" \
                "$BIN/echo_load" "127.0.0.1:${PORT[$peer]}" "$CONNS" "$SIZE" "$1" >"$LOGDIR/$peer.$2.load" 2>&1 &
        fi
        pids+=($!)
    done
    wait "${pids[@]}"
}

# counts LOG: "REQUESTS ERRORS" from one load generator's output.
counts() {
    if [ "$BENCH" = http ]; then
        awk '/requests in/ { n = $1 }
             /Socket errors:/ { gsub(",", ""); e += $4 + $6 + $8 + $10 }
             /Non-2xx/ { e += $NF } END { print n + 0, e + 0 }' "$1"
    else
        awk '/^round trips:/ { n = $3 } /^errors:/ { e = $2 } END { print n + 0, e + 0 }' "$1"
    fi
}

# user_ticks PID: user time of the whole process, in clock ticks (field 14).
user_ticks() {
    local stat
    stat="$(cat "/proc/$1/stat")"
    stat="${stat##*) }"
    awk '{ print $12 }' <<<"$stat"
}

# threads PID: the process's thread ids, comma-separated with a leading
# and a trailing comma (perf reports samples by thread).
threads() {
    local t out=","
    for t in "/proc/$1/task"/*; do out+="${t##*/},"; done
    echo "$out"
}

# perf_split ROUND PID COUNT: "KERNEL USER FGET", samples per 1000 of COUNT
# in round ROUND's perf report for the process PID.
perf_split() {
    awk -v tids="$(threads "$2")" -v n="${3:-0}" '
        { split($3, t, ":") }
        index(tids, "," t[1] + 0 ",") {
            if ($4 == "[kernel.kallsyms]") { k += $2; if ($6 ~ /^(fdget|fput|__fget_files)$/) f += $2 }
            else u += $2 }
        END { if (n > 0) printf "%.2f %.2f %.3f\n", k / n * 1000, u / n * 1000, f / n * 1000; else print "- - -" }' \
        "$LOGDIR/perf.$1.txt"
}

declare -A CPU USER T0 U0 ERR PK PU PF PT
for ((round = 1; round <= ROUNDS; round++)); do
    load "$WARMUP" warmup.$round || die "a load generator failed in the warm-up"
    for peer in $PEERS; do
        T0[$peer]="$(cpu_ticks "${PID[$peer]}")"; U0[$peer]="$(user_ticks "${PID[$peer]}")"
    done
    if [ "$PERF" = 1 ]; then
        load "$DURATION" "$round" &
        loads=$!
        perf record -q -e cpu-clock -F 10000 -C "$SERVER_CPU" -o "$LOGDIR/perf.$round.data" \
            -- sleep "$DURATION" >"$LOGDIR/perf.$round.log" 2>&1 || die "perf record failed (see $LOGDIR/perf.$round.log)"
        wait "$loads" || die "a load generator failed in round $round"
        perf report -i "$LOGDIR/perf.$round.data" --sort pid,dso,sym --stdio -n 2>/dev/null |
            grep -v '^#' >"$LOGDIR/perf.$round.txt" || true
    else
        load "$DURATION" "$round" || die "a load generator failed in round $round"
    fi
    line="  round $round:"
    for peer in $PEERS; do
        t1="$(cpu_ticks "${PID[$peer]}")"; u1="$(user_ticks "${PID[$peer]}")"
        read -r reqs errs < <(counts "$LOGDIR/$peer.$round.load")
        us="$(awk -v d=$(( t1 - T0[$peer] )) -v hz="$CLK_TCK" -v n="${reqs:-0}" \
            'BEGIN { if (n > 0) printf "%.3f", d / hz * 1e6 / n; else print "-" }')"
        user="$(awk -v d=$(( u1 - U0[$peer] )) -v hz="$CLK_TCK" -v n="${reqs:-0}" \
            'BEGIN { if (n > 0) printf "%.3f", d / hz * 1e6 / n; else print "-" }')"
        CPU[$peer]+="$us "; USER[$peer]+="$user "
        ERR[$peer]="$(add_errors "${ERR[$peer]:-0}" "$errs")"
        line+=" $peer $us us ($reqs, errors $errs)"
        if [ "$PERF" = 1 ]; then
            read -r k u f < <(perf_split "$round" "${PID[$peer]}" "$reqs")
            PK[$peer]+="$k "; PU[$peer]+="$u "; PF[$peer]+="$f "; PT[$peer]+="$(calc "$k + $u") "
            line+=" [perf kernel $k user $u fget $f]"
        fi
    done
    echo "$line" >&2
done

if [ "$BENCH" = http ]; then
    title="HTTP keep-alive, servers sharing core $SERVER_CPU at once: wrk -t1 -c$CONNS each"; unit=req
else
    title="TCP echo, servers sharing core $SERVER_CPU at once: $CONNS connections of $SIZE-byte ping-pong each"; unit=msg
fi
header "$title" "$ROUNDS rounds of ${DURATION}s after ${WARMUP}s warm-up each; all load generators on core $LOAD_CPU"
printf "%-12s %12s %13s %28s %7s\n" peer "CPU us/$unit" "of which user" "gl/peer CPU, round by round" errors
for peer in $PEERS; do
    # shellcheck disable=SC2086 # the rounds' values, one word each
    { med="$(median ${CPU[$peer]})"; umed="$(median ${USER[$peer]})"; }
    read -r m k n < <(paired "${CPU[greenline]}" "${CPU[$peer]}")
    printf "%-12s %12s %13s %28s %7s\n" "$peer" "$med" "$umed" "$m (cheaper in $k of $n)" "${ERR[$peer]}"
done
echo "(CPU and user: medians of the rounds)"
echo "targets:"
for p in $PEERS; do
    case "$BENCH.$p" in http.minihttp | http.hyper | echo.tokio) ;; *) continue ;; esac
    read -r m _ _ < <(paired "${CPU[greenline]}" "${CPU[$p]}")
    printf "  %-52s %s\n" "CPU/$unit <= $p's (median ratio of rounds)" "$(verdict "$m" le 1)"
done
printf "  %-52s %s\n" "greenline errors = 0" "$(verdict "${ERR[greenline]:--}" le 0)"

if [ "$PERF" = 1 ]; then
    header "The same rounds, perf samples (10 kHz on core $SERVER_CPU) per 1000 ${unit}s" \
        "one sample is 100 us of the shared core; medians of the rounds, gl/peer the median of the rounds' ratios"
    printf "%-12s %8s %8s %8s %8s %16s %28s\n" peer kernel user total fget "gl/peer kernel" "gl/peer total"
    for peer in $PEERS; do
        read -r mk _ _ < <(paired "${PK[greenline]}" "${PK[$peer]}")
        read -r mt lt nt < <(paired "${PT[greenline]}" "${PT[$peer]}")
        # shellcheck disable=SC2086 # the rounds' values, one word each
        printf "%-12s %8s %8s %8s %8s %16s %28s\n" "$peer" "$(median ${PK[$peer]})" "$(median ${PU[$peer]})" \
            "$(median ${PT[$peer]})" "$(median ${PF[$peer]})" "$mk" "$mt (cheaper in $lt of $nt)"
    done
fi
