# gevent's examples/udp_client.py: send one datagram, print the reply.
#
# Changed from gevent's example (only what running it side by side needs):
# - The server's address comes first (gevent's is fixed at localhost:9000),
#   so tests can use a free port; the message is the rest of the arguments.
# - A 5 s receive timeout: with no server gevent's waits forever; this one
#   ends with socket.timeout's traceback and exit status 1 (as it does
#   when the server refuses the datagram).
# - stdout is line-buffered because tests read it through a pipe.
#
# Pairs with the Rust example `udp_client`; talks to udp_server.py and its port.
# Run:   compat/.venv/bin/python compat/udp_client.py HOST:PORT MESSAGE...
# Copyright (c) 2012 Denis Bilenko. See LICENSE for details.
"""Send a datagram to localhost:9000 and receive a datagram back.

Usage: python udp_client.py MESSAGE

Make sure you're running a UDP server on port 9000 (see udp_server.py).

There's nothing gevent-specific here.
"""
from __future__ import print_function
import sys
from gevent import socket

sys.stdout.reconfigure(line_buffering=True)

host, _, port = sys.argv[1].rpartition(':')
address = (host, int(port))
message = ' '.join(sys.argv[2:])
sock = socket.socket(type=socket.SOCK_DGRAM)
sock.settimeout(5)
sock.connect(address)
print('Sending %s bytes to %s:%s' % ((len(message), ) + address))
sock.send(message.encode())
data, address = sock.recvfrom(8192)
print('%s:%s: got %r' % (address + (data, )))
sock.close()
