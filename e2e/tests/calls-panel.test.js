// In a call: the other's camera off shows their avatar and their mute a mark, the timer
// runs, the self-view never covers a tile, the panel minimises to a bar and back while the
// video plays on, "Add to call" rings a third person, and no toast shows during the call.
// Outside a call: message toasts merged per conversation, none for the conversation on
// screen, and none for a reconnection.

import assert from "node:assert/strict";

import { scenario } from "../support/browser.js";
import {
  acceptCall,
  call,
  listEntry,
  sendChat,
  waitForCallState,
  waitForChat,
  waitForOnlineList,
  waitForPlayingVideo,
  waitForRemoteTiles,
} from "../support/app.js";
import { LONG_NAME, RTL_NAME, phoneUser } from "./calls-support.js";
import { LOUVRE, PARIS } from "../support/places.js";

/** Whether two boxes overlap (by more than a pixel). */
function overlap(a, b) {
  return a.x + a.width > b.x + 1 && b.x + b.width > a.x + 1 && a.y + a.height > b.y + 1 && b.y + b.height > a.y + 1;
}

async function tileOf(user, email) {
  return user.page.locator(`#remote-videos .remote-tile[data-email="${email}"]`);
}

scenario("calls 5. in a call: camera off shows the avatar, mute a mark, a timer, self-view beside the tiles, a bar when minimised, Add to call", async (world) => {
  const a = await world.newUser({ email: "max@example.com", name: LONG_NAME, room: "team", position: PARIS });
  const b = await phoneUser(world, { email: "noor@example.com", name: RTL_NAME, room: "team", position: LOUVRE });
  const c = await world.newUser({ email: "zoe@example.com", name: "Zoë 🦊", room: "team", position: null });
  for (const me of [a, b, c]) await waitForOnlineList(me, [a.email, b.email, c.email]);

  await call(a, b.email);
  await acceptCall(b, LONG_NAME);
  await waitForCallState(a, "in-call");
  await waitForPlayingVideo(a, b.email);
  await waitForPlayingVideo(b, a.email);
  const tile = await tileOf(a, b.email);
  await a.page.locator(`#remote-videos .remote-tile[data-email="${b.email}"][data-camera="on"]`).waitFor();
  // In a call, the list's button says what it does.
  assert.equal(await listEntry(a, c.email).locator("button.call").textContent(), "Add to call");
  assert.equal(await listEntry(c, a.email).locator("button.call").textContent(), "Call");

  // The self-view never covers a remote tile, on the desktop and on the phone.
  for (const [me, other] of [[a, b], [b, a]]) {
    const local = await me.page.locator("#local-tile").boundingBox();
    const remote = await (await tileOf(me, other.email)).boundingBox();
    assert.ok(!overlap(local, remote), `${me.label}: the self-view ${JSON.stringify(local)} is beside the tile ${JSON.stringify(remote)}`);
  }

  // The timer runs.
  const timer = a.page.locator("#call-timer");
  const first = await timer.textContent();
  assert.match(first, /^\d+:\d\d$/);
  await a.page.waitForFunction((t) => document.querySelector("#call-timer").textContent !== t, first);

  // Camera off over there: the avatar, not a black box; mute: a mark.
  await b.page.tap("#toggle-camera");
  await a.page.locator(`#remote-videos .remote-tile[data-email="${b.email}"][data-camera="off"]`).waitFor();
  assert.equal(await tile.locator("video").evaluate((v) => getComputedStyle(v).visibility), "hidden");
  assert.ok(await tile.locator(".tile-avatar").isVisible(), "the avatar shows");
  await b.page.tap("#toggle-mute");
  await tile.locator(".tile-muted").waitFor({ state: "visible" });
  assert.equal(await tile.getAttribute("data-muted"), "true");
  await b.page.tap("#toggle-camera");
  await a.page.locator(`#remote-videos .remote-tile[data-email="${b.email}"][data-camera="on"]`).waitFor();

  // Minimised to a bar on the phone: the call goes on, the map and chat are usable.
  const whole = await b.page.locator("#call-panel").boundingBox();
  await b.page.tap("#call-minimise");
  await b.page.locator('#call-panel[data-minimised="true"]').waitFor();
  const bar = await b.page.locator("#call-panel").boundingBox();
  console.log(`call panel on the phone: ${Math.round(whole.height)} px whole, ${Math.round(bar.height)} px as a bar`);
  assert.ok(bar.height <= 120, `the bar is low (${bar.height} px)`);
  assert.equal(await b.page.locator("#call-minimise").getAttribute("aria-expanded"), "false");
  assert.equal(await b.page.locator("#hang-up").isVisible(), true, "hang-up stays on the bar");
  assert.equal(await b.page.locator(`#remote-videos video[data-email="${a.email}"]`).evaluate((v) => v.paused), false);
  await b.page.tap("#call-minimise");
  await b.page.locator('#call-panel[data-minimised="false"]').waitFor();
  await waitForPlayingVideo(b, a.email);

  // No toast during the call: a room message shows in the chat only.
  await sendChat(c, "Anyone around?");
  await waitForChat(a, "Anyone around?");
  assert.equal(await a.page.locator(".notification").count(), 0, "no toast during a call");

  // "Add to call" lists the one not in it, and rings them.
  await a.page.click("#add-to-call");
  const people = a.page.locator("#add-to-call-menu button.add-to-call-person");
  assert.deepEqual(await people.evaluateAll((all) => all.map((p) => p.dataset.email)), [c.email]);
  await people.first().click();
  await acceptCall(c, LONG_NAME);
  await waitForRemoteTiles(a, [b.email, c.email]);
  await waitForRemoteTiles(c, [a.email, b.email]);
  // Zoë turns her camera off: the others see her avatar.
  await c.page.evaluate(() => document.querySelector("#toggle-camera").click());
  await a.page.locator(`#remote-videos .remote-tile[data-email="${c.email}"][data-camera="off"]`).waitFor();
});

