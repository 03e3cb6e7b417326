# Slide "gservice", the first snippet: the application gservice's Service()
# replaces, written with plain gevent: a TCP server sending "hello" every
# second, a WSGI server answering "hello world", and a client printing each
# line it reads from the TCP server, spawned as three greenlets and joined.
# gservice itself is Python 2 only; its Service()/add_service/serve_forever
# version of the same tree is the Rust example `service_app`.
#
# Changed from the talk (Python 2 -> 3, plus one bug fix):
# - `import gevent`: the slide calls gevent.spawn/joinall without importing gevent.
# - print() is a function; `print "<<<", line,` becomes print(..., end='') so
#   the output is the same "<<< hello\n". socket.send takes bytes, and a WSGI
#   body is an iterable of bytes.
# - EOF: readline returns '' at EOF, not None as the slide's comment says, so
#   `if line is not None` would spin forever; `if line:` stops at EOF.
# - The addresses are optional arguments (the client connects to the TCP
#   address), so tests can use free ports; the defaults are the talk's
#   127.0.0.1:1234 and 127.0.0.1:8080. stdout is line-buffered for pipes.
#
# Pairs with the Rust example `service_app`.
# Run:   compat/.venv/bin/python compat/service_app.py [TCP_HOST:PORT [HTTP_HOST:PORT]]
# Talk:  prints "new tcp connection!" then "<<< hello" once a second;
#        curl http://127.0.0.1:8080/ answers "hello world".
import sys

import gevent
from gevent.pywsgi import WSGIServer
from gevent.server import StreamServer
from gevent.socket import create_connection

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


def client_connect(address):
    sockfile = create_connection(address).makefile()
    while True:
        line = sockfile.readline()  # returns '' on EOF (the talk said None)
        if line:
            print("<<<", line, end='')
        else:
            break


tcp_addr = parse_addr(sys.argv[1] if len(sys.argv) > 1 else None, ('127.0.0.1', 1234))
http_addr = parse_addr(sys.argv[2] if len(sys.argv) > 2 else None, ('127.0.0.1', 8080))

tcp_server = StreamServer(tcp_addr, handle_tcp)
http_server = WSGIServer(http_addr, handle_http)
greenlets = [
    gevent.spawn(tcp_server.serve_forever),
    gevent.spawn(http_server.serve_forever),
    gevent.spawn(client_connect, tcp_addr),
]
gevent.joinall(greenlets)
