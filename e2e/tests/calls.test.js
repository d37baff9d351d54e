// Calls over WebRTC between Chromium's fake cameras: accept, decline, no answer, hang-up,
// a group of three, and signaling that never reaches a bystander.

import assert from "node:assert/strict";

import { scenario } from "../support/browser.js";
import {
  acceptCall,
  assertNoSignalingReceived,
  call,
  declineCall,
  remoteVideo,
  sendChat,
  waitForCallState,
  waitForChat,
  waitForFrame,
  waitForIncomingCall,
  waitForOnlineList,
  waitForPlayingVideo,
  waitForRemoteTiles,
} from "../support/app.js";
import { BASTILLE, LOUVRE, PARIS } from "../support/places.js";

async function users(world, count) {
  const all = [
    { email: "alice@example.com", name: "Alice", room: "team", position: PARIS },
    { email: "bob@example.com", name: "Bob", room: "team", position: LOUVRE },
    { email: "carol@example.com", name: "Carol", room: "team", position: BASTILLE },
  ].slice(0, count);
  const list = [];
  for (const u of all) list.push(await world.newUser(u));
  for (const me of list) await waitForOnlineList(me, all.map((u) => u.email));
  return list;
}

/** Waits until `user` shows no call: no remote tile, and the panel gone or "ended". */
async function waitForCallOver(user) {
  await waitForRemoteTiles(user, []);
  await user.page.waitForFunction(() => {
    const panel = document.querySelector("#call-panel");
    const status = document.querySelector("#call-status");
    const hidden = !panel || panel.hidden || panel.offsetParent === null || getComputedStyle(panel).display === "none";
    return hidden || status?.dataset.state === "ended";
  });
}

scenario("4. an accepted call plays video both ways; a bystander gets no signaling", async (world) => {
  const [a, b, c] = await users(world, 3);

  await call(a, b.email);
  await acceptCall(b, "Alice");
  await waitForCallState(a, "in-call");
  await waitForCallState(b, "in-call");
  await waitForRemoteTiles(a, [b.email]);
  await waitForRemoteTiles(b, [a.email]);
  await waitForPlayingVideo(a, b.email);
  await waitForPlayingVideo(b, a.email);
  await a.page.locator("#local-video").waitFor();
  assert.equal(await a.page.locator("#local-video").evaluate((v) => v.muted), true, "the local video is muted");

  // Barrier: a room message sent after the whole negotiation reaches C after it would have.
  await sendChat(a, "We are in a call");
  await waitForChat(c, "We are in a call");
  await waitForFrame(c, (f) => f.type === "chat" && f.text === "We are in a call", "the barrier message");
  assertNoSignalingReceived(c);
  assert.equal(await c.page.locator("#incoming-call").isVisible(), false, "C was never rung");
  assert.equal(await remoteVideo(c, a.email).count(), 0);
});

scenario("5a. a declined call shows \"declined\" to the caller", async (world) => {
  const [a, b] = await users(world, 2);

  await call(a, b.email);
  await declineCall(b, "Alice");
  const text = await waitForCallState(a, "declined");
  assert.match(text, /declined/i);
  await b.page.locator("#incoming-call").waitFor({ state: "hidden" });
  await waitForRemoteTiles(a, []);
});

/** The ring timeout of the test that waits for it (the suite's, 20 s, is for answering). */
const SHORT_RING = { appEnv: { MEETMAP_RING_TIMEOUT_MS: "3000" } };

scenario("5b. an unanswered call shows \"no answer\" after the ring timeout", async (world) => {
  const [a, b] = await users(world, 2);

  await call(a, b.email);
  await waitForIncomingCall(b, "Alice");
  const started = Date.now();
  const text = await waitForCallState(a, "no-answer");
  assert.match(text, /no answer/i);
  // This test's frontend runs with MEETMAP_RING_TIMEOUT_MS=3000; the default is far longer.
  assert.ok(Date.now() - started < 10_000, "the shortened ring timeout applies");
  // The callee stops ringing too.
  await b.page.locator("#incoming-call").waitFor({ state: "hidden" });
  await waitForRemoteTiles(a, []);
}, SHORT_RING);

scenario("6a. hang-up ends the call on both sides", async (world) => {
  const [a, b] = await users(world, 2);

  await call(a, b.email);
  await acceptCall(b, "Alice");
  await waitForRemoteTiles(a, [b.email]);
  await waitForRemoteTiles(b, [a.email]);
  await waitForCallState(a, "in-call");
  await waitForCallState(b, "in-call");

  await a.page.click("#hang-up");
  await waitForCallOver(a);
  await waitForCallOver(b);
});

scenario("6b. a third person joins a call: everyone sees two remote videos", async (world) => {
  const [a, b, c] = await users(world, 3);

  await call(a, b.email);
  await acceptCall(b, "Alice");
  await waitForRemoteTiles(a, [b.email]);
  await waitForCallState(a, "in-call");

  await call(a, c.email); // an invitation while in a call
  await acceptCall(c, "Alice");
  const all = [a, b, c];
  for (const me of all) {
    const others = all.filter((u) => u !== me).map((u) => u.email);
    await waitForRemoteTiles(me, others);
    await waitForCallState(me, "in-call");
  }
  for (const me of all) {
    for (const other of all.filter((u) => u !== me)) await waitForPlayingVideo(me, other.email);
  }

  // When one leaves, the others keep each other and drop the leaver's tile.
  await c.page.click("#hang-up");
  await waitForCallOver(c);
  await waitForRemoteTiles(a, [b.email]);
  await waitForRemoteTiles(b, [a.email]);
});
