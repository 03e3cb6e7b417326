#!/usr/bin/env bash
# benches/run_zmq.sh: greenline's ZeroMQ sockets against libzmq 4.3.4, with
# libzmq's own perf-tool protocol on both sides, in one run:
#   PUSH->PULL throughput, 64 B and 1 KiB, over tcp and ipc (local_thr/remote_thr)
#   REQ->REP latency, 64 B, over tcp and ipc               (local_lat/remote_lat)
#   inproc throughput and latency in one process           (inproc_thr/inproc_lat)
# See BENCHMARKS.md.
#
#   bash benches/run_zmq.sh                      # about 10 s per measurement
#   DURATION=2 bash benches/run_zmq.sh           # smoke run
#   INTEROP=1 bash benches/run_zmq.sh            # also greenline<->libzmq rows
#   TRANSPORTS=tcp SIZES="64" bash benches/run_zmq.sh
#   TRANSPORTS= LAT_SIZES= SIZES=64 bash benches/run_zmq.sh   # inproc throughput rows only
#
# The binding side (local_*) runs on core $SERVER_CPU (0), the connecting
# side (remote_*) on core $LOAD_CPU (1); greenline with one worker, libzmq
# with its default one I/O thread. libzmq's tools count messages, not
# seconds: each measurement is preceded by a calibration run (also the
# warm-up) whose rate sets the count that lasts about $DURATION seconds.
# CPU time per message is each process's user+system time (GNU time) over
# the message count, setup included.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# An empty TRANSPORTS or LAT_SIZES (set, but to "") skips those rows; inproc always runs.
TRANSPORTS="${TRANSPORTS-tcp ipc}"
SIZES="${SIZES:-64 1024}"
LAT_SIZES="${LAT_SIZES-64}"
INTEROP="${INTEROP:-0}"
INPROC_CPUS="${INPROC_CPUS:-$SERVER_CPU}"
THR_CAL="${THR_CAL:-200000}"
LAT_CAL="${LAT_CAL:-10000}"
[ -x /usr/bin/time ] || die "needs GNU time (/usr/bin/time, Debian package time)"

build_greenline local_thr remote_thr local_lat remote_lat inproc_thr inproc_lat
build_peers zmq_local_thr zmq_remote_thr zmq_local_lat zmq_remote_lat zmq_inproc_thr zmq_inproc_lat

GL_ENV=(env GREENLINE_WORKERS=1)
PORT=5560   # a fresh port per run, so no run waits on another's TIME_WAIT
IPC_DIR="$(mktemp -d /tmp/greenline-bench-ipc.XXXXXX)"
trap 'cleanup; rm -rf "$IPC_DIR"' EXIT

# bin IMPL KIND SIDE: the binary of greenline's example or libzmq's peer.
bin() {
    case "$1" in
    greenline) echo "$EX/$3_$2" ;;
    libzmq) echo "$BIN/zmq_$3_$2" ;;
    esac
}

# endpoint TRANSPORT: a new endpoint of that transport.
endpoint() {
    PORT=$(( PORT + 1 ))
    case "$1" in
    tcp) echo "tcp://127.0.0.1:$PORT" ;;
    ipc) echo "ipc://$IPC_DIR/$PORT.ipc" ;;
    esac
}

# wait_endpoint ENDPOINT: until the binding side listens (10 s at most).
wait_endpoint() {
    local i
    case "$1" in
    tcp://*) wait_port "${1##*:}" ;;
    ipc://*)
        for i in $(seq 100); do [ -S "${1#ipc://}" ] && return 0; sleep 0.1; done
        return 1 ;;
    esac
}

# cpu_of FILE: user+system seconds from a GNU time -f "%U %S" file.
cpu_of() { awk 'END { print $1 + $2 }' "$1"; }

