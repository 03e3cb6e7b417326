#!/usr/bin/env bash
# compat/setup.sh: install what the reference originals in compat/ need.
#
#   bash compat/setup.sh        # from any directory; as root on Debian bookworm
#
# - Debian packages: Ruby's ffi-rzmq, PHP's zmq extension, libzmq headers, and
#   curl/wrk for the tests and benchmarks. Checked with dpkg first; apt-get update
#   runs only when something is missing.
# - A virtualenv at compat/.venv with the pins of compat/requirements.txt, as
#   wheels only. pip is skipped when the stamp file in the venv holds the hash of
#   the requirements (and the Python version) it was built from; otherwise the
#   venv is rebuilt from scratch (about 20 s).
#
# Idempotent: a second run does no network I/O and prints one line. On failure it
# says what failed, shows the tail of the failing command's output, and exits 1.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$here/.venv"
req="$here/requirements.txt"
stamp="$venv/.requirements.sha256"
python="${PYTHON:-python3}"
apt_packages=(ruby-ffi-rzmq php-cli php-zmq libzmq3-dev curl wrk)

log="$(mktemp)"
trap 'rm -f "$log"' EXIT

fail() {
    echo "compat/setup.sh: FAILED: $*" >&2
    if [ -s "$log" ]; then
        echo "--- last lines of output ---" >&2
        tail -n 40 "$log" >&2
    fi
    exit 1
}

# run CMD...: run quietly, keeping the output in $log for fail() to show.
run() {
    : >"$log"
    "$@" >"$log" 2>&1
}

summary=()

# --- Debian packages -------------------------------------------------------
missing=()
for p in "${apt_packages[@]}"; do
    # `dpkg -s` exits 0 for removed-but-configured packages too; ask for the status word.
    if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null)" != "install ok installed" ]; then
        missing+=("$p")
    fi
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=()
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null || fail "need root (or sudo) to install: ${missing[*]}"
        sudo=(sudo -n)
    fi
    export DEBIAN_FRONTEND=noninteractive
    run "${sudo[@]}" apt-get update -q || fail "apt-get update"
    run "${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}" \
        || fail "apt-get install ${missing[*]}"
    summary+=("apt: installed ${missing[*]}")
else
    summary+=("apt: ok")
fi

# --- Python virtualenv -----------------------------------------------------
command -v "$python" >/dev/null || fail "no $python on PATH (set PYTHON=...)"
want="$( { cat "$req"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"
# A venv whose interpreter vanished (pyenv version removed) is rebuilt from scratch.
if [ -d "$venv" ] && ! "$venv/bin/python" -c 'pass' >/dev/null 2>&1; then
    rm -rf "$venv"
fi
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    summary+=("venv: ok")
else
    # Rebuilt from scratch rather than upgraded in place: no stale package
    # survives a changed pin, and a changed interpreter gets a venv of its own.
    rm -rf "$venv"
    run "$python" -m venv "$venv" || fail "$python -m venv $venv"
    run env PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
        "$venv/bin/python" -m pip install -q --only-binary=:all: -r "$req" \
        || fail "pip install -r $req (into $venv)"
    summary+=("venv: installed")
fi

# --- Check that every runtime the originals use really loads ----------------
# Cheap (well under a second) and catches a half-installed machine. Run from /
# so nothing in the caller's directory can shadow a module.
versions="$(cd / && "$venv/bin/python" -c \
    'import gevent, zmq; print("gevent %s, pyzmq %s, libzmq %s" % (gevent.__version__, zmq.__version__, zmq.zmq_version()))' 2>"$log")" \
    || fail "the venv cannot import gevent and zmq"
run ruby -e 'require "ffi-rzmq"; ZMQ::Context.new.terminate' || fail "ruby cannot load ffi-rzmq"
run php -r 'new ZMQContext();' || fail "php cannot load the zmq extension"
# Write the stamp only after the imports work, so a broken install is retried.
echo "$want" >"$stamp"

joined="$(IFS=';'; echo "${summary[*]}")"
echo "compat/setup.sh: ready (${joined//;/; }; $versions)"
