// A binary you can copy: both servers copied to a temporary folder and run from there with
// the checkout hidden (a private mount namespace bind-mounts an empty folder over it), so
// nothing can be read from the build's paths; the app, a module script and Leaflet's CSS
// come with the right types, and the backend takes a WebSocket upgrade.
//
// MEETMAP_BIN_DIR picks the binaries (default: target/debug, as the other e2e tests use;
// `just release-test` runs it on target/release). Without root or `unshare` the checkout
// cannot be hidden: the test then runs with it in place and says so.

import assert from "node:assert/strict";
import { spawnSync, spawn } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { test } from "node:test";

import { ROOT, Server, cleanEnv, listeningPortOf } from "../support/servers.js";

const BIN_DIR = process.env.MEETMAP_BIN_DIR
  ? path.resolve(ROOT, process.env.MEETMAP_BIN_DIR)
  : path.join(process.env.CARGO_TARGET_DIR ? path.resolve(ROOT, process.env.CARGO_TARGET_DIR) : path.join(ROOT, "target"), "debug");

/** Whether this process may hide a folder in a private mount namespace (root, unshare). */
function canHideCheckout(empty) {
  const probe = spawnSync("unshare", ["--mount", "sh", "-c", `mount --bind "${empty}" "${ROOT}" && test ! -e "${ROOT}/Cargo.toml"`]);
  return probe.status === 0;
}

/** Starts `bin` with cwd `dir`, the checkout hidden when `hide` (an empty folder) is set. */
function startCopied(name, bin, args, dir, hide) {
  const [command, argv] = hide
    ? ["unshare", ["--mount", "sh", "-c", `mount --bind "${hide}" "${ROOT}" && exec "$0" "$@"`, bin, ...args]]
    : [bin, args];
  const child = spawn(command, argv, { cwd: dir, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
  return new Server(name, child);
}

function get(url) {
  return new Promise((resolve, reject) => {
    http.get(url, (res) => {
      const chunks = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode, type: res.headers["content-type"], body: Buffer.concat(chunks).toString() }));
    }).on("error", reject);
  });
}

/** Resolves with the status of a WebSocket upgrade request (101 when accepted). */
function upgradeStatus(port) {
  return new Promise((resolve, reject) => {
    const req = http.request({
      host: "127.0.0.1",
      port,
      path: "/",
      headers: {
        Connection: "Upgrade",
        Upgrade: "websocket",
        "Sec-WebSocket-Version": "13",
        "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
      },
    });
    req.on("upgrade", (res, socket) => {
      socket.destroy();
      resolve(res.statusCode);
    });
    req.on("response", (res) => resolve(res.statusCode));
    req.on("error", reject);
    req.end();
  });
}

test("copied binaries serve the whole app from another folder, without the checkout", { timeout: 60_000 }, async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "meetmap-copied-"));
  const empty = path.join(dir, "empty");
  mkdirSync(empty);
  const hide = canHideCheckout(empty) ? empty : undefined;
  if (!hide) t.diagnostic("cannot hide the checkout here (needs root and unshare): run with it in place");
  const servers = [];
  try {
    for (const name of ["backend", "frontend"]) copyFileSync(path.join(BIN_DIR, name), path.join(dir, name));
    const backend = startCopied("backend", "./backend", ["--listen", "127.0.0.1:0", "--allowed-origins", "*"], dir, hide);
    servers.push(backend);
    await backend.waitForLine(/listening on ws:\/\//);
    const frontend = startCopied("frontend", "./frontend", ["--listen", "127.0.0.1:0"], dir, hide);
    servers.push(frontend);
    const [, source, appUrl] = await frontend.waitForLine(/serving (.*) on (http:\/\/\S+\/)/);
    assert.equal(source, "the embedded app");

    const cases = [
      ["/", "text/html; charset=utf-8", /<script type="module"/],
      ["/js/main.js", "text/javascript; charset=utf-8", /import/],
      ["/vendor/leaflet/leaflet.css", "text/css; charset=utf-8", /\.leaflet-container/],
      ["/vendor/markercluster/leaflet.markercluster.js", "text/javascript; charset=utf-8", /MarkerClusterGroup/],
      ["/healthz", "text/plain; charset=utf-8", /^ok$/],
    ];
    for (const [target, type, body] of cases) {
      const reply = await get(new URL(target, appUrl));
      assert.equal(reply.status, 200, target);
      assert.equal(reply.type, type, target);
      assert.match(reply.body, body, target);
    }
    assert.equal(await upgradeStatus(listeningPortOf(backend.child.pid)), 101);
    // The backend's files went to the folder it runs in.
    assert.ok(existsSync(path.join(dir, "data", "meetmap.sqlite3")), "the users store in ./data");
    if (hide) {
      // The proof that nothing above came from the checkout: it is not there for them.
      const blind = startCopied("frontend", "./frontend", ["--listen", "127.0.0.1:0", "--public-dir", path.join(ROOT, "frontend", "public")], dir, hide);
      await assert.rejects(blind.waitForLine(/serving/), /cannot open public dir/);
    }
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    rmSync(dir, { recursive: true, force: true });
  }
});
