// The shipped reverse proxy (deploy/nginx.conf in a real nginx): the app loaded over
// https://, its WebSocket over wss:// through the proxy's /ws to a backend that only allows
// the proxy's origin and trusts its X-Forwarded-For; two users log in, see each other and
// call. And the backend reads each client's address from the header nginx passes on: a
// guesser behind the proxy delays only itself, and a client's connections past the
// per-address cap are refused while another client behind the proxy still gets in.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { scenario } from "../support/browser.js";
import { freePort, startNginx } from "../support/nginx.js";
import { NginxWorld, behindProxy, upgradeThroughNginx } from "../support/nginx-world.js";
import { Servers } from "../support/servers.js";
import { callUntilPlaying, waitForOnlineList } from "../support/app.js";
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

scenario("through nginx: https and wss, login, presence and a call", async (world) => {
  const a = await world.newUser({ email: "alice@example.com", name: "Alice", room: "proxy", position: PARIS });
  const b = await world.newUser({ email: "bob@example.com", name: "Bob", room: "proxy", position: LOUVRE });
  for (const user of [a, b]) await waitForOnlineList(user, ["alice@example.com", "bob@example.com"]);
  assert.match(a.page.url(), /^https:\/\/127\.0\.0\.1:\d+\//);
  const config = await a.page.evaluate(async () => (await fetch("/config.json")).json());
  assert.equal(config.wsUrl, `${world.origin.replace("https:", "wss:")}/ws`);

  await callUntilPlaying(a, b);

  // Both WebSockets went through the proxy: nginx logs each upgrade (101) on /ws once it
  // is closed, so the browser goes first.
  await world.browser.close();
  const upgrades = await pollUpgrades(world.nginx.accessLog, 2);
  assert.ok(upgrades.length >= 2, `nginx upgrades:\n${upgrades.join("\n")}`);
}, { WorldClass: NginxWorld, timeout: 120_000 });

const CODE = "314159";

/**
 * Signs in through nginx's `/ws` as a client whose request came with `X-Forwarded-For:
 * client`; resolves with the answer to the `add-user`: the welcome or the error.
 */
async function signInThroughNginx(origin, client, code) {
  const { socket, status } = await upgradeThroughNginx(origin, client);
  assert.ok(socket, `the upgrade for ${client} was refused with ${status}`);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer for ${client}`)), 15_000);
    const email = `someone@${client}.test`;
    socket.send(JSON.stringify({ type: "add-user", name: "Someone", email, accessCode: code }));
    socket.on("message", (data) => {
      const frame = JSON.parse(data.toString());
      if (frame.type !== "welcome" && frame.type !== "error") return;
      clearTimeout(timer);
      socket.close();
      resolve(frame);
    });
  });
}

/** Runs `fn(origin)` with the servers (`backendArgs` added to the proxy's) behind nginx. */
async function behindNginx(backendArgs, fn) {
  const port = await freePort();
  const origin = `https://127.0.0.1:${port}`;
  const servers = await Servers.start({
    wsUrl: `wss://127.0.0.1:${port}/ws`,
    backendArgs: [...behindProxy(origin), ...backendArgs],
  });
  let nginx;
  try {
    nginx = await startNginx(servers, port);
    await fn(origin);
  } finally {
    await nginx?.stop();
    await servers.close();
  }
}

test("through nginx: the backend counts each client by X-Forwarded-For", { timeout: 60_000 }, async () => {
  await behindNginx(["--access-code", CODE], async (origin) => {
    // The guesser: five free failures, then delays (the next try at once is held up).
    const answers = [];
    while (answers.length < 10 && !answers.includes("too-many-attempts")) {
      answers.push((await signInThroughNginx(origin, "203.0.113.5", "000000")).code);
    }
    assert.ok(answers.includes("too-many-attempts"), `the guesser was never delayed: ${answers}`);
    assert.deepEqual(answers.slice(0, 5), Array(5).fill("access-denied"));
    // Someone else behind the same proxy, at once: not held up.
    const friend = await signInThroughNginx(origin, "198.51.100.7", CODE);
    assert.equal(friend.type, "welcome", JSON.stringify(friend));
  });
});

test("through nginx: the per-address cap counts each forwarded client", { timeout: 60_000 }, async () => {
  await behindNginx(["--max-connections-per-ip", "2"], async (origin) => {
    const held = [];
    for (let i = 0; i < 2; i++) held.push(await upgradeThroughNginx(origin, "203.0.113.5"));
    assert.ok(held.every((h) => h.socket), `the first two got in: ${JSON.stringify(held.map((h) => h.status))}`);
    const third = await upgradeThroughNginx(origin, "203.0.113.5");
    assert.equal(third.status, 503, "the client's third connection is over its cap");
    assert.equal(third.body, "too many connections from this address");
    // Another client behind the same proxy (its third connection from nginx) gets in.
    const other = await upgradeThroughNginx(origin, "198.51.100.7");
    assert.ok(other.socket, `another client was refused with ${other.status}`);
    for (const { socket } of [...held, other]) socket.close();
  });
});
