#!/usr/bin/env bash
# scripts/test.sh: everything the test suite needs, then the whole suite.
#
#   bash scripts/test.sh            # from any directory
#
# 1. compat/setup.sh installs the reference peers (Debian's Ruby and PHP ZeroMQ
#    bindings, libzmq, curl, wrk; a venv with gevent and pyzmq). Idempotent.
# 2. compat/selftest.sh checks that the originals work against each other, so
#    a failure comparing a port with them is the port's.
# 3. cargo test: unit tests, integration tests (including the side-by-side
#    runs against the originals and the libzmq interop matrix), doctests, and a
#    build of every example.
# 4. The optional parts are built and tested on their own when the feature
#    exists, so the default build never compiles them: the may_minihttp
#    engine, zmq's JSON messages (tests and doctests) and the HTTP client's
#    JSON bodies (feature client-json).
# 5. A short run of each fuzz target (scripts/fuzz.sh; skipped without a
#    nightly toolchain). The full campaign is `bash scripts/fuzz.sh`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash compat/setup.sh
COMPAT_SKIP_SETUP=1 bash compat/selftest.sh
cargo test --locked
if grep -q '^minihttp *=' Cargo.toml; then
    cargo test --locked --features minihttp --test http_minihttp
fi
if grep -q '^json *=' Cargo.toml; then
    cargo test --locked --features json --test zmq_json
    cargo test --locked --features json --doc -- json
fi
if grep -q '^client-json *=' Cargo.toml; then
    cargo test --locked --features client-json --test http_client
fi
RUNS="${FUZZ_RUNS:-20000}" bash scripts/fuzz.sh
