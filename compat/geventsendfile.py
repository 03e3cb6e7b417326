# gevent's examples/geventsendfile.py: sendfile(2) made cooperative: call it
# on the non-blocking socket, and on EAGAIN wait_write() for room, so only
# the calling greenlet waits.
#
# Changed from gevent's example (Python 3, and something to run):
# - py-sendfile is gone; os.sendfile has the same arguments and returns the
#   count sent (py-sendfile 1.x returned an (offset, sent) pair).
# - gevent's file only defines gevent_sendfile and patch_sendfile. A main
#   is added so the recipe runs: a StreamServer sending FILE to every
#   client with gevent_sendfile, then closing the connection.
#
# Pairs with the Rust example `geventsendfile`.
# Run:   compat/.venv/bin/python compat/geventsendfile.py FILE [HOST:PORT]   (default 127.0.0.1:8000)
# Talk:  nc 127.0.0.1 8000 > copy    (the file's bytes, then end of file)
"""An example how to use sendfile[1] with gevent.

[1] http://pypi.python.org/pypi/py-sendfile/
"""
# pylint:disable=import-error
import os
import sys
from errno import EAGAIN
from os import sendfile as original_sendfile
from gevent.socket import wait_write


def gevent_sendfile(out_fd, in_fd, offset, count):
    total_sent = 0
    while total_sent < count:
        try:
            sent = original_sendfile(out_fd, in_fd, offset + total_sent, count - total_sent)
            #print('%s: sent %s [%d%%]' % (out_fd, sent, 100*total_sent/count))
            total_sent += sent
        except OSError as ex:
            if ex.args[0] == EAGAIN:
                wait_write(out_fd)
            else:
                raise
    return offset + total_sent, total_sent


def patch_sendfile():
    import sendfile
    sendfile.sendfile = gevent_sendfile


if __name__ == '__main__':
    from gevent.server import StreamServer

    path = sys.argv[1]
    host, _, port = (sys.argv[2] if len(sys.argv) > 2 else '127.0.0.1:8000').rpartition(':')

    def handle(socket, address):
        with open(path, 'rb') as f:
            gevent_sendfile(socket.fileno(), f.fileno(), 0, os.fstat(f.fileno()).st_size)

    StreamServer((host, int(port)), handle).serve_forever()
