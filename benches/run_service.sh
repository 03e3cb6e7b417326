#!/usr/bin/env bash
# benches/run_service.sh: the service framework's operations, timed and
# counted with the release `greenline` binary (the talk's three-service
# app: HTTP server, TCP server, TCP client). Issue 14, "Performance".
#
#   ready    $RUNS (20) times: from spawning `greenline run` to READY=1 on
#            a fake NOTIFY_SOCKET (benches/peers' notify_ready binds it);
#            median, p90, max, and greenline's CPU time up to READY=1.
#            Target: under 20 ms.
#   reload   $CONNS (10,000) idle keep-alive HTTP connections held open
#            (conns_hold) while http_load runs $LOAD_CONNS connections of
#            requests; $RELOADS reloads (`greenline reload`), each changing
#            the `greeting`; then one more request on every held
#            connection. Target: no connection dropped, no failed request.
#   upgrade  http_load running, `greenline upgrade` (the listening sockets
#            handed to a new process); failed requests (target 0) and the
#            requests served per 100 ms around the hand-over.
#
#   bash benches/run_service.sh                  # all three parts
#   PARTS=ready RUNS=50 bash benches/run_service.sh
#   CONNS=2000 PARTS="reload upgrade" bash benches/run_service.sh
#
# Knobs (besides lib.sh's SERVER_CPU, LOAD_CPU, LOGDIR): PARTS, RUNS,
# CONNS, LOAD_CONNS (4), RELOADS (3), RELOAD_GAP (0.5 s between reloads),
# HOLD (5 s, conns_hold's hold), BEFORE / AFTER (2 s of load before and
# after the upgrade), HTTP_PORT / TCP_PORT (8090 / 8091).
#
# greenline runs with one worker on core $SERVER_CPU (the upgrade's new
# process inherits both), the load tools on core $LOAD_CPU. A held
# connection needs a descriptor on both sides: the script raises the
# open-files limit to the hard limit (20,000 here). Builds run under
# `nice -n 19`; the measuring part holds /tmp/greenline-bench.lock, so it
# waits for (and never overlaps) another benchmark.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PARTS="${PARTS:-ready reload upgrade}"
RUNS="${RUNS:-20}"
CONNS="${CONNS:-10000}"
LOAD_CONNS="${LOAD_CONNS:-4}"
RELOADS="${RELOADS:-3}"
RELOAD_GAP="${RELOAD_GAP:-0.5}"
HOLD="${HOLD:-5}"
BEFORE="${BEFORE:-2}"
AFTER="${AFTER:-2}"
HTTP_PORT="${HTTP_PORT:-8090}"
TCP_PORT="${TCP_PORT:-8091}"
READY_TARGET_MS=20
ADDR="127.0.0.1:$HTTP_PORT"
CONF="$LOGDIR/greenline.toml"
PIDFILE="$LOGDIR/greenline.pid"

ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge $(( CONNS + 200 )) ] \
    || die "open files limit $(ulimit -n) is below CONNS=$CONNS + 200"

(cd "$ROOT" && nice -n 19 cargo build --release --quiet --bin greenline) || die "building greenline failed"
(cd "$ROOT/benches/peers" && nice -n 19 cargo build --release --quiet \
    --bin notify_ready --bin http_load --bin conns_hold) || die "building benches/peers failed"

# write_config GREETING: the app's settings, every path in $LOGDIR.
write_config() {
    cat >"$CONF.new" <<EOF
pidfile = "$PIDFILE"
logfile = "$LOGDIR/greenline.log"
http_port = $HTTP_PORT
tcp_port = $TCP_PORT
connect_address = "127.0.0.1:$TCP_PORT"
greeting = "$1"
EOF
    # Renamed into place: a reload never reads a half-written file.
    mv "$CONF.new" "$CONF"
}

gl() { timeout 60 "$BIN/greenline" -C "$CONF" "$@"; }

# The daemon is not our child: the exit trap stops it through its pidfile.
stop_daemon() {
    if [ -f "$PIDFILE" ]; then gl stop >>"$LOGDIR/stop.log" 2>&1 || true; fi
}
trap 'stop_daemon; cleanup' EXIT

