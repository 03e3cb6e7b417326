# Slide "Echo in Python", server: a pyzmq REP socket echoing every request.
#
# Changed from the talk (Python 2 -> 3, plus what a test needs):
# - print() is a function; the message is bytes, decoded only for printing.
# - The endpoint is an optional argument (default the talk's
#   tcp://127.0.0.1:5000), so tests can use a free port.
# - An optional COUNT makes the server exit after that many messages, so a test
#   run ends by itself; without it the server loops forever as in the talk.
#   Before exiting it closes with a 1 s linger so the last reply is flushed.
# - stdout is line-buffered because tests read it through a pipe.
#
# Pairs with the Rust example `echo_server`; any echo_client.{py,rb,php} talks to it.
# Run:   compat/.venv/bin/python compat/echo_server.py [ENDPOINT [COUNT]]
import sys

import zmq

sys.stdout.reconfigure(line_buffering=True)

endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5000"
count = int(sys.argv[2]) if len(sys.argv) > 2 else None

context = zmq.Context()
socket = context.socket(zmq.REP)
socket.bind(endpoint)

served = 0
while count is None or served < count:
    msg = socket.recv()
    print("Received", msg.decode())
    socket.send(msg)
    served += 1

socket.close(linger=1000)
context.term()
