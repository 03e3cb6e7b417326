# A libzmq socket driven line by line over stdin/stdout, for greenline's
# interop tests (tests/zmq_interop.rs). Not a port of anything in the talk.
#
# One process holds one pyzmq socket (pyzmq's wheel bundles libzmq 4.3.5) and
# runs many checks, so a test pays for one interpreter start. Each command is
# one line on stdin; each answer is one line on stdout, starting with "ok",
# "msg", "ev" or "err". An exception answers "err <Name> <text>" and the peer
# keeps going; EOF on stdin ends it (so it dies with the test process).
#
#   new TYPE                socket of zmq.TYPE (REQ, ROUTER, XPUB, ...)   -> ok
#   opt NAME INT            setsockopt(zmq.NAME, INT)                      -> ok
#   optb NAME FRAME         setsockopt(zmq.NAME, bytes)                    -> ok
#   monitor                 count this socket's monitor events             -> ok
#   bind EP                 -> ok LAST_ENDPOINT
#   connect EP              -> ok
#   send FRAME...           send_multipart; retries EHOSTUNREACH (a ROUTER
#                           with ROUTER_MANDATORY before the handshake) for 5 s -> ok
#   recv [MS]               recv_multipart within MS (default 5000)  -> msg FRAME... | err Again
#   echo N                  N times: receive a message, send it back       -> ok
#   events                  -> ev NAME=COUNT ... (monitor events so far, by name)
#   wait NAME N [MS]        until N events NAME were seen (default 5000 ms) -> ok | err Timeout
#   sleep MS                -> ok
#
# FRAME: "x" + hex octets ("x" alone is an empty frame), or "*N": N octets
# i % 256 for i in 0..N (so a 1 MiB frame costs a few characters). Received
# frames are written the same way: "*N" when they are that pattern and at
# least 256 octets long, hex otherwise.
#
# Run:   compat/.venv/bin/python compat/zmq_peer.py   (then type commands)
import sys
import time

import zmq
from zmq.utils.monitor import recv_monitor_message

PATTERN = bytes(range(256))


def pattern(n):
    return (PATTERN * (n // 256 + 1))[:n]


def decode(token):
    if token.startswith("*"):
        return pattern(int(token[1:]))
    if token.startswith("x"):
        return bytes.fromhex(token[1:])
    raise ValueError("bad frame token %r" % token)


def encode(frame):
    if len(frame) >= 256 and frame == pattern(len(frame)):
        return "*%d" % len(frame)
    return "x" + frame.hex()


EVENT_NAMES = {
    value: name[len("EVENT_"):].lower()
    for name, value in vars(zmq).items()
    if name.startswith("EVENT_") and isinstance(value, int) and name != "EVENT_ALL"
}

ctx = zmq.Context()
sock = None
monitor = None
events = {}


def drain_monitor(timeout_ms=0):
    """Counts the monitor events queued now (waiting up to timeout_ms for one)."""
    if monitor is None:
        return
    while monitor.poll(timeout_ms):
        event = recv_monitor_message(monitor)
        name = EVENT_NAMES.get(event["event"], str(event["event"]))
        events[name] = events.get(name, 0) + 1
        timeout_ms = 0


def send(frames):
    deadline = time.monotonic() + 5
    while True:
        try:
            sock.send_multipart(frames)
            return
        except zmq.ZMQError as e:
            if e.errno != zmq.EHOSTUNREACH or time.monotonic() > deadline:
                raise
            time.sleep(0.005)


def recv(timeout_ms):
    sock.setsockopt(zmq.RCVTIMEO, timeout_ms)
    return sock.recv_multipart()


def handle(words):
    global sock, monitor
    cmd, args = words[0], words[1:]
    if cmd == "new":
        sock = ctx.socket(getattr(zmq, args[0]))
        sock.setsockopt(zmq.SNDTIMEO, 5000)
        sock.setsockopt(zmq.RCVTIMEO, 5000)
        sock.setsockopt(zmq.LINGER, 1000)
        return "ok"
    if cmd == "opt":
        sock.setsockopt(getattr(zmq, args[0]), int(args[1]))
        return "ok"
    if cmd == "optb":
        sock.setsockopt(getattr(zmq, args[0]), decode(args[1]))
        return "ok"
    if cmd == "monitor":
        monitor = sock.get_monitor_socket()
        return "ok"
    if cmd == "bind":
        sock.bind(args[0])
        return "ok " + sock.getsockopt(zmq.LAST_ENDPOINT).decode()
    if cmd == "connect":
        sock.connect(args[0])
        return "ok"
    if cmd == "send":
        send([decode(t) for t in args])
        return "ok"
    if cmd == "recv":
        frames = recv(int(args[0]) if args else 5000)
        return " ".join(["msg"] + [encode(f) for f in frames])
    if cmd == "echo":
        for _ in range(int(args[0])):
            send(recv(5000))
        return "ok"
    if cmd == "events":
        drain_monitor()
        return " ".join(["ev"] + ["%s=%d" % kv for kv in sorted(events.items())])
    if cmd == "wait":
        name, want = args[0], int(args[1])
        deadline = time.monotonic() + (int(args[2]) if len(args) > 2 else 5000) / 1000
        drain_monitor()
        while events.get(name, 0) < want:
            left = deadline - time.monotonic()
            if left <= 0:
                return "err Timeout %s=%d" % (name, events.get(name, 0))
            drain_monitor(int(left * 1000) + 1)
        return "ok"
    if cmd == "sleep":
        time.sleep(int(args[0]) / 1000)
        return "ok"
    raise ValueError("unknown command %r" % cmd)


for line in sys.stdin:
    words = line.split()
    if not words:
        continue
    try:
        answer = handle(words)
    except zmq.Again:
        answer = "err Again"
    except Exception as e:  # report and keep serving: the test decides
        answer = "err %s %s" % (type(e).__name__, str(e).replace("\n", " "))
    sys.stdout.write(answer + "\n")
    sys.stdout.flush()

if monitor is not None:
    sock.disable_monitor()
    monitor.close(linger=0)
if sock is not None:
    sock.close()
ctx.term()
