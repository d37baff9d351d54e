// Liveness both ways: a signaling connection that freezes (a TCP proxy that stops
// forwarding, closing nothing) is shown as "Reconnecting" within 10 s and recovers; a call
// keeps decoding video through a 15 s outage of the server connection, both sides are still
// in it afterwards, a bystander saw nobody leave or join, and no in-call badge outlives it.

import assert from "node:assert/strict";

import { scenario } from "../support/browser.js";
import { FreezableProxy } from "../support/freezable-proxy.js";
import {
  acceptCall,
  call,
  listEntry,
  waitForCallState,
  waitForOnlineList,
  waitForPlayingVideo,
  waitForRemoteTiles,
} from "../support/app.js";
import { BASTILLE, LOUVRE, PARIS } from "../support/places.js";
import { framesDecoded, recordPeerConnections } from "../support/rtc-stats.js";

/** How long the signaling stays frozen. */
const OUTAGE_MS = 15_000;
/** The bound on noticing a dead connection. */
const NOTICED_WITHIN_MS = 10_000;
/**
 * The server's silent-client bound in this test: longer than the outage and the reconnect
 * after it, short enough that the stale connections are closed within the test.
 */
const IDLE_TIMEOUT_MS = 30_000;

/** The ICE username fragment of the open peer connection's local description on `user`'s page. */
async function localIceUfrag(user) {
  return user.page.evaluate(() => {
    const pc = window.__peerConnections.find((p) => p.connectionState !== "closed");
    return { ufrag: pc?.localDescription?.sdp.match(/a=ice-ufrag:(\S+)/)?.[1] ?? null, state: pc?.signalingState ?? null };
  });
}

/** The `presence` deltas `user`'s page received from the `from`-th frame on, naming `emails`. */
function presenceChangesOf(user, from, emails) {
  const changes = [];
  for (const frame of user.frames.slice(from)) {
    if (frame.dir !== "in" || frame.type !== "presence") continue;
    const delta = JSON.parse(frame.data);
    for (const email of delta.left ?? []) if (emails.includes(email)) changes.push(`left ${email}`);
    for (const u of delta.joined ?? []) if (emails.includes(u.email)) changes.push(`joined ${u.email}`);
  }
  return changes;
}

/** Whether `user` received a `call-accept` with `resync` (a "still in this call"). */
function receivedResync(user) {
  return user.frames.some((f) => f.dir === "in" && f.type === "call-accept" && JSON.parse(f.data).resync === true);
}

const elapsedSince = (start) => Date.now() - start;