# start_daemon: `greenline start` on $SERVER_CPU; sets DAEMON_PID.
start_daemon() {
    if ss -Hltn "sport = :$HTTP_PORT" | grep -q .; then die "port $HTTP_PORT is already in use"; fi
    taskset -c "$SERVER_CPU" timeout 60 "$BIN/greenline" -C "$CONF" start >>"$LOGDIR/start.log" 2>&1 \
        || { cat "$LOGDIR/start.log" >&2; die "greenline start failed"; }
    DAEMON_PID="$(cat "$PIDFILE")"
}

# start_load NAME: http_load in the background until $LOGDIR/NAME.stop
# exists; sets LOAD_PID, output in $LOGDIR/NAME.load.
start_load() {
    rm -f "$LOGDIR/$1.stop"
    timeout 300 taskset -c "$LOAD_CPU" "$BIN/http_load" "$ADDR" "$LOAD_CONNS" "$LOGDIR/$1.stop" 100 280 \
        >"$LOGDIR/$1.load" 2>&1 &
    LOAD_PID=$!
    PIDS+=("$LOAD_PID")
}

# stop_load NAME: ends the load started by start_load NAME and waits.
stop_load() {
    touch "$LOGDIR/$1.stop"
    wait "$LOAD_PID" 2>/dev/null || true
}

# field FILE KEY: the value after "KEY: " in FILE ("-" when absent).
field() {
    local v
    v="$(awk -v k="$2:" '$0 ~ "^" k " " { print $(NF > 2 && $NF ~ /^\[/ ? NF - 1 : NF); exit }' "$1" 2>/dev/null)"
    echo "${v:--}"
}

now_ms() { date +%s%3N; }

export GREENLINE_WORKERS=1
# Everything measured runs from $LOGDIR: a process working under the
# source tree may be reniced by whatever keeps builds there out of the way.
cd "$LOGDIR"

echo "run_service.sh: waiting for the benchmark lock (/tmp/greenline-bench.lock)" >&2
exec 9>/tmp/greenline-bench.lock
flock 9
echo "run_service.sh: lock held; logs in $LOGDIR" >&2

# 1. Spawn to READY=1. One unmeasured run first: the binary into the page cache.
ready_part() {
    write_config "hello 0"
    if ss -Hltn "sport = :$HTTP_PORT" | grep -q .; then die "port $HTTP_PORT is already in use"; fi
    timeout 60 taskset -c "$SERVER_CPU" "$BIN/notify_ready" 1 2000 "$BIN/greenline" -C "$CONF" run \
        >"$LOGDIR/ready.warmup" 2>&1 || true
    timeout $(( RUNS * 15 + 60 )) taskset -c "$SERVER_CPU" "$BIN/notify_ready" "$RUNS" 2000 \
        "$BIN/greenline" -C "$CONF" run >"$LOGDIR/ready.log" 2>&1 || true
    R_MEDIAN="$(field "$LOGDIR/ready.log" median)"
    R_P90="$(field "$LOGDIR/ready.log" p90)"
    R_MAX="$(field "$LOGDIR/ready.log" max)"
    R_FAILED="$(field "$LOGDIR/ready.log" failed)"
    C_MEDIAN="$(field "$LOGDIR/ready.log" "cpu median")"
    C_P90="$(field "$LOGDIR/ready.log" "cpu p90")"
    C_MAX="$(field "$LOGDIR/ready.log" "cpu max")"
    echo "  ready: median $R_MEDIAN ms, p90 $R_P90 ms, max $R_MAX ms, failed $R_FAILED" >&2
}

