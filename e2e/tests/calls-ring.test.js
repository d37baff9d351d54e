// Calls that ring: the ringtone plays (Web Audio, measured at its output) and the phone
// vibrates while a call rings, and both stop on accept, decline and the caller's hang-up;
// the title flashes; Accept is tapped on a 390×844 touch screen with a 64-character caller
// name; a missed call is recorded in the conversation with the caller and called back; a
// hidden tab gets a system notification with Accept and Decline.

import assert from "node:assert/strict";

import { scenario } from "../support/browser.js";
import { call, listEntry, openConversation, waitForCallState, waitForIncomingCall, waitForOnlineList } from "../support/app.js";
import { LONG_NAME, PHONE, RTL_NAME, phoneUser, recordVibrations, stubSystemNotifications } from "./calls-support.js";
import { NEXT_DOOR, PARIS } from "../support/places.js";

/** Waits until the ringtone is heard at its output on `user`'s page; resolves with its state. */
async function waitForRingtone(user) {
  try {
    const handle = await user.page.waitForFunction(
      () => {
        const state = window.__meetmap.ringtone();
        return state?.playing && state.level > 0.01 && state;
      },
      null,
      { polling: 20 },
    );
    return await handle.jsonValue();
  } catch (err) {
    const state = await user.page.evaluate(() => window.__meetmap.ringtone()).catch((e) => e.message);
    throw new Error(`${user.label}: the ringtone is not heard: ${JSON.stringify(state)}\n${err.message}`);
  }
}

/** Waits until the ringtone is stopped and silent on `user`'s page. */
async function waitForSilence(user) {
  await user.page.waitForFunction(() => {
    const state = window.__meetmap.ringtone();
    return state && !state.playing && state.level === 0;
  });
}

async function pair(world, { phone = true } = {}) {
  const a = await world.newUser({ email: "max@example.com", name: LONG_NAME, room: "team", position: PARIS });
  const options = { email: "noor@example.com", name: RTL_NAME, room: "team", position: NEXT_DOOR };
  const b = phone ? await phoneUser(world, options) : await world.newUser(options);
  for (const me of [a, b]) await waitForOnlineList(me, [a.email, b.email]);
  return [a, b];
}

scenario("calls 1. a call rings (tone, vibration, title) on a phone; Accept is tapped inside the screen and stops it", async (world) => {
  assert.equal(LONG_NAME.length, 64);
  const [a, b] = await pair(world);
  await recordVibrations(b);

  await call(a, b.email);
  await waitForIncomingCall(b, LONG_NAME);
  const heard = await waitForRingtone(b);
  console.log(`ringtone: peak level ${heard.level.toFixed(3)} at the output, audio context ${heard.context}`);
  await b.page.waitForFunction(() => document.title.includes("is calling"));
  const vibrations = await b.page.evaluate(() => window.__vibrations);
  assert.ok(vibrations.some((p) => Array.isArray(p) && p.length > 0), `the phone vibrates: ${JSON.stringify(vibrations)}`);

  // Inside the 390×844 viewport and centred in it, whatever the caller's name.
  const screen = await b.page.evaluate(() => ({ width: innerWidth, height: innerHeight }));
  assert.deepEqual(screen, PHONE);
  const box = await b.page.locator("#accept-call").boundingBox();
  const card = await b.page.locator(".incoming-card").boundingBox();
  for (const [what, r] of [["Accept", box], ["the card", card]]) {
    assert.ok(
      r.x >= 0 && r.y >= 0 && r.x + r.width <= screen.width && r.y + r.height <= screen.height,
      `${what} is inside the screen ${JSON.stringify(screen)}: ${JSON.stringify(r)}`,
    );
  }
  assert.ok(Math.abs(card.x + card.width / 2 - screen.width / 2) < 2, `the card is centred: ${JSON.stringify(card)}`);
  assert.ok(box.height >= 44, `Accept is at least 44 px tall (${box.height})`);

  await b.page.tap("#accept-call");
  await waitForSilence(b);
  await waitForCallState(a, "in-call");
  await waitForCallState(b, "in-call");
  assert.equal(await b.page.title(), "meetmap · #team", "the title is the page's own again");
  assert.deepEqual((await b.page.evaluate(() => window.__vibrations)).at(-1), 0, "the vibration is stopped");
});

