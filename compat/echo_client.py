# Slide "Echo in Python", client: a pyzmq REQ socket sending "msg 0".."msg 9".
#
# Changed from the talk (Python 2 -> 3, plus what a test needs):
# - print() is a function; messages are encoded to bytes to send.
# - The talk's client never looks at the reply. This one prints it and exits 1
#   when a reply differs from its request, so a run checks the echo.
# - RCVTIMEO/SNDTIMEO of 5 s: with no server the talk's client waits forever;
#   this one prints an error and exits 1. LINGER 0 so an unsent request cannot
#   keep the process alive at exit.
# - The endpoint is an optional argument (default the talk's tcp://127.0.0.1:5000).
# - stdout is line-buffered because tests read it through a pipe.
#
# Pairs with the Rust example `echo_client`; talks to any echo_server.{py,rb,php}.
# Run:   compat/.venv/bin/python compat/echo_client.py [ENDPOINT]
# Exit:  0 when all ten replies echo their requests, 1 otherwise.
import sys

import zmq

sys.stdout.reconfigure(line_buffering=True)

endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5000"

context = zmq.Context()
socket = context.socket(zmq.REQ)
socket.setsockopt(zmq.RCVTIMEO, 5000)
socket.setsockopt(zmq.SNDTIMEO, 5000)
socket.setsockopt(zmq.LINGER, 0)
socket.connect(endpoint)

status = 0
for i in range(10):
    msg = "msg %s" % i
    try:
        socket.send(msg.encode())
        print("Sending", msg)
        reply = socket.recv().decode()
    except zmq.Again:
        print("echo_client: no reply within 5 s from", endpoint, file=sys.stderr)
        status = 1
        break
    print("Received reply", reply)
    if reply != msg:
        print("echo_client: reply %r differs from request %r" % (reply, msg), file=sys.stderr)
        status = 1
        break

socket.close()
context.term()
sys.exit(status)
