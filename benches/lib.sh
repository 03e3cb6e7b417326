# benches/lib.sh: what the run_*.sh scripts share. Sourced, not run.
#
# Building, starting a server pinned to a core and waiting for its port,
# reading a process's CPU time and memory from /proc, stopping everything on
# exit, and the arithmetic of the tables. Everything targets 127.0.0.1.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
EX="$CARGO_TARGET_DIR/release/examples"      # greenline's examples
BIN="$CARGO_TARGET_DIR/release"              # benches/peers binaries
PY="$ROOT/compat/.venv/bin/python"
DURATION="${DURATION:-10}"                   # seconds of load per peer
WARMUP="${WARMUP:-1}"                        # seconds of load before measuring
SERVER_CPU="${SERVER_CPU:-0}"                # core the server runs on
LOAD_CPU="${LOAD_CPU:-1}"                    # core the load generator runs on
CLK_TCK="$(getconf CLK_TCK)"
LOGDIR="${LOGDIR:-$(mktemp -d /tmp/greenline-bench.XXXXXX)}"

PIDS=()
cleanup() {
    local pid
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        wait "$pid" 2>/dev/null || true
    done
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

# build_greenline EXAMPLE...: release build of greenline's examples.
build_greenline() {
    local args=()
    for e in "$@"; do args+=(--example "$e"); done
    (cd "$ROOT" && cargo build --release --quiet "${args[@]}") || die "building greenline examples failed"
}

# build_peers BIN...: release build of benches/peers binaries.
build_peers() {
    local args=()
    for b in "$@"; do args+=(--bin "$b"); done
    (cd "$ROOT/benches/peers" && cargo build --release --quiet "${args[@]}") || die "building benches/peers failed"
}

# need_python: the gevent peers run in compat/.venv (made by compat/setup.sh).
need_python() {
    [ -x "$PY" ] || bash "$ROOT/compat/setup.sh" >&2 || die "compat/setup.sh failed"
}

# wait_port PORT: until something listens on 127.0.0.1:PORT (10 s at most).
wait_port() {
    local i
    for i in $(seq 100); do
        if ss -Hltn "sport = :$1" | grep -q .; then return 0; fi
        sleep 0.1
    done
    return 1
}

# start_server NAME PORT CMD...: runs CMD on $SERVER_CPU in the background,
# output in $LOGDIR/NAME.log; sets SERVER_PID once PORT listens.
start_server() {
    local name="$1" port="$2"; shift 2
    if ss -Hltn "sport = :$port" | grep -q .; then die "port $port is already in use"; fi
    taskset -c "$SERVER_CPU" "$@" >"$LOGDIR/$name.log" 2>&1 &
    SERVER_PID=$!
    PIDS+=("$SERVER_PID")
    wait_port "$port" || { cat "$LOGDIR/$name.log" >&2; die "$name did not listen on port $port"; }
}

# stop_server: stops the server started last and waits for it.
stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
}

# cpu_ticks PID: user + system time of the whole process (all threads), in
# clock ticks, fields 14 and 15 of /proc/PID/stat (counted after the
# ")" that ends the command name, which may hold spaces).
cpu_ticks() {
    local stat
    stat="$(cat "/proc/$1/stat")"
    stat="${stat##*) }"
    # After ") ", field 3 of the line is the first one here: 14 -> 12, 15 -> 13.
    awk '{ print $12 + $13 }' <<<"$stat"
}

# rss_kib PID: VmRSS of the process in KiB.
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# calc EXPR: floating-point arithmetic through awk ("-" when it divides by 0).
calc() { awk "BEGIN { d = 0; r = ($1); printf \"%s\", r }" 2>/dev/null || echo "-"; }

# ratio A B [DIGITS]: A / B, or "-" when either is missing or B is 0.
ratio() {
    awk -v a="$1" -v b="$2" -v d="${3:-2}" 'BEGIN {
        if (a == "-" || b == "-" || a == "" || b == "" || b + 0 == 0) { print "-"; exit }
        printf "%.*f\n", d, a / b }'
}

# median V...: the middle value ("-" values left out; the mean of the two
# middle ones for an even count).
median() {
    printf '%s\n' "$@" | awk '$1 != "-" && $1 != "" { v[n++] = $1 + 0 }
        END {
            if (n == 0) { print "-"; exit }
            for (i = 1; i < n; i++) for (j = i; j > 0 && v[j-1] > v[j]; j--) { t = v[j]; v[j] = v[j-1]; v[j-1] = t }
            m = (n % 2) ? v[int(n/2)] : (v[n/2-1] + v[n/2]) / 2
            if (m == int(m)) printf "%d\n", m; else printf "%.2f\n", m }'
}

# rotated ROUND PEER...: the peers in the order round ROUND (from 0) runs
# them, each round starting one further along, so drift spreads over all.
rotated() {
    local round="$1"; shift
    local peers=("$@") k
    for ((k = 0; k < ${#peers[@]}; k++)); do
        echo "${peers[$(( (k + round) % ${#peers[@]} ))]}"
    done
}

# add_errors TOTAL E: the running error count with one round's E added; a
# round that failed (E not a number) makes the total that failure.
add_errors() {
    local is_count='^[0-9]+$'
    if ! [[ "$2" =~ $is_count ]]; then
        echo "$2"
    elif ! [[ "$1" =~ $is_count ]]; then
        echo "$1"
    else
        echo $(( $1 + $2 ))
    fi
}

# paired "A..." "B...": two peers' figures from the same rounds (in round
# order, space-separated) compared round by round, which cancels the drift
# that moves both: prints "MEDIAN_RATIO LOWER ROUNDS", the median of A/B
# over the rounds, how many rounds had A below B, and how many rounds had
# both figures ("- 0 0" when none did).
paired() {
    awk -v a="$1" -v b="$2" 'BEGIN {
        na = split(a, x, " "); nb = split(b, y, " ")
        for (i = 1; i <= na && i <= nb; i++) {
            if (x[i] == "-" || y[i] == "-" || y[i] + 0 == 0) continue
            r[n++] = x[i] / y[i]; if (x[i] + 0 < y[i] + 0) lower++
        }
        if (n == 0) { print "- 0 0"; exit }
        for (i = 1; i < n; i++) for (j = i; j > 0 && r[j-1] > r[j]; j--) { t = r[j]; r[j] = r[j-1]; r[j-1] = t }
        m = (n % 2) ? r[int(n/2)] : (r[n/2-1] + r[n/2]) / 2
        printf "%.3f %d %d\n", m, lower, n }'
}

# whole V: V rounded to an integer ("-" stays).
whole() {
    awk -v v="$1" 'BEGIN { if (v == "-") print v; else printf "%.0f\n", v }'
}

# verdict A OP B [FACTOR]: PASS when A OP B*FACTOR holds (OP is ge or le), MISS when not,
# "n/a" when a figure is missing.
verdict() {
    awk -v a="$1" -v op="$2" -v b="$3" -v f="${4:-1}" 'BEGIN {
        if (a == "-" || b == "-" || a == "" || b == "") { print "n/a"; exit }
        ok = (op == "ge") ? (a + 0 >= b * f) : (a + 0 <= b * f)
        print ok ? "PASS" : "MISS" }'
}

# header TITLE [SETUP]: the lines every table starts with; SETUP replaces
# the default description of the run.
header() {
    echo
    echo "== $1"
    echo "   (${2:-server on core $SERVER_CPU, load on core $LOAD_CPU, ${DURATION}s per peer after ${WARMUP}s warm-up}; logs in $LOGDIR)"
}
