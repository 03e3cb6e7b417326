#!/usr/bin/env bash
# compat/selftest.sh: check that the reference originals work against each other,
# before anything compares the Rust ports against them.
#
#   bash compat/selftest.sh          # from any directory; runs compat/setup.sh first
#   COMPAT_SKIP_SETUP=1 bash compat/selftest.sh
#
# What it runs, all on 127.0.0.1 and on free ports:
# - echo: each client (Python, Ruby, PHP) against each server (9 pairs), with
#   the exact lines both sides print; each client against a server that answers
#   the wrong thing (must exit 1), and against no server at all (must exit 1).
# - app1..app4: a raw TCP read of two "hello" lines, curl for "hello world"
#   (app2..app4), and the lines each app prints ("new tcp connection!", ...).
# - gevent_zeromq: its exact twenty lines.
# - gevent's examples: echoserver (a client's exchange, the lines it prints),
#   portforwarder (gevent's own test: data before and after SIGTERM arrives,
#   exit 0), udp_server with udp_client, processes and threadpool (their
#   output), geventsendfile (a client gets the whole file).
#
# Every process runs under `timeout 20`; servers are polled until their port is
# listening (bounded retries, read from /proc/net/tcp so the poll itself opens no
# connection the server would print about); every process still running is
# killed on exit. Ends with "N passed, M failed" and exits 1 if any failed.
set -uo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
py="$here/.venv/bin/python"

if [ "${COMPAT_SKIP_SETUP:-}" != 1 ]; then
    bash "$here/setup.sh" || exit 1
fi
[ -x "$py" ] || { echo "compat/selftest.sh: no $py: run compat/setup.sh first" >&2; exit 1; }

work="$(mktemp -d)"
pids=()        # every background process started (a `timeout` leading its own process group)
passed=0
failed=0
why=""         # set by a failing check, printed by run_test