scenario(
  "14. a frozen signaling connection shows Reconnecting within 10 s; a call keeps its video through a 15 s outage and is in sync after it",
  async (world, t) => {
    const proxy = await FreezableProxy.start({ host: world.servers.backend.host, port: world.servers.backend.port });
    try {
      const throughProxy = await world.servers.startFrontend(proxy.url);
      const room = "team";
      const a = await world.newUser({ email: "alice@example.com", name: "Alice", room, position: PARIS, appUrl: throughProxy, initScript: recordPeerConnections });
      const b = await world.newUser({ email: "bob@example.com", name: "Bob", room, position: LOUVRE, appUrl: throughProxy, initScript: recordPeerConnections });
      // Carol reaches the backend directly: she watches what the others' outage looks like.
      const c = await world.newUser({ email: "carol@example.com", name: "Carol", room, position: BASTILLE });
      const everyone = [a.email, b.email, c.email];
      for (const me of [a, b, c]) await waitForOnlineList(me, everyone);

      await call(a, b.email);
      await acceptCall(b, "Alice");
      for (const [me, other] of [[a, b], [b, a]]) {
        await waitForCallState(me, "in-call");
        await waitForPlayingVideo(me, other.email);
      }
      // Carol watches from once she shows both in the call: a call state that reaches her
      // later (a tick behind, under load) is no part of the outage.
      for (const inCall of [a, b]) await listEntry(c, inCall.email).locator(".user-in-call").waitFor();
      const carolFrom = c.frames.length;

      // The network under both pages goes silent.
      const frozenAt = Date.now();
      proxy.freeze();
      const decodedAtFreeze = [await framesDecoded(a), await framesDecoded(b)];
      const noticed = [];
      for (const me of [a, b]) {
        await me.page.locator('#connection-status[data-state="reconnecting"]').waitFor({ timeout: NOTICED_WITHIN_MS + 2_000 });
        noticed.push(elapsedSince(frozenAt));
      }
      t.diagnostic(`"Reconnecting" shown ${noticed.join(" ms and ")} ms after the freeze`);
      for (const ms of noticed) assert.ok(ms <= NOTICED_WITHIN_MS, `noticed after ${ms} ms`);
      // Alice's network path changes meanwhile: her ICE restart's offer cannot be sent now.
      const ufragBefore = (await localIceUfrag(a)).ufrag;
      await a.page.evaluate(() => window.__peerConnections.find((p) => p.connectionState !== "closed").restartIce());

      // Through the outage the call goes on, its video decoding, every second.
      let last = decodedAtFreeze;
      while (elapsedSince(frozenAt) < OUTAGE_MS) {
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        const now = [await framesDecoded(a), await framesDecoded(b)];
        assert.ok(now[0] > last[0] && now[1] > last[1], `video stalled during the outage: ${last} then ${now}`);
        last = now;
        for (const me of [a, b]) {
          assert.equal(await me.page.locator("#call-status").getAttribute("data-state"), "in-call", `${me.label} left the call`);
        }
      }
      t.diagnostic(`frames decoded during the outage: ${last[0] - decodedAtFreeze[0]} (Alice), ${last[1] - decodedAtFreeze[1]} (Bob)`);

      proxy.thaw();
      const thawedAt = Date.now();
      for (const me of [a, b]) await me.page.locator('#connection-status[data-state="online"]').waitFor({ timeout: 30_000 });
      t.diagnostic(`online again ${elapsedSince(thawedAt)} ms after the network came back`);
      // Both still in the call, with each other, and it plays.
      for (const [me, other] of [[a, b], [b, a]]) {
        await waitForCallState(me, "in-call");
        await waitForRemoteTiles(me, [other.email]);
        await waitForPlayingVideo(me, other.email);
      }
      // The restart lost during the outage was negotiated once both were back.
      await a.page.waitForFunction((before) => {
        const pc = window.__peerConnections.find((p) => p.connectionState !== "closed");
        const ufrag = pc?.localDescription?.sdp.match(/a=ice-ufrag:(\S+)/)?.[1];
        return pc?.signalingState === "stable" && ufrag && ufrag !== before;
      }, ufragBefore, { timeout: 30_000 });
      t.diagnostic(`ICE restarted after the outage: ${JSON.stringify(await localIceUfrag(a))}, was ${ufragBefore}`);
      for (const [me, other] of [[a, b], [b, a]]) await waitForPlayingVideo(me, other.email);
      // The one who came back last reached the other with its "still in this call".
      const resynced = () => receivedResync(a) || receivedResync(b);
      for (let i = 0; i < 50 && !resynced(); i++) await new Promise((resolve) => setTimeout(resolve, 200));
      assert.ok(resynced(), "neither side heard the other's re-sync");

      // The server closes the stale connections at its silent-client bound; their users
      // stay online through their new ones.
      await waitUntilClosedTwice(world.servers.backend, IDLE_TIMEOUT_MS + 20_000);
      await waitForOnlineList(c, everyone);
      assert.deepEqual(presenceChangesOf(c, carolFrom, [a.email, b.email]), [], "Carol saw the outage");

      // Hang-up: the call ends on both sides and no in-call badge is left anywhere.
      await a.page.click("#hang-up");
      await waitForRemoteTiles(b, []);
      for (const me of [a, b, c]) {
        for (const email of [a.email, b.email]) {
          await listEntry(me, email).locator(".user-in-call").waitFor({ state: "detached" });
        }
        await me.page.locator(".marker-in-call").first().waitFor({ state: "detached" });
      }
    } finally {
      await proxy.close();
    }
  },
  { timeout: 240_000, backendArgs: ["--ping-interval-ms", "2000", "--idle-timeout-ms", String(IDLE_TIMEOUT_MS)] },
);

/** Waits until the backend has logged two connections closed for their silence. */
async function waitUntilClosedTwice(backend, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  const count = () => backend.log.filter((line) => /closed: no answer to pings/.test(line)).length;
  while (count() < 2) {
    assert.ok(Date.now() < deadline, `the backend closed ${count()} silent connections, not 2:\n${backend.tail()}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
