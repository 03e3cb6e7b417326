#!/usr/bin/env bash
# benches/run_instr.sh: user-space instructions per HTTP keep-alive request
# (BENCH=http, the default) or per echo round trip (BENCH=echo), counted by
# callgrind in the server process alone, greenline against its peers. See
# BENCHMARKS.md. (`run_http_instr.sh` is this script with BENCH=http.)
#
#   bash benches/run_instr.sh                    # HTTP: 5000 requests per peer
#   REQUESTS=20000 PEERS="greenline minihttp" bash benches/run_instr.sh
#   BENCH=echo bash benches/run_instr.sh         # echo: greenline, tokio, raw may
#
# CPU time on this machine moves by several percent from minute to minute;
# instruction counts do not. Each server runs under callgrind; a client
# (Python, outside callgrind) sends one request at a time on one keep-alive
# connection and reads each response before the next, as a wrk connection
# does; for echo it holds 64 connections, sends 64 bytes on each, then reads
# each echo back, round after round. After a warm-up the counters are
# dumped (and so zeroed), then REQUESTS requests (or ROUNDTRIPS round trips,
# 64000) run and they are dumped again: that second dump holds only the
# measured part. The kernel's share is not counted: the system calls per
# request are for `strace -c` (see BENCHMARKS.md). With one HTTP connection
# each request is also one pass of the event loop, which under wrk's 64
# connections is shared by many; both servers on may pay that alike.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

BENCH="${BENCH:-http}"
PORT=8095
command -v valgrind >/dev/null || die "needs valgrind (apt-get install valgrind)"
command -v callgrind_control >/dev/null || die "needs callgrind_control (valgrind)"

case "$BENCH" in
http)
    PEERS="${PEERS:-greenline minihttp hyper}"
    N="${REQUESTS:-5000}"; WARM=500; unit=request
    build_greenline http_hello
    build_peers minihttp_hello hyper_hello ;;
echo)
    PEERS="${PEERS:-greenline tokio may}"
    N="${ROUNDTRIPS:-64000}"; WARM=640; unit="round trip"
    build_greenline echo_bench_server
    build_peers tokio_echo may_echo ;;
*) die "BENCH is http or echo" ;;
esac

# client N: N keep-alive requests on one connection, one at a time; or, for
# echo, N round trips over 64 connections of 64 bytes.
client() {
    python3 - "$BENCH" "$PORT" "$1" <<'PY'
import socket, sys
bench, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def connect():
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s
if bench == "http":
    s = connect()
    for _ in range(n):
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        # Each response fits one read and ends with the body.
        assert s.recv(4096).endswith(b"Hello, World!")
    s.close()
else:
    conns = [connect() for _ in range(64)]
    msg = b"x" * 64
    for _ in range(n // 64):
        for s in conns:
            s.sendall(msg)
        for s in conns:
            got = b""
            while len(got) < 64:
                part = s.recv(64 - len(got))
                assert part, "the server closed a connection"
                got += part
            assert got == msg
    for s in conns:
        s.close()
PY
}

# count PEER CMD...: instructions per request (or round trip) in CMD's
# process.
count() {
    local peer="$1"; shift
    local out="$LOGDIR/$peer.callgrind"
    # The environment is set outside valgrind: callgrind does not follow
    # exec, so `env` must not be the program it runs.
    valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >"$LOGDIR/$peer.log" 2>&1 &
    local vg=$!
    PIDS+=("$vg")
    wait_port "$PORT" || die "$peer did not listen on port $PORT under callgrind"
    client "$WARM"
    callgrind_control -d "$vg" >/dev/null
    client "$N"
    callgrind_control -d "$vg" >/dev/null
    kill "$vg" 2>/dev/null || true
    wait "$vg" 2>/dev/null || true
    # The last dump: `summary:` is its instruction total.
    local total
    total="$(grep -h '^summary:' "$out".* 2>/dev/null | tail -1 | awk '{ print $2 }')"
    awk -v t="${total:-0}" -v n="$N" 'BEGIN { if (t > 0) printf "%.0f\n", t / n; else print "-" }'
}

declare -A INSTR
for peer in $PEERS; do
    case "$BENCH.$peer" in
    http.greenline) INSTR[$peer]="$(GREENLINE_WORKERS=1 count "$peer" "$EX/http_hello" "127.0.0.1:$PORT" --no-access-log)" ;;
    http.minihttp) INSTR[$peer]="$(MAY_WORKERS=1 count "$peer" "$BIN/minihttp_hello" "127.0.0.1:$PORT")" ;;
    http.hyper) INSTR[$peer]="$(count "$peer" "$BIN/hyper_hello" "127.0.0.1:$PORT")" ;;
    echo.greenline) INSTR[$peer]="$(GREENLINE_WORKERS=1 count "$peer" "$EX/echo_bench_server" "127.0.0.1:$PORT")" ;;
    echo.tokio) INSTR[$peer]="$(count "$peer" "$BIN/tokio_echo" "127.0.0.1:$PORT")" ;;
    echo.may) INSTR[$peer]="$(MAY_WORKERS=1 count "$peer" "$BIN/may_echo" "127.0.0.1:$PORT")" ;;
    *) die "unknown $BENCH peer $peer" ;;
    esac
    echo "  $peer: ${INSTR[$peer]} instructions per $unit" >&2
done

if [ "$BENCH" = http ]; then
    header "HTTP keep-alive, user-space instructions per request (callgrind, server only)" \
        "one connection, $N requests one at a time after $WARM unmeasured"
else
    header "TCP echo, user-space instructions per round trip (callgrind, server only)" \
        "64 connections of 64-byte ping-pong, $N round trips after $WARM unmeasured"
fi
printf "%-12s %14s %9s\n" peer "instr/${unit// /-}" "gl/peer"
for peer in $PEERS; do
    printf "%-12s %14s %9s\n" "$peer" "${INSTR[$peer]}" "$(ratio "${INSTR[greenline]:--}" "${INSTR[$peer]}")"
done