# stop PID: TERM the process group, KILL it if it is still there after 5 s.
stop() {
    local pid=$1 i
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL -- "-$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

stop_all() {
    local pid
    for pid in "${pids[@]}"; do stop "$pid"; done
    pids=()
}

cleanup() {
    stop_all
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# free_port: a TCP port on 127.0.0.1 that nothing listens on right now.
free_port() {
    "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# start NAME CMD...: run CMD in the background under `timeout 20`, stdout and
# stderr in $work/NAME.out and $work/NAME.err; its pid lands in $last_pid.
# timeout makes itself a process group leader, so stop() reaches its children too.
start() {
    local name=$1
    shift
    timeout 20 "$@" >"$work/$name.out" 2>"$work/$name.err" </dev/null &
    last_pid=$!
    pids+=("$last_pid")
}

# wait_listen PORT PID: poll until 127.0.0.1:PORT is listening (up to 10 s),
# failing at once if process PID has exited.
wait_listen() {
    local port=$1 pid=$2 hex i
    hex="$(printf '%04X' "$port")"
    for ((i = 0; i < 100; i++)); do
        if awk -v want="0100007F:$hex" '$2 == want && $4 == "0A" { found = 1 } END { exit !found }' /proc/net/tcp; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { why="server exited before listening on $port"; return 1; }
        sleep 0.1
    done
    why="nothing listening on 127.0.0.1:$port after 10 s"
    return 1
}

# wait_udp PORT PID: like wait_listen, for a UDP socket bound to 127.0.0.1:PORT.
wait_udp() {
    local port=$1 pid=$2 hex i
    hex="$(printf '%04X' "$port")"
    for ((i = 0; i < 100; i++)); do
        if awk -v want="0100007F:$hex" '$2 == want && $4 == "07" { found = 1 } END { exit !found }' /proc/net/udp; then
            return 0
        fi
        kill -0 "$pid" 2>/dev/null || { why="server exited before binding $port"; return 1; }
        sleep 0.1
    done
    why="nothing bound to udp 127.0.0.1:$port after 10 s"
    return 1
}

# wait_line FILE LINE: poll until FILE holds LINE as a whole line (up to 10 s).
wait_line() {
    local file=$1 line=$2 i
    for ((i = 0; i < 100; i++)); do
        grep -qxF -- "$line" "$file" 2>/dev/null && return 0
        sleep 0.1
    done
    why="no line '$line' in $(basename "$file") after 10 s"
    return 1
}

# read_hello PORT: connect to 127.0.0.1:PORT and expect two "hello" lines, the
# way the talk's client sees them (5 s timeout on each read).
read_hello() {
    local got
    got="$(timeout 20 "$py" - "$1" 2>&1 <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb")
for _ in range(2):
    sys.stdout.write(f.readline().decode())
s.close()
EOF
)"
    [ "$got" = $'hello\nhello' ] || { why="raw TCP read got: $(printf '%q' "$got")"; return 1; }
}

# get_hello_world PORT: curl http://127.0.0.1:PORT/ and check status, type, body.
get_hello_world() {
    local body
    body="$(curl -sS --max-time 5 -D "$work/headers" "http://127.0.0.1:$1/" 2>&1)" \
        || { why="curl failed: $body"; return 1; }
    [ "$body" = "hello world" ] || { why="curl body: $(printf '%q' "$body")"; return 1; }
    head -n1 "$work/headers" | grep -q '^HTTP/1\.[01] 200' \
        || { why="status line: $(head -n1 "$work/headers")"; return 1; }
    grep -qi '^content-type: text/html' "$work/headers" \
        || { why="no Content-Type: text/html in headers"; return 1; }
}

# expect_exact FILE TEXT: FILE's content is exactly TEXT.
expect_exact() {
    [ "$(cat "$1")" = "$2" ] || { why="$(basename "$1") differs from the expected lines"; return 1; }
}

# run_test NAME FUNCTION ARGS...: run one test, print ok/FAIL, count it, and
# stop whatever it left running.
run_test() {
    local name=$1
    shift
    why=""
    rm -f "$work"/*.out "$work"/*.err "$work/headers"
    if "$@"; then
        echo "ok   $name"
        passed=$((passed + 1))
    else
        echo "FAIL $name: ${why:-exit status}"
        local f
        for f in "$work"/*.out "$work"/*.err; do
            [ -s "$f" ] && { echo "  --- $(basename "$f"):"; tail -n 8 "$f" | sed 's/^/  /'; }
        done
        failed=$((failed + 1))
    fi
    stop_all
}

# The command that runs each original, by language.
declare -A server=(
    [py]="$py $here/echo_server.py"
    [rb]="ruby $here/echo_server.rb"
    [php]="php $here/echo_server.php"
)
declare -A client=(
    [py]="$py $here/echo_client.py"
    [rb]="ruby $here/echo_client.rb"
    [php]="php $here/echo_client.php"
)

expected_client=""
expected_server=""
for i in 0 1 2 3 4 5 6 7 8 9; do
    expected_client+="Sending msg $i"$'\n'"Received reply msg $i"$'\n'
    expected_server+="Received msg $i"$'\n'
done
expected_client="${expected_client%$'\n'}"
expected_server="${expected_server%$'\n'}"

# echo_pair SERVER_LANG CLIENT_LANG: ten requests, both sides' lines exact.
echo_pair() {
    local port srv rc
    port="$(free_port)"
    # shellcheck disable=SC2086  # the command strings split into words on purpose
    start server ${server[$1]} "tcp://127.0.0.1:$port" 10
    srv=$last_pid
    wait_listen "$port" "$srv" || return 1
    # shellcheck disable=SC2086
    timeout 20 ${client[$2]} "tcp://127.0.0.1:$port" >"$work/client.out" 2>"$work/client.err"
    rc=$?
    [ $rc -eq 0 ] || { why="client exited $rc"; return 1; }
    wait "$srv"
    rc=$?
    [ $rc -eq 0 ] || { why="server exited $rc"; return 1; }
    expect_exact "$work/client.out" "$expected_client" || return 1
    expect_exact "$work/server.out" "$expected_server" || return 1
}

# echo_wrong CLIENT_LANG: a REP server that answers "wrong"; the client must exit 1.
echo_wrong() {
    local port rc
    port="$(free_port)"
    start wrong "$py" -c '
import sys, zmq
s = zmq.Context().socket(zmq.REP)
s.bind(sys.argv[1])
s.recv()
s.send(b"wrong")
s.close(linger=1000)' "tcp://127.0.0.1:$port"
    wait_listen "$port" "$last_pid" || return 1
    # shellcheck disable=SC2086
    timeout 20 ${client[$1]} "tcp://127.0.0.1:$port" >"$work/client.out" 2>"$work/client.err"
    rc=$?
    [ $rc -eq 1 ] || { why="client exited $rc, want 1"; return 1; }
    grep -q differs "$work/client.err" || { why="client did not report the differing reply"; return 1; }
}

# echo_no_server: every client, with nobody listening, exits 1 on its 5 s timeout
# (the three run at once, so this takes about 5 s).
echo_no_server() {
    local port lang rc
    port="$(free_port)"
    declare -A cpid
    for lang in py rb php; do
        # shellcheck disable=SC2086
        timeout 20 ${client[$lang]} "tcp://127.0.0.1:$port" >"$work/$lang.out" 2>"$work/$lang.err" &
        cpid[$lang]=$!
    done
    for lang in py rb php; do
        wait "${cpid[$lang]}"
        rc=$?
        [ $rc -eq 1 ] || why+="$lang client exited $rc, want 1; "
    done
    [ -z "$why" ]
}

# app_test SCRIPT WITH_HTTP WITH_CLIENT: the talk's networking apps.
app_test() {
    local script=$1 with_http=$2 with_client=$3 tport hport app
    tport="$(free_port)"
    hport="$(free_port)"
    while [ "$hport" = "$tport" ]; do hport="$(free_port)"; done
    start app "$py" "$here/$script" "127.0.0.1:$tport" "127.0.0.1:$hport"
    app=$last_pid
    wait_listen "$tport" "$app" || return 1
    if [ "$with_client" = 1 ]; then
        # The app's own client greenlet connects and prints what it reads.
        wait_line "$work/app.out" "<<< hello" || return 1
    fi
    read_hello "$tport" || return 1
    wait_line "$work/app.out" "new tcp connection!" || return 1
    if [ "$with_http" = 1 ]; then
        wait_listen "$hport" "$app" || return 1
        get_hello_world "$hport" || return 1
        wait_line "$work/app.out" "new http request!" || return 1
    fi
    if [ "$with_client" = 1 ]; then
        # Two connections: the app's own client and read_hello.
        [ "$(grep -cxF 'new tcp connection!' "$work/app.out")" -ge 2 ] \
            || { why="fewer than two 'new tcp connection!' lines"; return 1; }
    fi
}

# gevent_zeromq_test: the whole run, line for line.
gevent_zeromq_test() {
    local port rc want="" i
    port="$(free_port)"
    for i in 0 1 2 3 4 5 6 7 8 9; do
        want+="Received request:  Hello"$'\n'"Received reply  $i [ World ]"$'\n'
    done
    timeout 20 "$py" "$here/gevent_zeromq.py" "tcp://127.0.0.1:$port" >"$work/gz.out" 2>"$work/gz.err"
    rc=$?
    [ $rc -eq 0 ] || { why="exited $rc"; return 1; }
    expect_exact "$work/gz.out" "${want%$'\n'}"
}

# echoserver_test: gevent's echoserver, one client's exchange, its lines exact.
echoserver_test() {
    local port got cport
    port="$(free_port)"
    start echo "$py" "$here/echoserver.py" "127.0.0.1:$port"
    wait_listen "$port" "$last_pid" || return 1
    got="$(timeout 20 "$py" - "$port" 2>&1 <<'EOF'
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
f = s.makefile("rb")
print(f.readline())
s.sendall(b"hello\r\n")
print(f.readline())
s.sendall(b"quit\r\n")
print(f.readline())
print(s.getsockname()[1])
EOF
)"
    cport="${got##*$'\n'}"
    [ "${got%$'\n'*}" = "b'Welcome to the echo server! Type quit to exit.\\r\\n'"$'\n'"b'hello\\r\\n'"$'\n'"b''" ] \
        || { why="client saw: $(printf '%q' "$got")"; return 1; }
    wait_line "$work/echo.out" "client quit" || return 1
    expect_exact "$work/echo.out" "Starting echo server on port $port"$'\n'"New connection from 127.0.0.1:$cport"$'\n'"echoed b'hello\\r\\n'"$'\n'"client quit"
}

# portforwarder_test: gevent's own test of it: msg1, SIGTERM, msg2, close;
# both reach the destination and the forwarder exits 0.
portforwarder_test() {
    local port got
    port="$(free_port)"
    got="$(timeout 20 "$py" - "$here/portforwarder.py" "$port" 2>&1 <<'EOF'
import signal, socket, subprocess, sys, threading, time
backend = socket.socket()
backend.bind(("127.0.0.1", 0))
backend.listen(5)
got = []
done = threading.Event()
def serve():
    conn, _ = backend.accept()
    while True:
        data = conn.recv(1024)
        if not data:
            break
        got.append(data)
    done.set()
threading.Thread(target=serve, daemon=True).start()
port = int(sys.argv[2])
fwd = subprocess.Popen([sys.executable, sys.argv[1], "127.0.0.1:%d" % port,
                        "127.0.0.1:%d" % backend.getsockname()[1]],
                       stderr=subprocess.DEVNULL)
for _ in range(100):
    try:
        conn = socket.create_connection(("127.0.0.1", port))
        break
    except OSError:
        time.sleep(0.1)
conn.sendall(b"msg1")
for _ in range(100):
    if got:
        break
    time.sleep(0.1)
fwd.send_signal(signal.SIGTERM)
time.sleep(0.5)
conn.sendall(b"msg2")
conn.close()
print(fwd.wait(10), done.wait(10), b"".join(got))
EOF
)"
    [ "$got" = "0 True b'msg1msg2'" ] || { why="got: $(printf '%q' "$got")"; return 1; }
}

# udp_test: udp_client against udp_server, both sides' lines exact.
udp_test() {
    local port
    port="$("$py" -c 'import socket; s = socket.socket(type=socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
    start udp "$py" "$here/udp_server.py" "127.0.0.1:$port"
    wait_udp "$port" "$last_pid" || return 1
    timeout 20 "$py" "$here/udp_client.py" "127.0.0.1:$port" hello world >"$work/client.out" 2>"$work/client.err" \
        || { why="udp_client exited $?"; return 1; }
    expect_exact "$work/client.out" "Sending 11 bytes to 127.0.0.1:$port"$'\n'"127.0.0.1:$port: got b'Received 11 bytes'" || return 1
    wait_line "$work/udp.out" "127.0.0.1: got b'hello world'" || return 1
    expect_exact "$work/udp.out" "Receiving datagrams on 127.0.0.1:$port"$'\n'"127.0.0.1: got b'hello world'"
}

# processes_test: uname and ls, in a directory holding two files.
processes_test() {
    mkdir -p "$work/ls" && touch "$work/ls/alpha" "$work/ls/beta"
    (cd "$work/ls" && timeout 20 "$py" "$here/processes.py") >"$work/processes.out" 2>"$work/processes.err" \
        || { why="exited $?"; return 1; }
    expect_exact "$work/processes.out" "uname: b'$(uname)\\n'"$'\n'"ls: b'alpha\\nbeta\\n'"
}

# threadpool_test: four 1 s sleeps on three threads take two rounds: 2 s
# and a little, less than the 4 s of one thread.
threadpool_test() {
    local out
    out="$(timeout 20 "$py" "$here/threadpool.py" 2>&1)" || { why="exited $?"; return 1; }
    [[ "$out" =~ ^Running\ \"time\.sleep\(1\)\"\ 4\ times\ with\ 3\ threads\.\ Should\ take\ about\ 2\ seconds:\ [23]\.[0-9]{3}s$ ]] \
        || { why="output: $(printf '%q' "$out")"; return 1; }
}

# sendfile_test: geventsendfile sends a 3 MB file whole.
sendfile_test() {
    local port
    port="$(free_port)"
    head -c 3000000 /dev/urandom >"$work/payload"
    start sendfile "$py" "$here/geventsendfile.py" "$work/payload" "127.0.0.1:$port"
    wait_listen "$port" "$last_pid" || return 1
    timeout 20 "$py" - "$port" >"$work/copy" 2>"$work/copy.err" <<'EOF' || { why="client failed"; return 1; }
import socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
while True:
    data = s.recv(65536)
    if not data:
        break
    sys.stdout.buffer.write(data)
EOF
    cmp -s "$work/payload" "$work/copy" || { why="the copy differs from the file"; return 1; }
}

for s in py rb php; do
    for c in py rb php; do
        run_test "echo: $c client -> $s server" echo_pair "$s" "$c"
    done
done
for c in py rb php; do
    run_test "echo: $c client exits 1 on a wrong reply" echo_wrong "$c"
done
run_test "echo: py/rb/php clients exit 1 with no server" echo_no_server
run_test "app1_tcp_server: raw TCP hello lines" app_test app1_tcp_server.py 0 0
run_test "app2_tcp_http: raw TCP + curl" app_test app2_tcp_http.py 1 0
run_test "app3_tcp_http_client: raw TCP + curl + client greenlet" app_test app3_tcp_http_client.py 1 1
run_test "app4_joinall: raw TCP + curl + client greenlet" app_test app4_joinall.py 1 1
run_test "gevent_zeromq: REP and REQ greenlets" gevent_zeromq_test
run_test "echoserver: a client's exchange" echoserver_test
run_test "portforwarder: data before and after SIGTERM, exit 0" portforwarder_test
run_test "udp_server + udp_client" udp_test
run_test "processes: uname and ls" processes_test
run_test "threadpool: four sleeps on three threads" threadpool_test
run_test "geventsendfile: a 3 MB file whole" sendfile_test

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
