# gevent's examples/udp_server.py: a DatagramServer answering every datagram
# with "Received N bytes".
#
# Changed from gevent's example (only what running it side by side needs):
# - The address is an optional argument, so tests can use a free port; the
#   default is gevent's port 9000, on 127.0.0.1 instead of every interface.
#   The start line names the address it was given.
# - stdout is line-buffered because tests read it through a pipe.
#
# Pairs with the Rust example `udp_server`; talks to udp_client.py and its port.
# Run:   compat/.venv/bin/python compat/udp_server.py [HOST:PORT]
# Talk:  compat/.venv/bin/python compat/udp_client.py 127.0.0.1:9000 hello
# Copyright (c) 2012 Denis Bilenko. See LICENSE for details.
"""A simple UDP server.

For every message received, it sends a reply back.

You can use udp_client.py to send a message.
"""
from __future__ import print_function
import sys

from gevent.server import DatagramServer

sys.stdout.reconfigure(line_buffering=True)


class EchoServer(DatagramServer):

    def handle(self, data, address): # pylint:disable=method-hidden
        print('%s: got %r' % (address[0], data))
        self.socket.sendto(('Received %s bytes' % len(data)).encode('utf-8'), address)


if __name__ == '__main__':
    address = sys.argv[1] if len(sys.argv) > 1 else '127.0.0.1:9000'
    print('Receiving datagrams on %s' % address)
    EchoServer(address).serve_forever()
