// Relay-only calls through a real coturn (the shipped deploy/turnserver.conf, a generated
// secret): the frontend in relay mode, the backend handing each connection its own TURN
// credentials; a 1:1 call carries video both ways and both sides' selected candidate pair
// is relay/relay; /config.json holds no credential. Without TURN, relay mode says calls
// need a TURN server instead of failing silently.

import assert from "node:assert/strict";

import { World, launchBrowser, scenario } from "../support/browser.js";
import { startCoturn } from "../support/coturn.js";
import { Servers } from "../support/servers.js";
import {
  assertNoSignalingReceived,
  call,
  callUntilPlaying,
  sendChat,
  waitForFrame,
  waitForOnlineList,
  waitForPlayingVideo,
} from "../support/app.js";
import { LOUVRE, PARIS } from "../support/places.js";
import { framesDecoded, recordPeerConnections, selectedPairs } from "../support/rtc-stats.js";

const RELAY_ONLY = { MEETMAP_ICE_TRANSPORT_POLICY: "relay" };
/** Long enough to set the call up, short enough to be renewed within the test. */
const TURN_TTL_SECS = 15;

/** The TURN user names of `user`'s open peer connections' configurations. */
async function configuredTurnUsers(user) {
  return user.page.evaluate(() =>
    window.__peerConnections
      .filter((pc) => pc.connectionState !== "closed")
      .flatMap((pc) => pc.getConfiguration().iceServers.map((s) => s.username).filter(Boolean)),
  );
}

/** A world whose backend hands out credentials of a coturn started for the test. */
class TurnWorld extends World {
  async start(options) {
    this.coturn = await startCoturn();
    this.servers = await Servers.start({
      ...options,
      backendArgs: [
        "--turn-secret-file", this.coturn.secretFile,
        "--turn-urls", this.coturn.url,
        // Renewed during the call (at 4/5 of it): the open peer connection takes them.
        "--turn-ttl-secs", String(TURN_TTL_SECS),
      ],
    });
    this.browser = await launchBrowser();
  }

  async close() {
    await super.close();
    await this.coturn?.stop();
  }
}

/** Polls `probe(user)` until `done(value)`, or fails after 20 s with the last value. */
async function eventually(user, probe, done, what) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await probe(user);
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${user.label}: ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

scenario("relay-only: a call through coturn plays video both ways over a relay/relay pair", async (world) => {
  const users = [
    { email: "alice@example.com", name: "Alice", room: "relay", position: PARIS, initScript: recordPeerConnections },
    { email: "bob@example.com", name: "Bob", room: "relay", position: LOUVRE, initScript: recordPeerConnections },
  ];
  const [a, b] = [await world.newUser(users[0]), await world.newUser(users[1])];
  for (const user of [a, b]) await waitForOnlineList(user, users.map((u) => u.email));

  const config = await a.page.evaluate(async () => (await fetch("/config.json")).text());
  assert.equal(JSON.parse(config).iceTransportPolicy, "relay");
  assert.doesNotMatch(config, /credential|username|turn:/i, "no TURN credential in /config.json");
  const welcome = JSON.parse(a.frames.find((f) => f.dir === "in" && f.type === "welcome").data);
  assert.deepEqual(welcome.iceServers.map((s) => s.urls), [[world.coturn.url]]);
  assert.match(welcome.iceServers[0].username, /^\d+:[A-Za-z0-9]+$/);

  await callUntilPlaying(a, b);
  for (const user of [a, b]) {
    await eventually(user, framesDecoded, (n) => n > 0, "no video frame decoded");
    const [pair] = await eventually(user, selectedPairs, (p) => p.length === 1 && p[0].local, "no selected pair");
    assert.deepEqual(pair, { policy: "relay", urls: [world.coturn.url], local: "relay", remote: "relay" }, user.label);
  }
  // The relay carried it: coturn allocated for the credentials of both welcomes.
  for (const user of [a, b]) {
    const { username } = JSON.parse(user.frames.find((f) => f.dir === "in" && f.type === "welcome").data).iceServers[0];
    const allocated = world.coturn.server.log.some((l) => l.includes(`user <${username}>: incoming packet ALLOCATE processed, success`));
    assert.ok(allocated, `${user.label}: no allocation for ${username} in coturn's log:\n${world.coturn.server.tail(60)}`);
  }

  // The renewal reaches the open call: its peer connection now holds the new credentials.
  for (const user of [a, b]) {
    await waitForFrame(user, (f) => f.type === "ice-servers", "the TURN renewal", 30_000);
    const latest = async () => ({
      renewed: JSON.parse(user.frames.findLast((f) => f.dir === "in" && f.type === "ice-servers").data).iceServers[0].username,
      configured: await configuredTurnUsers(user),
    });
    await eventually(user, latest, ({ renewed, configured }) => configured.length === 1 && configured[0] === renewed, "the renewal not taken");
  }
  await waitForPlayingVideo(a, b.email);
  await waitForPlayingVideo(b, a.email);
}, { WorldClass: TurnWorld, appEnv: RELAY_ONLY, timeout: 120_000 });

scenario("relay-only without TURN: calling says a TURN server is needed, and rings nobody", async (world) => {
  const a = await world.newUser({ email: "alice@example.com", name: "Alice", room: "norelay", position: PARIS });
  const b = await world.newUser({ email: "bob@example.com", name: "Bob", room: "norelay", position: LOUVRE });
  for (const user of [a, b]) await waitForOnlineList(user, [a.email, b.email]);

  await call(a, b.email);
  const alert = a.page.locator(".notification[data-kind=error]");
  await alert.waitFor();
  assert.match(await alert.textContent(), /TURN server/);
  // Barrier: a room message sent after the click reaches Bob after any invite would have.
  await sendChat(a, "No call then");
  await waitForFrame(b, (f) => f.type === "chat" && f.text === "No call then", "the barrier message");
  assertNoSignalingReceived(b);
  assert.equal(await b.page.locator("#incoming-call").isVisible(), false, "Bob was never rung");
}, { appEnv: RELAY_ONLY });
