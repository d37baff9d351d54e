// The shipped reverse proxy (deploy/nginx.conf in a real nginx): the app loaded over
// https://, its WebSocket over wss:// through the proxy's /ws to a backend that only allows
// the proxy's origin and trusts its X-Forwarded-For; two users log in, see each other and
// call.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

import { World, launchBrowser, scenario } from "../support/browser.js";
import { freePort, startNginx } from "../support/nginx.js";
import { Servers } from "../support/servers.js";
import { acceptCall, call, waitForCallState, waitForOnlineList, waitForPlayingVideo } from "../support/app.js";
import { LOUVRE, PARIS } from "../support/places.js";

/** The access log's `GET /ws ... 101` lines, once there are `count` (or after 15 s). */
async function pollUpgrades(accessLog, count) {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const upgrades = readFileSync(accessLog, "utf8").split("\n").filter((l) => /"GET \/ws[ ?].* 101 /.test(l));
    if (upgrades.length >= count || Date.now() > deadline) return upgrades;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** A world whose app is reached through nginx on https://127.0.0.1:<port>/. */
class NginxWorld extends World {
  async start(options) {
    const port = await freePort();
    this.origin = `https://127.0.0.1:${port}`;
    this.servers = await Servers.start({
      ...options,
      wsUrl: `wss://127.0.0.1:${port}/ws`,
      backendArgs: ["--allowed-origins", this.origin, "--trusted-proxies", "127.0.0.1"],
    });
    this.nginx = await startNginx(this.servers, port);
    this.browser = await launchBrowser(["--ignore-certificate-errors"]);
  }

  get appUrl() {
    return `${this.origin}/`;
  }

  async close() {
    await super.close();
    await this.nginx?.stop();
  }
}

scenario("through nginx: https and wss, login, presence and a call", async (world) => {
  const a = await world.newUser({ email: "alice@example.com", name: "Alice", room: "proxy", position: PARIS });
  const b = await world.newUser({ email: "bob@example.com", name: "Bob", room: "proxy", position: LOUVRE });
  for (const user of [a, b]) await waitForOnlineList(user, ["alice@example.com", "bob@example.com"]);
  assert.match(a.page.url(), /^https:\/\/127\.0\.0\.1:\d+\//);
  const config = await a.page.evaluate(async () => (await fetch("/config.json")).json());
  assert.equal(config.wsUrl, `${world.origin.replace("https:", "wss:")}/ws`);

  await call(a, b.email);
  await acceptCall(b, "Alice");
  await waitForCallState(a, "in-call");
  await waitForCallState(b, "in-call");
  await waitForPlayingVideo(a, b.email);
  await waitForPlayingVideo(b, a.email);

  // Both WebSockets went through the proxy: nginx logs each upgrade (101) on /ws once it
  // is closed, so the browser goes first.
  await world.browser.close();
  const upgrades = await pollUpgrades(world.nginx.accessLog, 2);
  assert.ok(upgrades.length >= 2, `nginx upgrades:\n${upgrades.join("\n")}`);
}, { WorldClass: NginxWorld, timeout: 120_000 });
