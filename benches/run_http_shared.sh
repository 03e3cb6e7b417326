#!/usr/bin/env bash
# benches/run_http_shared.sh: HTTP keep-alive CPU per request with the
# servers measured at the same time, sharing one core. See BENCHMARKS.md.
#
#   bash benches/run_http_shared.sh              # 5 rounds of 5 s
#   ROUNDS=9 PEERS="greenline minihttp" bash benches/run_http_shared.sh
#
# run_http.sh measures one server at a time, and this machine's speed
# drifts by up to +-20 % between rounds a few seconds apart, which hides
# differences of a few percent. Here every server runs on core
# $SERVER_CPU (0) at once, each loaded by its own wrk (-t1 -c64) on core
# $LOAD_CPU (1), all wrks started together: whatever the machine does
# during a round, every server lives through it. Each round gives every
# server's CPU time per request (utime+stime from /proc over the round,
# divided by the requests its wrk counted); the ratios are taken within a
# round. The figures are not those of run_http.sh (the servers share a
# core, so each gets a part of it and batches less); only the ratios are
# compared.
set -euo pipefail
DURATION="${DURATION:-5}"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PEERS="${PEERS:-greenline minihttp hyper}"
CONNS="${CONNS:-64}"
ROUNDS="${ROUNDS:-5}"
command -v wrk >/dev/null || bash "$ROOT/compat/setup.sh" >&2 || die "no wrk (compat/setup.sh installs it)"
case " $PEERS " in *" greenline "*) ;; *) die "PEERS must include greenline" ;; esac

build_greenline http_hello
build_peers minihttp_hello hyper_hello

declare -A PID PORT
port=8180
for peer in $PEERS; do
    PORT[$peer]=$port
    case "$peer" in
    greenline) start_server "$peer" "$port" env GREENLINE_WORKERS=1 "$EX/http_hello" "127.0.0.1:$port" --no-access-log ;;
    minihttp) start_server "$peer" "$port" env MAY_WORKERS=1 "$BIN/minihttp_hello" "127.0.0.1:$port" ;;
    hyper) start_server "$peer" "$port" "$BIN/hyper_hello" "127.0.0.1:$port" ;;
    *) die "unknown peer $peer (greenline minihttp hyper)" ;;
    esac
    PID[$peer]=$SERVER_PID
    port=$((port + 1))
done

# load SECONDS TAG: one wrk per server, all at once; waits for them all.
load() {
    local peer pids=()
    for peer in $PEERS; do
        timeout $(( $1 + 30 )) taskset -c "$LOAD_CPU" \
            wrk -t1 -c"$CONNS" -d"${1}s" "http://127.0.0.1:${PORT[$peer]}/" >"$LOGDIR/$peer.$2.wrk" 2>&1 &
        pids+=($!)
    done
    wait "${pids[@]}"
}

declare -A CPU T0 ERR
for ((round = 1; round <= ROUNDS; round++)); do
    load "$WARMUP" warmup.$round || die "wrk failed in the warm-up"
    for peer in $PEERS; do T0[$peer]="$(cpu_ticks "${PID[$peer]}")"; done
    load "$DURATION" "$round" || die "wrk failed in round $round"
    line="  round $round:"
    for peer in $PEERS; do
        t1="$(cpu_ticks "${PID[$peer]}")"
        log="$LOGDIR/$peer.$round.wrk"
        reqs="$(awk '/requests in/ { print $1 }' "$log")"
        errs="$(awk '/Socket errors:/ { gsub(",", ""); e += $4 + $6 + $8 + $10 }
                     /Non-2xx/ { e += $NF } END { print e + 0 }' "$log")"
        us="$(awk -v d=$(( t1 - T0[$peer] )) -v hz="$CLK_TCK" -v n="${reqs:-0}" \
            'BEGIN { if (n > 0) printf "%.3f", d / hz * 1e6 / n; else print "-" }')"
        CPU[$peer]+="$us "
        ERR[$peer]="$(add_errors "${ERR[$peer]:-0}" "$errs")"
        line+=" $peer $us us/req ($reqs requests, errors $errs)"
    done
    echo "$line" >&2
done

header "HTTP keep-alive, servers sharing core $SERVER_CPU at once: wrk -t1 -c$CONNS each" \
    "$ROUNDS rounds of ${DURATION}s after ${WARMUP}s warm-up each; all wrks on core $LOAD_CPU"
printf "%-12s %22s %28s %7s\n" peer "CPU us/req (median)" "gl/peer CPU, round by round" errors
for peer in $PEERS; do
    # shellcheck disable=SC2086 # the rounds' values, one word each
    med="$(median ${CPU[$peer]})"
    read -r m k n < <(paired "${CPU[greenline]}" "${CPU[$peer]}")
    printf "%-12s %22s %28s %7s\n" "$peer" "$med" "$m (cheaper in $k of $n)" "${ERR[$peer]}"
done
echo "targets:"
for p in minihttp hyper; do
    case " $PEERS " in *" $p "*) ;; *) continue ;; esac
    read -r m _ _ < <(paired "${CPU[greenline]}" "${CPU[$p]}")
    printf "  %-52s %s\n" "CPU/req <= $p's (median ratio of rounds)" "$(verdict "$m" le 1)"
done
printf "  %-52s %s\n" "greenline errors = 0" "$(verdict "${ERR[greenline]:--}" le 0)"