# pair KIND LOCAL_IMPL REMOTE_IMPL TRANSPORT SIZE COUNT TAG: one run of
# local_KIND (binding, core 0) against remote_KIND (connecting, core 1).
# Prints "result local_cpu_us_per_msg remote_cpu_us_per_msg"; result is
# msg/s (thr) or us (lat), "-" when the run failed.
pair() {
    local kind=$1 limpl=$2 rimpl=$3 tr=$4 size=$5 count=$6 tag=$7
    local ep lout rout lpid limit
    ep="$(endpoint "$tr")"
    lout="$LOGDIR/$tag.local"; rout="$LOGDIR/$tag.remote"
    limit=$(( DURATION * 4 + 30 ))
    local lenv=() renv=()
    [ "$limpl" = greenline ] && lenv=("${GL_ENV[@]}")
    [ "$rimpl" = greenline ] && renv=("${GL_ENV[@]}")
    timeout "$limit" taskset -c "$SERVER_CPU" /usr/bin/time -f "%U %S" -o "$lout.time" \
        "${lenv[@]}" "$(bin "$limpl" "$kind" local)" "$ep" "$size" "$count" >"$lout" 2>&1 &
    lpid=$!
    PIDS+=("$lpid")
    if ! wait_endpoint "$ep"; then
        kill "$lpid" 2>/dev/null || true; wait "$lpid" 2>/dev/null || true
        echo "- - -"; return
    fi
    local ok=1
    timeout "$limit" taskset -c "$LOAD_CPU" /usr/bin/time -f "%U %S" -o "$rout.time" \
        "${renv[@]}" "$(bin "$rimpl" "$kind" remote)" "$ep" "$size" "$count" >"$rout" 2>&1 || ok=0
    if [ $ok = 0 ]; then kill "$lpid" 2>/dev/null || true; fi
    wait "$lpid" || ok=0
    if [ $ok = 0 ]; then echo "- - -"; return; fi
    local result
    if [ "$kind" = thr ]; then
        result="$(awk '/\[msg\/s\]/ { print $3 }' "$lout")"
    else
        result="$(awk '/^average latency:/ { print $3 }' "$rout")"
    fi
    local per=$count
    awk -v r="${result:--}" -v l="$(cpu_of "$lout.time")" -v m="$(cpu_of "$rout.time")" -v n="$per" \
        'BEGIN { printf "%s %.2f %.2f\n", r, l * 1e6 / n, m * 1e6 / n }'
}

# inproc KIND IMPL SIZE COUNT TAG: one run of inproc_KIND; prints "result cpu_us_per_msg".
inproc() {
    local kind=$1 impl=$2 size=$3 count=$4 tag=$5 env=()
    local out="$LOGDIR/$tag.inproc"
    [ "$impl" = greenline ] && env=("${GL_ENV[@]}")
    if ! timeout $(( DURATION * 4 + 30 )) taskset -c "$INPROC_CPUS" /usr/bin/time -f "%U %S" -o "$out.time" \
        "${env[@]}" "$(bin "$impl" "$kind" inproc)" "$size" "$count" >"$out" 2>&1; then
        echo "- -"; return
    fi
    local result
    if [ "$kind" = thr ]; then
        result="$(awk '/\[msg\/s\]/ { print $3 }' "$out")"
    else
        result="$(awk '/^average latency:/ { print $3 }' "$out")"
    fi
    awk -v r="${result:--}" -v c="$(cpu_of "$out.time")" -v n="$count" 'BEGIN { printf "%s %.2f\n", r, c * 1e6 / n }'
}

# count_for KIND RESULT: the count that lasts about $DURATION s at RESULT.
count_for() {
    awk -v k="$1" -v r="$2" -v d="$DURATION" 'BEGIN {
        if (r == "-" || r + 0 <= 0) { print 0; exit }
        n = (k == "thr") ? r * d : d * 1e6 / (2 * r)
        print (n < 1000) ? 1000 : int(n) }'
}

COMBOS="greenline:greenline libzmq:libzmq"
[ "$INTEROP" = 1 ] && COMBOS="$COMBOS greenline:libzmq libzmq:greenline"

