#!/usr/bin/env bash
# benches/run_http_instr.sh: user-space instructions per keep-alive request,
# counted by callgrind in the server process alone, greenline against
# may_minihttp and hyper. See BENCHMARKS.md.
#
#   bash benches/run_http_instr.sh               # 5000 requests per peer
#   REQUESTS=20000 PEERS="greenline minihttp" bash benches/run_http_instr.sh
#
# CPU time on this machine moves by several percent from minute to minute;
# instruction counts do not. Each server runs under callgrind; a client
# (Python, outside callgrind) sends one request at a time on one keep-alive
# connection and reads each response before the next, as a wrk connection
# does. After a warm-up the counters are dumped (and so zeroed), then
# REQUESTS requests run and they are dumped again: that second dump holds
# only the requests. The kernel's share is not counted: the system calls
# per request are for `strace -c` (see BENCHMARKS.md). With one connection
# each request is also one pass of the event loop, which under wrk's 64
# connections is shared by many; both servers on may pay that alike.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PEERS="${PEERS:-greenline minihttp hyper}"
REQUESTS="${REQUESTS:-5000}"
PORT=8095
command -v valgrind >/dev/null || die "needs valgrind (apt-get install valgrind)"
command -v callgrind_control >/dev/null || die "needs callgrind_control (valgrind)"

build_greenline http_hello
build_peers minihttp_hello hyper_hello

# client N: N keep-alive requests on one connection, one at a time.
client() {
    python3 - "$PORT" "$1" <<'EOF'
import socket, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
s = socket.create_connection(("127.0.0.1", port))
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
for _ in range(n):
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    # Each response fits one read and ends with the body.
    assert s.recv(4096).endswith(b"Hello, World!")
s.close()
EOF
}

# count PEER CMD...: instructions per request in CMD's process.
count() {
    local peer="$1"; shift
    local out="$LOGDIR/$peer.callgrind"
    # The environment is set outside valgrind: callgrind does not follow
    # exec, so `env` must not be the program it runs.
    valgrind --tool=callgrind --callgrind-out-file="$out" "$@" >"$LOGDIR/$peer.log" 2>&1 &
    local vg=$!
    PIDS+=("$vg")
    wait_port "$PORT" || die "$peer did not listen on port $PORT under callgrind"
    client 500
    callgrind_control -d "$vg" >/dev/null
    client "$REQUESTS"
    callgrind_control -d "$vg" >/dev/null
    kill "$vg" 2>/dev/null || true
    wait "$vg" 2>/dev/null || true
    # The last dump: `summary:` is its instruction total.
    local total
    total="$(grep -h '^summary:' "$out".* 2>/dev/null | tail -1 | awk '{ print $2 }')"
    awk -v t="${total:-0}" -v n="$REQUESTS" 'BEGIN { if (t > 0) printf "%.0f\n", t / n; else print "-" }'
}

declare -A INSTR
for peer in $PEERS; do
    case "$peer" in
    greenline) INSTR[$peer]="$(GREENLINE_WORKERS=1 count "$peer" "$EX/http_hello" "127.0.0.1:$PORT" --no-access-log)" ;;
    minihttp) INSTR[$peer]="$(MAY_WORKERS=1 count "$peer" "$BIN/minihttp_hello" "127.0.0.1:$PORT")" ;;
    hyper) INSTR[$peer]="$(count "$peer" "$BIN/hyper_hello" "127.0.0.1:$PORT")" ;;
    *) die "unknown peer $peer (greenline minihttp hyper)" ;;
    esac
    echo "  $peer: ${INSTR[$peer]} instructions per request" >&2
done

header "HTTP keep-alive, user-space instructions per request (callgrind, server only)" \
    "one connection, $REQUESTS requests one at a time after 500 unmeasured"
printf "%-12s %14s %9s\n" peer "instr/request" "gl/peer"
for peer in $PEERS; do
    printf "%-12s %14s %9s\n" "$peer" "${INSTR[$peer]}" "$(ratio "${INSTR[greenline]:--}" "${INSTR[$peer]}")"
done