scenario("calls 6. message toasts merge per conversation, none for the one on screen, none for a reconnection", async (world) => {
  const a = await world.newUser({ email: "max@example.com", name: LONG_NAME, room: "team", position: PARIS });
  const b = await world.newUser({ email: "noor@example.com", name: RTL_NAME, room: "team", position: LOUVRE });
  for (const me of [a, b]) await waitForOnlineList(me, [a.email, b.email]);

  // A's room conversation is on screen: B's room messages make no toast there.
  await sendChat(b, "Room one");
  await waitForChat(a, "Room one");
  // Three direct messages: one toast, counting three.
  for (const text of ["Direct one", "Direct two", "Direct three"]) await sendChat(b, text, a.email);
  const toast = a.page.locator(`.notification[data-key="message:${b.email}"][data-count="3"]`);
  await toast.waitFor();
  assert.match(await toast.locator(".notification-text").textContent(), /Direct three$/);
  assert.equal(await a.page.locator(".notification[data-kind=message]").count(), 1, "one toast for the conversation, none for the room");
  // Every toast dismissed ("Noor joined" among them), so what follows starts from none.
  for (let shown = await a.page.locator(".notification").count(); shown > 0; shown--) {
    await a.page.locator(".notification-close").first().click();
  }
  assert.equal(await a.page.locator(".notification").count(), 0);

  // B reloads (B's connection drops and comes back), then the backend restarts (both
  // come back): nobody "joined" nor "left".
  await b.page.reload();
  await b.waitOnline();
  await world.servers.restartBackend();
  for (const me of [a, b]) await me.waitOnline();
  for (const me of [a, b]) await waitForOnlineList(me, [a.email, b.email]);
  // Barriers: someone new joins, then leaves for good; both are news, shown after the
  // others would have been.
  const c = await world.newUser({ email: "zoe@example.com", name: "Zoë 🦊", room: "team", position: null });
  await a.page.locator(".notification[data-kind=joined]", { hasText: "Zoë 🦊 joined" }).waitFor();
  await c.context.close();
  await a.page.locator(".notification[data-kind=left]", { hasText: "Zoë 🦊 left" }).waitFor();
  const shown = await a.page.locator(".notification").allTextContents();
  assert.equal(shown.length, 2, `only the newcomer joined and left: ${JSON.stringify(shown)}`);
}, { timeout: 120_000 });
