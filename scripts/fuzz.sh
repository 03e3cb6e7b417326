#!/usr/bin/env bash
# scripts/fuzz.sh: runs greenline's cargo-fuzz targets (fuzz/fuzz_targets/)
# with libFuzzer, each from its corpus in fuzz/corpus/<target>.
#
#   bash scripts/fuzz.sh                     # every target, 10,000,000 runs each
#   RUNS=20000 bash scripts/fuzz.sh          # a short run (what CI does)
#   TARGETS=zmtp_decode RUNS=1000000 bash scripts/fuzz.sh
#   MINIMIZE=1 bash scripts/fuzz.sh          # then shrink each corpus (cargo fuzz cmin)
#
# Needs the nightly toolchain (cargo-fuzz builds with -Zsanitizer=address);
# without it the script says so and exits 0, since a stable-only machine
# cannot fuzz. cargo-fuzz itself is installed from crates.io when missing.
# A crash stops the run: libFuzzer writes the input to fuzz/artifacts/ and
# the script exits 1. Record a full campaign's counts in fuzz/RUNS.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../fuzz"

RUNS="${RUNS:-10000000}"
TARGETS="${TARGETS:-zmtp_decode http_request}"

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "scripts/fuzz.sh: no nightly toolchain here; fuzzing skipped"
    exit 0
fi
if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "scripts/fuzz.sh: installing cargo-fuzz"
    cargo install cargo-fuzz --locked --quiet
fi

# One build for every target (they share the greenline build).
cargo +nightly fuzz build --release 2>&1 | grep -v '^\s*Compiling' || true
for t in $TARGETS; do
    mkdir -p "corpus/$t"
    start=$(date +%s)
    log="$(mktemp)"
    if ! cargo +nightly fuzz run "$t" -- -runs="$RUNS" -print_final_stats=1 >"$log" 2>&1; then
        tail -n 40 "$log"
        echo "scripts/fuzz.sh: $t FAILED (input in fuzz/artifacts/$t/)"
        exit 1
    fi
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "$t: $execs runs, 0 crashes, $(( $(date +%s) - start )) s, corpus $(ls "corpus/$t" | wc -l) inputs"
    rm -f "$log"
    if [ "${MINIMIZE:-0}" = 1 ]; then
        cargo +nightly fuzz cmin "$t" >/dev/null 2>&1
        echo "$t: corpus minimized to $(ls "corpus/$t" | wc -l) inputs"
    fi
done
