# gevent's examples/concurrent_download.py: a greenlet per URL downloads it
# with requests (patched by monkey.patch_all() to yield), then the program
# waits for all of them.
#
# Changed from gevent's example (only what a test needs):
# - The URLs are optional arguments (`sys.argv[1:] or`), so a test can fetch
#   from a local server; the defaults are the original's three https URLs.
# - stdout is line-buffered because tests read it through a pipe.
#
# Pairs with the Rust example `concurrent_download`.
# Run:   compat/.venv/bin/python compat/concurrent_download.py [URL...]
# Prints "Starting URL" per URL, then "URL: N bytes: '<first 50 characters>'"
# as each download ends; a failed download prints its traceback on stderr.
#
# The original's header follows.
#!/usr/bin/python
# Copyright (c) 2009 Denis Bilenko. See LICENSE for details.
# gevent-test-requires-resource: network
"""Spawn multiple workers and wait for them to complete"""
from __future__ import print_function
import sys

import gevent
from gevent import monkey

# patches stdlib (including socket and ssl modules) to cooperate with other greenlets
monkey.patch_all()

import requests

sys.stdout.reconfigure(line_buffering=True)

# Note that we're using HTTPS, so
# this demonstrates that SSL works.
urls = sys.argv[1:] or [
    'https://www.google.com/',
    'https://www.apple.com/',
    'https://www.python.org/'
]



def print_head(url):
    print('Starting %s' % url)
    data = requests.get(url).text
    print('%s: %s bytes: %r' % (url, len(data), data[:50]))

jobs = [gevent.spawn(print_head, _url) for _url in urls]

gevent.wait(jobs)
