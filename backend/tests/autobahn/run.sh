#!/usr/bin/env bash
# RFC 6455 conformance: the Autobahn testsuite's fuzzing client against the backend's
# test-only echo route (`backend/examples/echo_server.rs`: the production handshake and
# socket limits). Fails on any FAILED case and on any case whose behaviour differs from
# `expected.json`; `AUTOBAHN_UPDATE=1` rewrites that file from the run instead.
#
# The testsuite (wstest) runs on Python 2.7 only. Without Python 2.7 this prints why it
# skipped and exits 0. Its packages are installed once, into target/autobahn-venv.
#
# Cases left out, and why:
#   9.*        performance (messages up to 16 MiB, over our 64 KiB message limit on purpose)
#   12.*, 13.* permessage-deflate compression, which the backend does not offer
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
case "$target" in /*) ;; *) target="$root/$target" ;; esac
venv="$target/autobahn-venv"
work="$target/autobahn"

find_python2() {
    local candidate
    for candidate in "$(command -v python2.7 || true)" "$HOME"/.pyenv/versions/2.7*/bin/python2.7; do
        # A pyenv shim exists even when no 2.7 is installed: ask it to run.
        if [ -n "$candidate" ] && [ -x "$candidate" ] \
            && "$candidate" -c 'import sys; assert sys.version_info[:2] == (2, 7)' 2>/dev/null; then
            echo "$candidate"
            return 0
        fi
    done
    return 1
}

if ! python2=$(find_python2); then
    echo "autobahn: skipped: no Python 2.7 (the Autobahn testsuite needs it; looked for python2.7 on PATH and in ~/.pyenv/versions/2.7*)"
    exit 0
fi

# The virtualenv, made again when requirements.txt changes. Python 2.7 has no venv
# module: virtualenv (its last line that runs on 2.7) is fetched into a folder of its own.
stamp="$venv/.requirements.sha256"
wanted=$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)
if [ ! -x "$venv/bin/wstest" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
    echo "autobahn: installing the testsuite into $venv (Python: $python2)"
    rm -rf "$venv" "$target/autobahn-bootstrap"
    "$python2" -m pip install --quiet --disable-pip-version-check \
        --target "$target/autobahn-bootstrap" 'virtualenv<20.22'
    PYTHONPATH="$target/autobahn-bootstrap" "$python2" -m virtualenv --quiet "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
    echo "$wanted" > "$stamp"
fi

(cd "$root" && cargo build --quiet -p backend --example echo_server)
rm -rf "$work"
mkdir -p "$work"

# The server stops when its standard input closes: here, when this script exits.
mkfifo "$work/stdin"
"$target/debug/examples/echo_server" < "$work/stdin" > "$work/server.out" 2> "$work/server.log" &
server=$!
exec 3> "$work/stdin"
trap 'exec 3>&-; wait "$server" 2>/dev/null || true' EXIT

address=""
for _ in $(seq 1 100); do
    address=$(sed -n 's/^listening on //p' "$work/server.out")
    [ -n "$address" ] && break
    kill -0 "$server" 2>/dev/null || { echo "autobahn: the echo server exited" >&2; cat "$work/server.log" >&2; exit 1; }
    sleep 0.1
done
[ -n "$address" ] || { echo "autobahn: the echo server did not start" >&2; exit 1; }

cat > "$work/fuzzingclient.json" <<EOF
{
  "outdir": "$work/reports",
  "servers": [{"agent": "meetmap", "url": "ws://$address/__echo"}],
  "cases": ["*"],
  "exclude-cases": ["9.*", "12.*", "13.*"],
  "exclude-agent-cases": {}
}
EOF

echo "autobahn: fuzzing ws://$address/__echo (log: $work/wstest.log)"
(cd "$work" && "$venv/bin/wstest" -m fuzzingclient -s fuzzingclient.json) > "$work/wstest.log" 2>&1 || {
    echo "autobahn: wstest failed" >&2
    tail -n 30 "$work/wstest.log" >&2
    exit 1
}

"$python2" "$here/compare.py" "$work/reports/index.json" "$here/expected.json"
