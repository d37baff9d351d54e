# meetmap: `just run` starts the app, `just test` runs every test. `just --list` for more.

set shell := ["bash", "-euo", "pipefail", "-c"]

# Build both servers and start them on their defaults; Ctrl-C stops both.
run: _deps
    #!/usr/bin/env bash
    set -euo pipefail
    cargo build --release -p backend -p frontend
    ./target/release/backend & backend=$!
    ./target/release/frontend & frontend=$!
    trap 'kill -TERM $backend $frontend 2>/dev/null || true' INT TERM
    echo "meetmap: open http://127.0.0.1:3000 (Ctrl-C stops both servers)"
    wait -n || true
    kill -TERM $backend $frontend 2>/dev/null || true
    wait

# Only the WebSocket server (flags after the recipe name, e.g. `just backend --help`).
backend *ARGS:
    cargo run -p backend -- {{ARGS}}

# Only the static server (it embeds the app: `--public-dir frontend/public` serves the
# checkout's files instead, for editing them without a rebuild).
frontend *ARGS: _deps
    cargo run -p frontend -- {{ARGS}}

# Both servers built optimised, each one file to copy to a server (the frontend embeds the
# browser app and its libraries): prints where they are.
release: _deps
    cargo build --release -p backend -p frontend
    @echo "meetmap: release binaries in $(cargo metadata --format-version 1 --no-deps | node -p 'JSON.parse(require("fs").readFileSync(0)).target_directory')/release/{backend,frontend}"

# Every test of the workspace, the browser app's codec, then the browser tests (e2e/, needs
# Node.js, Chromium, Firefox ESR and geckodriver).
test: _deps
    {{just_executable()}} cycles
    {{just_executable()}} _loadgen-deps
    cargo test --workspace --all-targets
    {{just_executable()}} deploy-check
    {{just_executable()}} js-test
    {{just_executable()}} e2e
    {{just_executable()}} autobahn

# The browser app's wire codec and connection against the golden frames, without a browser
# (Node.js 20, no npm package).
js-test:
    node --test frontend/tests/js/

# The release binaries copied to a temporary folder and run from there, the checkout hidden
# (e2e/tests/copied-binaries.test.js; `just test` runs the same test on the debug build).
release-test: release
    MEETMAP_BIN_DIR=target/release node --test e2e/tests/copied-binaries.test.js

# The deploy files: systemd-analyze verify on the units, nginx -t on the site, hadolint on
# the Dockerfile, the compose file against the units (a missing tool is a skip that says why).
deploy-check:
    cargo build -p backend -p frontend
    bash deploy/check.sh

# Only the browser tests: both servers built, driven through Chromium (CHROMIUM_PATH) and
# Firefox ESR over geckodriver (FIREFOX_PATH, GECKODRIVER_PATH).
e2e: _deps
    cargo build -p backend -p frontend
    {{just_executable()}} _e2e-deps
    npm test --prefix e2e

# Only the Firefox browser tests (e2e/tests/firefox*.test.js).
e2e-firefox: _deps
    cargo build -p backend -p frontend
    {{just_executable()}} _e2e-deps
    npm run firefox --prefix e2e

# The browser tests' npm packages (playwright-core, selenium-webdriver, axe-core, ws), when one is missing.
[private]
_e2e-deps:
    if ! npm ls --prefix e2e >/dev/null 2>&1; then npm ci --prefix e2e; fi

# The browser app's npm packages (Leaflet, Leaflet.markercluster), when any is missing.
[private]
_deps:
    if [ -f frontend/package.json ] && ! npm ls --prefix frontend >/dev/null 2>&1; then npm ci --prefix frontend; fi

# The load generator's npm package (`peer`, the PeerJS server of the relay's side-by-side
# row), when missing; without npm its row and test say "skipped" instead.
[private]
_loadgen-deps:
    if ! command -v npm >/dev/null; then echo "no npm: the PeerJS relay row is skipped"; elif ! npm ls --prefix loadgen >/dev/null 2>&1; then npm ci --prefix loadgen; fi

# No two modules of a crate (or of the browser app) import each other, directly or not.
cycles:
    node tools/module-cycles.mjs .

# Formatting, lints as errors, then the tests: what CI runs.
check: _deps
    cargo fmt --all -- --check
    cargo clippy --workspace --all-targets -- -D warnings
    just test

# Benchmarks: release build, a fresh backend per scenario, the default suite (about 10
# minutes with the cluster rows, at the issues' target sizes), the table written to docs/BENCHMARKS.md. Flags
# go to `loadgen suite`, e.g. `just bench --live 20000 --idle 2000,10000` (see
# `loadgen suite --help`).
bench *ARGS:
    cargo build --release -p backend -p loadgen
    {{just_executable()}} _loadgen-deps
    ./target/release/loadgen suite --backend target/release/backend --command "just bench {{ARGS}}" {{ARGS}}

# A tiny benchmark run that checks correctness only (0 lost, 0 ghosts), never a timing.
bench-smoke:
    cargo build -p backend -p loadgen
    ./target/debug/loadgen suite --smoke --backend target/debug/backend

# AUTOBAHN_UPDATE=1 rewrites backend/tests/autobahn/expected.json from the run.
# RFC 6455 conformance: Autobahn testsuite vs the echo route (needs Python 2.7, else skips).
autobahn:
    bash backend/tests/autobahn/run.sh
