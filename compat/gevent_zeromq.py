# Slide "ZeroMQ in gevent?": the gevent-zeromq README example, a REP server
# greenlet and a REQ client greenlet in one process.
#
# Changed from the talk:
# - `from gevent_zeromq import zmq` becomes `import zmq.green as zmq`: the
#   gevent_zeromq package was merged into pyzmq (0.2 -> pyzmq 2.2) and is no
#   longer maintained; zmq.green is the same idea (sockets that yield to the
#   gevent hub instead of blocking the thread) under pyzmq's own name.
# - tcp://localhost:5559 becomes tcp://127.0.0.1:5559: libzmq resolves
#   "localhost" through the resolver (127.0.0.1 here, but ::1 or nothing on
#   some hosts), and the project keeps every test on IPv4 loopback by number.
#   The endpoint is an optional argument so tests can use a free port.
# - print() is a function; messages are bytes ("Hello"/"World" encoded,
#   decoded for printing). The output lines match Python 2's byte for byte,
#   including the double space after "Received request:".
# - After the client greenlet ends, the context is destroyed with linger 0:
#   the server greenlet still sits in recv(), and the talk relied on the
#   interpreter dropping it at exit.
# - stdout is line-buffered because tests read it through a pipe.
#
# Pairs with the Rust example `gevent_zeromq`.
# Run:   compat/.venv/bin/python compat/gevent_zeromq.py [ENDPOINT]
import sys

from gevent import spawn
import zmq.green as zmq

sys.stdout.reconfigure(line_buffering=True)

endpoint = sys.argv[1] if len(sys.argv) > 1 else "tcp://127.0.0.1:5559"

context = zmq.Context()


def serve():
    socket = context.socket(zmq.REP)
    socket.bind(endpoint)
    while True:
        message = socket.recv()
        print("Received request: ", message.decode())
        socket.send(b"World")


server = spawn(serve)


def client():
    socket = context.socket(zmq.REQ)
    socket.connect(endpoint)
    for request in range(10):
        socket.send(b"Hello")
        message = socket.recv()
        print("Received reply ", request, "[", message.decode(), "]")


spawn(client).join()
server.kill()
context.destroy(linger=0)