# 2. Reloads with $CONNS idle connections held and a load running.
reload_part() {
    write_config "hello 0"
    start_daemon
    start_load reload
    local hold_log="$LOGDIR/reload.conns" i t0 t1 rc
    timeout $(( HOLD + 180 )) taskset -c "$LOAD_CPU" "$BIN/conns_hold" "$ADDR" "$CONNS" "$DAEMON_PID" "$HOLD" \
        >"$hold_log" 2>&1 &
    local hold_pid=$!
    PIDS+=("$hold_pid")
    # Until every held connection has been answered once (at most 150 s).
    for i in $(seq 1500); do
        grep -q "answered once; holding" "$hold_log" && break
        kill -0 "$hold_pid" 2>/dev/null || break
        sleep 0.1
    done
    grep -q "answered once; holding" "$hold_log" || echo "  reload: conns_hold did not open all $CONNS connections" >&2
    RELOAD_MS=()
    RELOAD_FAILED=0
    for i in $(seq "$RELOADS"); do
        sleep "$RELOAD_GAP"
        write_config "hello $i"
        t0="$(now_ms)"
        rc=0
        gl reload >"$LOGDIR/reload.$i.log" 2>&1 || rc=$?
        t1="$(now_ms)"
        RELOAD_MS+=("$(( t1 - t0 ))")
        [ "$rc" = 0 ] || { RELOAD_FAILED=$(( RELOAD_FAILED + 1 )); cat "$LOGDIR/reload.$i.log" >&2; }
    done
    wait "$hold_pid" 2>/dev/null || true
    sleep "$RELOAD_GAP"
    stop_load reload
    [ "$(cat "$PIDFILE" 2>/dev/null)" = "$DAEMON_PID" ] || echo "  reload: the daemon's pid changed" >&2
    stop_daemon
    H_ERRORS="$(field "$hold_log" errors)"
    H_OPEN="$(field "$hold_log" "opened in")"
    L_REQS="$(field "$LOGDIR/reload.load" requests)"
    L_FAILED="$(field "$LOGDIR/reload.load" failed)"
    L_RETRIED="$(field "$LOGDIR/reload.load" retried)"
    L_BODIES="$(field "$LOGDIR/reload.load" bodies)"
    L_MAXLAT="$(field "$LOGDIR/reload.load" "max latency")"
    DROPPED="$(add_errors "$H_ERRORS" "$L_RETRIED")"
    echo "  reload: held-connection errors $H_ERRORS, load failed $L_FAILED, retried $L_RETRIED" >&2
}

# 3. An upgrade under load.
upgrade_part() {
    write_config "hello 0"
    start_daemon
    local old="$DAEMON_PID" rc=0
    start_load upgrade
    sleep "$BEFORE"
    U_T0="$(now_ms)"
    gl upgrade >"$LOGDIR/upgrade.log" 2>&1 || rc=$?
    U_T1="$(now_ms)"
    U_RC="$rc"
    sleep "$AFTER"
    stop_load upgrade
    U_NEW="$(cat "$PIDFILE" 2>/dev/null || echo -)"
    stop_daemon
    [ "$rc" = 0 ] || cat "$LOGDIR/upgrade.log" >&2
    U_OLD="$old"
    U_REQS="$(field "$LOGDIR/upgrade.load" requests)"
    U_FAILED="$(field "$LOGDIR/upgrade.load" failed)"
    U_RETRIED="$(field "$LOGDIR/upgrade.load" retried)"
    U_MAXLAT="$(field "$LOGDIR/upgrade.load" "max latency")"
    echo "  upgrade: exit $U_RC, failed $U_FAILED, retried $U_RETRIED" >&2
}

for part in $PARTS; do
    case "$part" in
    ready | reload | upgrade) "${part}_part" ;;
    *) die "unknown part $part (ready reload upgrade)" ;;
    esac
done

case " $PARTS " in *" ready "*)
    header "spawn of \`greenline run\` to READY=1 on NOTIFY_SOCKET, $RUNS runs" \
        "greenline with one worker on core $SERVER_CPU, one unmeasured run first"
    printf "%-26s %10s %10s %10s %8s\n" "" "median ms" "p90 ms" "max ms" failed
    printf "%-26s %10s %10s %10s %8s\n" "wall, spawn to READY=1" "$R_MEDIAN" "$R_P90" "$R_MAX" "$R_FAILED"
    # CPU time of greenline's threads up to READY=1: what other work on
    # the cores does not move.
    printf "%-26s %10s %10s %10s\n" "greenline's CPU time" "$C_MEDIAN" "$C_P90" "$C_MAX"
esac

case " $PARTS " in *" reload "*)
    header "$RELOADS reloads with $CONNS idle keep-alive connections held and $LOAD_CONNS connections of load" \
        "greenline with one worker on core $SERVER_CPU, conns_hold and http_load on core $LOAD_CPU"
    printf "  %-48s %s\n" "held connections opened in" "$H_OPEN s"
    # The command reads the daemon's status file every 10 ms: a bound, not
    # the reload's own time.
    printf "  %-48s %s\n" "\`greenline reload\` times" "$(printf '%s ms ' "${RELOAD_MS[@]}")"
    printf "  %-48s %s\n" "reloads refused or unanswered" "$RELOAD_FAILED"
    printf "  %-48s %s\n" "held connections failing the last request" "$H_ERRORS"
    printf "  %-48s %s\n" "load requests served" "$L_REQS"
    printf "  %-48s %s\n" "load requests failed" "$L_FAILED"
    printf "  %-48s %s\n" "load connections closed by the server" "$L_RETRIED"
    printf "  %-48s %s\n" "greetings the load saw (reloads applied: +1)" "$L_BODIES"
    printf "  %-48s %s\n" "load's slowest request (opening included)" "$L_MAXLAT ms"
