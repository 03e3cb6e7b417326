"""gevent's pywsgi "Hello, World!": the floor of the plaintext benchmark.

Usage: compat/.venv/bin/python benches/peers/gevent_hello.py [ADDR] [--nodelay]

ADDR defaults to 127.0.0.1:8083. The access log is off (``log=None``), as
it is for every server in the benchmark. pywsgi leaves Nagle's algorithm
on; ``--nodelay`` sets TCP_NODELAY on each accepted socket, as greenline,
hyper and may_minihttp do, so both variants can be measured.
"""
import socket
import sys

from gevent.pywsgi import WSGIServer

BODY = b"Hello, World!"


def hello(environ, start_response):
    start_response("200 OK", [("Content-Type", "text/plain"),
                              ("Content-Length", str(len(BODY)))])
    return [BODY]


class NoDelayServer(WSGIServer):
    def handle(self, sock, address):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return super().handle(sock, address)


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    host, port = (args[0] if args else "127.0.0.1:8083").rsplit(":", 1)
    cls = NoDelayServer if "--nodelay" in sys.argv else WSGIServer
    server = cls((host, int(port)), hello, log=None, backlog=1024)
    print("gevent_hello: serving on http://%s:%s%s" % (
        host, port, " (TCP_NODELAY)" if cls is NoDelayServer else ""),
        file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
