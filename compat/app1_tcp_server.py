# Slide "Building a Networking App", step 1: "Basic gevent TCP server".
#
# Changed from the talk (Python 2 -> 3, nothing else):
# - `import gevent`: the slide calls gevent.sleep without importing gevent
#   (a NameError on the first connection as printed).
# - print() is a function; socket.send takes bytes, so b'hello\n'.
# - The address is an optional argument, so tests can use a free port; the
#   default is the talk's 127.0.0.1:1234. stdout is line-buffered because tests
#   read it through a pipe.
#
# Pairs with the Rust example `app1_tcp_server`.
# Run:   compat/.venv/bin/python compat/app1_tcp_server.py [HOST:PORT]
# Talk:  nc 127.0.0.1 1234      (prints hello once a second)
import sys

import gevent
from gevent.server import StreamServer

sys.stdout.reconfigure(line_buffering=True)


def parse_addr(arg, default):
    """'host:port' -> (host, port); the talk's address when arg is None."""
    if arg is None:
        return default
    host, _, port = arg.rpartition(':')
    return (host, int(port))


def handle_tcp(socket, address):
    print('new tcp connection!')
    while True:
        socket.send(b'hello\n')
        gevent.sleep(1)


tcp_addr = parse_addr(sys.argv[1] if len(sys.argv) > 1 else None, ('127.0.0.1', 1234))

tcp_server = StreamServer(tcp_addr, handle_tcp)
tcp_server.serve_forever()
