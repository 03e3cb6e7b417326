#!/usr/bin/env bash
# scripts/stress.sh: the runtime's stress campaign. Runs the reliability
# issue's reproduction (examples/yield_storm.rs, 3 s) and the stress tests
# (tests/stress.rs) N times each, in release builds, and counts aborts and
# hangs. A stress test that hangs dumps every thread's stack and aborts (its
# guard); the reproduction is stopped by `timeout` after 60 s and its stacks
# dumped with gdb.
#
#   N=1000 bash scripts/stress.sh              # the recorded campaign (about 2 h)
#   N=3 SIZE=full bash scripts/stress.sh       # 10^7 greenlets per stress run
#   N=10 bash scripts/stress.sh                # a quick check
#
# Failures' output is kept in $OUT (default /tmp/greenline-stress); the
# last line is the summary. Exits 1 when any run failed.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

N="${N:-10}"
SIZE="${SIZE:-ci}"
OUT="${OUT:-/tmp/greenline-stress}"
mkdir -p "$OUT"

cargo build --release --quiet --example yield_storm || exit 1
bin=$(cargo test --release --no-run --test stress --message-format=json 2>/dev/null \
    | grep -o '"executable":"[^"]*stress-[^"]*"' | tail -1 | cut -d'"' -f4)
[ -x "$bin" ] || { echo "scripts/stress.sh: no stress test binary"; exit 1; }

repro_fail=0
stress_fail=0
start=$(date +%s)
for i in $(seq 1 "$N"); do
    log="$OUT/yield_storm.$i.log"
    timeout -s KILL 60 target/release/examples/yield_storm 3 >"$log" 2>&1 &
    pid=$!
    # A run that outlives 50 s is a hang: dump its stacks before the kill.
    ( sleep 50; kill -0 $pid 2>/dev/null && gdb -p "$(pgrep -P $pid yield_storm || echo $pid)" \
        -batch -nx -ex 'thread apply all bt' >>"$log" 2>&1 ) &
    watcher=$!
    if wait $pid; then
        rm -f "$log"
    else
        repro_fail=$((repro_fail + 1))
        echo "yield_storm run $i FAILED (status $?): $log"
    fi
    kill $watcher 2>/dev/null; wait $watcher 2>/dev/null

    log="$OUT/stress.$i.log"
    if GREENLINE_STRESS="$SIZE" "$bin" --test-threads=2 >"$log" 2>&1; then
        rm -f "$log"
    else
        stress_fail=$((stress_fail + 1))
        echo "stress run $i FAILED: $log"
    fi
done
echo "stress.sh: $N runs each in $(( $(date +%s) - start )) s: yield_storm $repro_fail failed, stress ($SIZE) $stress_fail failed"
[ $repro_fail -eq 0 ] && [ $stress_fail -eq 0 ]