declare -A RES LCPU RCPU
for kind in thr lat; do
    if [ "$kind" = thr ]; then sizes="$SIZES"; cal=$THR_CAL; else sizes="$LAT_SIZES"; cal=$LAT_CAL; fi
    for tr in $TRANSPORTS; do
        for size in $sizes; do
            for combo in $COMBOS; do
                l="${combo%%:*}"; r="${combo##*:}"; key="$kind.$tr.$size.$combo"
                read -r res _ _ < <(pair "$kind" "$l" "$r" "$tr" "$size" "$cal" "$kind-$tr-$size-$l-$r.cal")
                n="$(count_for "$kind" "$res")"
                if [ "$n" = 0 ]; then
                    RES[$key]=-; LCPU[$key]=-; RCPU[$key]=-
                else
                    read -r a b c < <(pair "$kind" "$l" "$r" "$tr" "$size" "$n" "$kind-$tr-$size-$l-$r")
                    RES[$key]="$a"; LCPU[$key]="$b"; RCPU[$key]="$c"
                fi
                echo "  $kind $tr ${size}B local=$l remote=$r: ${RES[$key]} (CPU us/msg local ${LCPU[$key]}, remote ${RCPU[$key]})" >&2
            done
        done
    done
done
for kind in thr lat; do
    if [ "$kind" = thr ]; then sizes="$SIZES"; cal=$THR_CAL; else sizes="$LAT_SIZES"; cal=$LAT_CAL; fi
    for size in $sizes; do
        for impl in greenline libzmq; do
            key="$kind.inproc.$size.$impl:$impl"
            read -r res _ < <(inproc "$kind" "$impl" "$size" "$cal" "$kind-inproc-$size-$impl.cal")
            n="$(count_for "$kind" "$res")"
            if [ "$n" = 0 ]; then
                RES[$key]=-; LCPU[$key]=-
            else
                read -r a b < <(inproc "$kind" "$impl" "$size" "$n" "$kind-inproc-$size-$impl")
                RES[$key]="$a"; LCPU[$key]="$b"
            fi
            RCPU[$key]=-
            echo "  $kind inproc ${size}B $impl: ${RES[$key]} (CPU us/msg ${LCPU[$key]})" >&2
        done
    done
done

# table KIND UNIT: one table over transports and sizes.
table() {
    local kind=$1 unit=$2 sizes per
    if [ "$kind" = thr ]; then sizes="$SIZES"; per=msg; else sizes="$LAT_SIZES"; per=rt; fi
    printf "%-9s %6s %-20s %12s %15s %16s %10s  %s\n" transport size "local <- remote" "$unit" \
        "local CPU us/$per" "remote CPU us/$per" "gl/libzmq" target
    for tr in $TRANSPORTS inproc; do
        for size in $sizes; do
            local g="${RES[$kind.$tr.$size.greenline:greenline]:--}" z="${RES[$kind.$tr.$size.libzmq:libzmq]:--}"
            local combos="$COMBOS"
            [ "$tr" = inproc ] && combos="greenline:greenline libzmq:libzmq"
            for combo in $combos; do
                local key="$kind.$tr.$size.$combo" v rat="" tgt=""
                v="${RES[$key]:--}"
                if [ "$combo" = greenline:greenline ]; then
                    rat="$(ratio "$g" "$z")"
                    if [ "$kind" = thr ] && [ "$tr" = inproc ]; then
                        tgt=">= 2.0x libzmq: $(verdict "$g" ge "$z" 2)"
                    elif [ "$kind" = thr ]; then
                        tgt=">= 1.0x libzmq: $(verdict "$g" ge "$z")"
                    elif [ "$tr" != inproc ]; then
                        tgt="<= 1.0x libzmq: $(verdict "$g" le "$z")"
                    else
                        tgt="(no target)"
                    fi
                fi
                local name="${combo%%:*} <- ${combo##*:}"
                [ "$tr" = inproc ] && name="${combo%%:*}"
                printf "%-9s %6s %-20s %12s %15s %16s %10s  %s\n" "$tr" "$size" "$name" "$v" \
                    "${LCPU[$key]:--}" "${RCPU[$key]:--}" "$rat" "$tgt"
            done
        done
    done
}

SETUP="local on core $SERVER_CPU, remote on core $LOAD_CPU, inproc on cores $INPROC_CPUS; counts sized for ~${DURATION}s after a calibration run"
header "ZeroMQ PUSH->PULL throughput (local_thr <- remote_thr, inproc_thr)" "$SETUP"
table thr "msg/s"
header "ZeroMQ REQ->REP latency, half a round trip (local_lat <- remote_lat, inproc_lat)" "$SETUP"
table lat "us"
echo "(rt = round trip; CPU time is GNU time's user+system for the whole process, setup included)"
