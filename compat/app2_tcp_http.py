# Slide "Building a Networking App", step 2: "Basic gevent TCP server and WSGI server".
#
# Changed from the talk (Python 2 -> 3, nothing else):
# - `import gevent`: the slide calls gevent.sleep without importing gevent.
# - print() is a function; socket.send takes bytes (b'hello\n') and a WSGI
#   body is an iterable of bytes (b"hello world"), as PEP 3333 requires.
# - The addresses are optional arguments, so tests can use free ports; the
#   defaults are the talk's 127.0.0.1:1234 (TCP) and 127.0.0.1:8080 (HTTP).
#   stdout is line-buffered because tests read it through a pipe.
#
# Pairs with the Rust example `app2_tcp_http`.
# Run:   compat/.venv/bin/python compat/app2_tcp_http.py [TCP_HOST:PORT [HTTP_HOST:PORT]]
# Talk:  nc 127.0.0.1 1234;  curl http://127.0.0.1:8080/
import sys

import gevent
from gevent.pywsgi import WSGIServer
from gevent.server import StreamServer

sys.stdout.reconfigure(line_buffering=True)


def parse_addr(arg, default):
    """'host:port' -> (host, port); the talk's address when arg is None."""
    if arg is None:
        return default
    host, _, port = arg.rpartition(':')
    return (host, int(port))


def handle_http(env, start_response):
    start_response('200 OK', [('Content-Type', 'text/html')])
    print('new http request!')
    return [b"hello world"]


def handle_tcp(socket, address):
    print('new tcp connection!')
    while True:
        socket.send(b'hello\n')
        gevent.sleep(1)


tcp_addr = parse_addr(sys.argv[1] if len(sys.argv) > 1 else None, ('127.0.0.1', 1234))
http_addr = parse_addr(sys.argv[2] if len(sys.argv) > 2 else None, ('127.0.0.1', 8080))

tcp_server = StreamServer(tcp_addr, handle_tcp)
tcp_server.start()

http_server = WSGIServer(http_addr, handle_http)
http_server.serve_forever()
