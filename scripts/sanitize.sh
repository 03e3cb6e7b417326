#!/usr/bin/env bash
# scripts/sanitize.sh: greenline under the sanitizers (nightly toolchain).
#
#   bash scripts/sanitize.sh asan            # every test binary under ASan
#   N=100 bash scripts/sanitize.sh asan-stress   # tests/stress.rs N times, release, ASan
#   bash scripts/sanitize.sh tsan            # the library's unit tests under TSan
#
# What the reports mean, and which are false positives, is in
# docs/sanitizers.md. ASan runs with -asan-stack=0: may switches stacks
# without telling ASan, so stack instrumentation reports every switch.
# TSan needs the standard library rebuilt with it (-Zbuild-std, rust-src).
# Builds go to their own target directories, so a sanitized build never
# mixes with the normal one. Without nightly the script says so, exits 0.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

MODE="${1:-asan}"
N="${N:-100}"
TARGET=x86_64-unknown-linux-gnu

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "scripts/sanitize.sh: no nightly toolchain here; skipped"
    exit 0
fi

case "$MODE" in
asan | asan-stress)
    export RUSTFLAGS="-Zsanitizer=address -Cllvm-args=-asan-stack=0 -Cforce-frame-pointers=yes"
    # Leaks: may keeps its scheduler and coroutine pool for the process's
    # life on purpose. Stack use after return needs fake stacks, which
    # cannot follow a coroutine switch.
    export ASAN_OPTIONS="detect_leaks=0:detect_stack_use_after_return=0"
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/asan}"
    if [ "$MODE" = asan ]; then
        cargo +nightly test --target $TARGET --tests --no-fail-fast
        exit $?
    fi
    cargo +nightly test --release --target $TARGET --test stress --no-run -q || exit 1
    bin=$(ls -t "$CARGO_TARGET_DIR/$TARGET/release/deps/"stress-* | grep -v '\.d$' | head -1)
    failed=0
    start=$(date +%s)
    for i in $(seq 1 "$N"); do
        log="${OUT:-/tmp}/asan-stress.$i.log"
        if "$bin" --test-threads=2 >"$log" 2>&1; then
            rm -f "$log"
        else
            failed=$((failed + 1))
            echo "asan-stress run $i FAILED: $log"
        fi
    done
    echo "sanitize.sh asan-stress: $N runs in $(( $(date +%s) - start )) s, $failed failed"
    [ $failed -eq 0 ]
    ;;
tsan)
    export RUSTFLAGS="-Zsanitizer=thread"
    export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target/tsan}"
    # Greenlet stacks hold TSan's own frames too: 2 MiB instead of 128 KiB.
    export GREENLINE_STACK_SIZE=2097152
    export TSAN_OPTIONS="halt_on_error=0 report_signal_unsafe=0"
    cargo +nightly test -Zbuild-std --target $TARGET --lib -- --test-threads=2
    ;;
*)
    echo "usage: scripts/sanitize.sh asan|asan-stress|tsan" >&2
    exit 2
    ;;
esac
