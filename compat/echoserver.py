#!/usr/bin/env python
# gevent's examples/echoserver.py: a StreamServer echoing every line a client
# sends, until the client types quit or goes away.
#
# Changed from gevent's example (only what running it side by side needs):
# - The address is an optional argument, so tests can use a free port; the
#   default is gevent's port 16000, on 127.0.0.1 instead of 0.0.0.0 so a run
#   opens nothing to the network. The start line names the port it was given.
# - stdout is line-buffered because tests read it through a pipe.
#
# Pairs with the Rust example `echoserver`.
# Run:   compat/.venv/bin/python compat/echoserver.py [HOST:PORT]
# Talk:  telnet 127.0.0.1 16000   (or nc); type lines, then quit.
"""Simple server that listens on port 16000 and echos back every input to the client.

Connect to it with:
  telnet 127.0.0.1 16000

Terminate the connection by terminating telnet (typically Ctrl-] and then 'quit').
"""
from __future__ import print_function
import sys

from gevent.server import StreamServer

sys.stdout.reconfigure(line_buffering=True)


# this handler will be run for each incoming connection in a dedicated greenlet
def echo(socket, address):
    print('New connection from %s:%s' % address)
    socket.sendall(b'Welcome to the echo server! Type quit to exit.\r\n')
    # using a makefile because we want to use readline()
    rfileobj = socket.makefile(mode='rb')
    while True:
        line = rfileobj.readline()
        if not line:
            print("client disconnected")
            break
        if line.strip().lower() == b'quit':
            print("client quit")
            break
        socket.sendall(line)
        print("echoed %r" % line)
    rfileobj.close()

if __name__ == '__main__':
    host, _, port = (sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1:16000').rpartition(':')
    # to make the server use SSL, pass certfile and keyfile arguments to the constructor
    server = StreamServer((host, int(port)), echo)
    # to start the server asynchronously, use its start() method;
    # we use blocking serve_forever() here because we have no other jobs
    print('Starting echo server on port %s' % port)
    server.serve_forever()