esac

case " $PARTS " in *" upgrade "*)
    header "\`greenline upgrade\` under load ($LOAD_CONNS keep-alive connections), requests served per 100 ms" \
        "greenline with one worker on core $SERVER_CPU, http_load on core $LOAD_CPU; t = end of the interval, ms from the upgrade command"
    # Before: intervals ending after the first 0.5 s of load and before the
    # command; during: those overlapping the command; after: the rest.
    awk -v t0="$U_T0" -v t1="$U_T1" '
        function med(a, n,   i, j, t) {
            for (i = 1; i < n; i++) for (j = i; j > 0 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
            return n ? ((n % 2) ? a[int(n/2)] : (a[n/2-1] + a[n/2]) / 2) : "-"
        }
        /^interval / { n++; e[n] = $2; s[n] = $3; f[n] = $4 }
        END {
            for (i = 6; i <= n; i++) if (e[i] <= t0) b[nb++] = s[i]
            for (i = 1; i <= n; i++) if (e[i] > t1 + 100) a[na++] = s[i]
            mb = med(b, nb); ma = med(a, na)
            min = -1
            printf "  %8s %8s %8s %10s\n", "t ms", "served", "failed", "vs before"
            for (i = 1; i <= n; i++) {
                if (e[i] <= t0 || e[i] - 100 >= t1 + 100) {
                    if (e[i] > t0 - 300 && e[i] <= t0 || e[i] - 100 >= t1 + 100 && e[i] - 100 < t1 + 400)
                        printf "  %8d %8d %8d %9.0f%%\n", e[i] - t0, s[i], f[i], mb ? 100 * s[i] / mb : 0
                    continue
                }
                if (min < 0 || s[i] < min) min = s[i]
                zero += (s[i] == 0)
                printf "  %8d %8d %8d %9.0f%%  <- hand-over\n", e[i] - t0, s[i], f[i], mb ? 100 * s[i] / mb : 0
            }
            printf "median per 100 ms before: %s (%d req/s), after: %s\n", mb, mb * 10, ma
            printf "min per 100 ms during the upgrade: %s (%.0f%% of before), intervals with none served: %d\n",
                min, mb ? 100 * min / mb : 0, zero
        }' "$LOGDIR/upgrade.load"
    echo "upgrade command: exit $U_RC, $(( U_T1 - U_T0 )) ms, pid $U_OLD -> $U_NEW"
    echo "requests served $U_REQS, failed $U_FAILED; keep-alive connections closed by the old process $U_RETRIED (each request re-sent on a new connection, RFC 9112 9.3.1); slowest request $U_MAXLAT ms"
esac

echo "targets:"
case " $PARTS " in *" ready "*)
    printf "  %-60s %s\n" "spawn to READY=1, median under $READY_TARGET_MS ms" "$(verdict "$R_MEDIAN" le "$READY_TARGET_MS")"
    printf "  %-60s %s\n" "spawn to READY=1, p90 under $READY_TARGET_MS ms" "$(verdict "$R_P90" le "$READY_TARGET_MS")"
esac
case " $PARTS " in *" reload "*)
    printf "  %-60s %s\n" "reload: no connection dropped (held + load)" "$(verdict "$DROPPED" le 0)"
    printf "  %-60s %s\n" "reload: no failed request" "$(verdict "$L_FAILED" le 0)"
    printf "  %-60s %s\n" "reload: every reload applied" "$(verdict "$RELOAD_FAILED" le 0)"
esac
case " $PARTS " in *" upgrade "*)
    printf "  %-60s %s\n" "upgrade: the command succeeded" "$(verdict "$U_RC" le 0)"
    printf "  %-60s %s\n" "upgrade: no failed request" "$(verdict "$U_FAILED" le 0)"
esac
