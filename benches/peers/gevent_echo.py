"""gevent StreamServer echo: the gevent peer of the echo benchmark.
Every byte read is written back, TCP_NODELAY on, as the other echo servers.

Usage: compat/.venv/bin/python benches/peers/gevent_echo.py [ADDR]
(default 127.0.0.1:5013)
"""
import socket
import sys

from gevent.server import StreamServer


def echo(sock, address):
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    recv, sendall = sock.recv, sock.sendall
    while True:
        data = recv(4096)
        if not data:
            return
        sendall(data)


def main():
    host, port = (sys.argv[1] if len(sys.argv) > 1 else "127.0.0.1:5013").rsplit(":", 1)
    server = StreamServer((host, int(port)), echo, backlog=1024)
    print("gevent_echo: serving on %s:%s" % (host, port), file=sys.stderr, flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