scenario("calls 2. the ringtone stops on decline", async (world) => {
  const [a, b] = await pair(world, { phone: false });
  await call(a, b.email);
  await waitForRingtone(b);
  await b.page.click("#decline-call");
  await waitForSilence(b);
  await waitForCallState(a, "declined");
});

scenario("calls 3. a call the caller gives up is missed: recorded with the caller, unread, and called back", async (world) => {
  const [a, b] = await pair(world, { phone: false });
  await call(a, b.email);
  await waitForRingtone(b);
  await a.page.click("#hang-up");
  await b.page.locator("#incoming-call").waitFor({ state: "hidden" });
  await waitForSilence(b);

  // Unread in the caller's conversation and the person's row until seen.
  await b.page.locator(`#chat-conversations .unread[data-conversation="${a.email}"]:not([hidden])`).waitFor();
  assert.equal(await listEntry(b, a.email).locator(".unread").textContent(), "1");
  await openConversation(b, a.email);
  const entry = b.page.locator(`#chat-log li.chat-call-event[data-with="${a.email}"]`);
  await entry.waitFor();
  assert.match(await entry.locator(".chat-call-text").textContent(), new RegExp(`^Missed call from ${LONG_NAME}, \\d\\d:\\d\\d`));
  await b.page.locator(`#chat-conversations .unread[data-conversation="${a.email}"]`).waitFor({ state: "hidden" });

  // Kept across a reload.
  await b.page.reload();
  await b.waitOnline();
  await openConversation(b, a.email);
  await entry.waitFor();
  assert.equal(await entry.count(), 1);

  await entry.locator("button.chat-call-back").click();
  await waitForIncomingCall(a, RTL_NAME);
  await waitForCallState(b, "ringing");
});

scenario("calls 4. a hidden tab gets a system notification with Accept and Decline; its Accept answers", async (world) => {
  const [a, b] = await pair(world, { phone: false });
  await stubSystemNotifications(b);
  await b.page.evaluate(() => window.__setHidden(true));

  await call(a, b.email);
  await waitForIncomingCall(b, LONG_NAME);
  const shown = await b.page.waitForFunction(() => window.__notifications.find((n) => n.options.actions));
  const notification = await shown.jsonValue();
  assert.equal(notification.title, `${LONG_NAME} is calling`);
  assert.deepEqual(notification.options.actions.map((x) => x.action), ["accept", "decline"]);
  assert.equal(notification.options.requireInteraction, true);

  // The service worker posts the button to the page (sw-call-actions.js).
  await b.page.evaluate((callId) => {
    navigator.serviceWorker.dispatchEvent(new MessageEvent("message", { data: { type: "meetmap-call-action", action: "accept", callId } }));
  }, notification.options.data.callId);
  await waitForCallState(b, "in-call");
  await waitForCallState(a, "in-call");
  await b.page.waitForFunction(() => window.__notifications.every((n) => n.closed));
  await waitForSilence(b);
});

scenario("calls 7. the permission to notify is asked when a call is placed or answered, not on load", async (world) => {
  const [a, b] = await pair(world, { phone: false });
  for (const me of [a, b]) await stubSystemNotifications(me, { permission: "default" });
  for (const me of [a, b]) await waitForOnlineList(me, [a.email, b.email]);
  for (const me of [a, b]) assert.equal(await me.page.evaluate(() => window.__permissionAsked), 0, `${me.label}: not asked on load`);

  await call(a, b.email);
  assert.equal(await a.page.evaluate(() => window.__permissionAsked), 1, "the caller is asked when calling");
  await waitForIncomingCall(b, LONG_NAME);
  assert.equal(await b.page.evaluate(() => window.__permissionAsked), 0, "a ringing call asks nothing by itself");
  await b.page.click("#accept-call");
  await waitForCallState(b, "in-call");
  assert.equal(await b.page.evaluate(() => window.__permissionAsked), 1, "the callee is asked when answering");
});
