// The phone-first layout: at 390×844 with touch one view at a time in a tab bar with
// unread badges, a one-row header showing the room, long, right-to-left and emoji names
// cut with an ellipsis, 44 px targets, no horizontal scroll from 320 px up, an incoming
// call's Accept on screen and tappable; on a desktop, the side-by-side layout.

import assert from "node:assert/strict";

import { scenario } from "../support/browser.js";
import { listEntry, waitForCallState, waitForChat, waitForIncomingCall, waitForOnlineList } from "../support/app.js";
import {
  DESKTOP,
  EMOJI_NAME,
  LONG_NAME,
  LONG_ROOM,
  NEXT_DOOR,
  PARIS,
  RTL_NAME,
  horizontalOverflow,
  namesNotEllipsised,
  onScreen,
  showView,
  phoneUser,
  smallTargets,
} from "./layout-support.js";

/** Where a user's name shows in a row of the app (docs/UI-CONTRACT.md). */
const NAME_PLACES = ".me-box, #online-list .user-name, .chat-sender, .conversation-name, #chat-private, #room-name";

/** Three awkward people in one room: a 64-character name, a right-to-left one, emoji without a location. */
async function awkwardRoom(world, first = {}) {
  assert.equal([...LONG_NAME].length, 64);
  const long = await phoneUser(world, { email: "max@example.com", name: LONG_NAME, room: LONG_ROOM, position: PARIS, ...first });
  const rtl = await phoneUser(world, { email: "nour@example.com", name: RTL_NAME, room: LONG_ROOM, position: NEXT_DOOR });
  const emoji = await phoneUser(world, { email: "zoe@example.com", name: EMOJI_NAME, room: LONG_ROOM, position: null });
  const all = [long, rtl, emoji];
  for (const me of all) await waitForOnlineList(me, all.map((u) => u.email));
  return all;
}

/**
 * Sends a chat message from a phone: to the room from the chat view, or to `to` with
 * "Message" in the people view (which brings the chat to the front).
 */
async function phoneSend(user, text, to = null) {
  if (to) {
    await showView(user, "people");
    await listEntry(user, to).locator("button.message").tap();
  } else {
    await showView(user, "chat");
    await user.page.locator('#chat-conversations button[data-conversation="room"]').tap();
  }
  await user.page.locator('#app[data-view="chat"]').waitFor({ state: "attached" });
  await user.page.fill("#chat-input", text);
  await user.page.locator("#chat-send").tap();
}

scenario("phone: long, right-to-left and emoji names scroll nothing sideways at 320, 390 and 768 px", async (world) => {
  const [long, rtl] = await awkwardRoom(world);
  await phoneSend(long, `Hello from ${LONG_NAME}`);
  await showView(rtl, "chat");
  await waitForChat(rtl, `Hello from ${LONG_NAME}`);
  await phoneSend(rtl, "مرحبا 👋", long.email);
  await showView(long, "chat");
  await long.page.locator(`#chat-conversations button[data-conversation="${rtl.email}"]`).tap();
  await waitForChat(long, "مرحبا 👋");

  for (const user of [long, rtl]) {
    for (const width of [320, 390, 768]) {
      await user.page.setViewportSize({ width, height: 844 });
      for (const view of ["map", "people", "chat"]) {
        if (width < 720) await showView(user, view);
        assert.deepEqual(await horizontalOverflow(user.page), [], `${user.label}, ${view} at ${width} px`);
        assert.deepEqual(await namesNotEllipsised(user.page, LONG_NAME, NAME_PLACES), [], `${view} at ${width} px`);
      }
    }
  }
  // The header's menu: the long name there is cut too.
  await long.page.setViewportSize({ width: 320, height: 844 });
  await long.page.locator("#menu-toggle").tap();
  await long.page.locator("#logout").waitFor();
  assert.deepEqual(await horizontalOverflow(long.page), [], "the open menu at 320 px");
  assert.deepEqual(await namesNotEllipsised(long.page, LONG_NAME, ".me-box"), []);
});

scenario("phone: an incoming call from a 64-character name has Accept on screen, and a tap answers it", async (world) => {
  const [long, rtl] = await awkwardRoom(world);
  await rtl.page.setViewportSize({ width: 320, height: 700 });
  await showView(long, "people");
  await listEntry(long, rtl.email).locator("button.call").tap();
  await waitForIncomingCall(rtl, LONG_NAME);
  const accept = rtl.page.locator("#accept-call");
  const box = await accept.boundingBox();
  assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.width <= 320 && box.y + box.height <= 700, `Accept at ${JSON.stringify(box)}`);
  assert.ok(box.height >= 44 && box.width >= 44, `Accept is ${box.width}×${box.height}`);
  assert.deepEqual(await horizontalOverflow(rtl.page), [], "no overflow while ringing");
  await accept.tap();
  await waitForCallState(rtl, "in-call");
  await waitForCallState(long, "in-call");
  // The call comes to the front of both phones, in its own tab.
  for (const user of [long, rtl]) {
    await user.page.locator('#app[data-view="call"]').waitFor({ state: "attached" });
    assert.ok(await onScreen(user.page, "#tab-call"), `${user.label} has a Call tab`);
    assert.ok(await onScreen(user.page, "#call-panel"));
    assert.ok(!(await onScreen(user.page, "#map-area")), "the map is behind the call");
  }
  // The map in front hides the call, which goes on; the Call tab brings it back.
  await showView(long, "map");
  assert.ok(!(await onScreen(long.page, "#call-panel")));
  await waitForCallState(rtl, "in-call");
  await showView(long, "call");
  await long.page.locator("#hang-up").tap();
  await long.page.locator("#tab-call").waitFor({ state: "hidden" });
  assert.equal(await long.page.locator("#app").getAttribute("data-view"), "map", "back to the view before the call");
});

scenario("phone: one view at a time in a tab bar, a one-row header with the room, unread badges, 44 px targets", async (world) => {
  const [long, rtl] = await awkwardRoom(world);
  const { page } = long;
  // A one-row header that shows the room.
  const header = await page.locator(".topbar").boundingBox();
  assert.ok(header.height <= 56, `the header is ${header.height} px tall`);
  const room = await page.locator("#room-name").boundingBox();
  assert.ok(room.width >= 60 && room.y < header.height, `the room shows in the header: ${JSON.stringify(room)}`);
  // The tab bar sits at the bottom of the screen.
  const tabs = await page.locator("#view-tabs").boundingBox();
  assert.ok(Math.abs(tabs.y + tabs.height - 844) <= 1, `the tab bar ends at ${tabs.y + tabs.height}`);

  const views = { map: "#map-area", people: "#people-panel", chat: "#chat-panel" };
  for (const view of ["people", "chat", "map"]) {
    await showView(long, view);
    for (const [other, selector] of Object.entries(views)) {
      assert.equal(await onScreen(page, selector), other === view, `${other} on screen with ${view} in front`);
    }
    assert.equal(await page.locator(`#tab-${view}`).getAttribute("aria-current"), "true");
    assert.deepEqual(await smallTargets(page, `${views[view]}, .topbar, #view-tabs`), [], `targets in ${view}`);
  }
  assert.equal(await page.locator("#tab-people-count").textContent(), "3");

  // A message while the map is in front: the Chat tab counts it, and reading it clears it.
  await phoneSend(rtl, "Are you near the river?");
  await page.locator("#tab-chat-unread", { hasText: "1" }).waitFor();
  await showView(long, "chat");
  await waitForChat(long, "Are you near the river?");
  await page.locator("#tab-chat-unread").waitFor({ state: "hidden" });

  // "Message" in the people view brings the chat to the front, with that conversation.
  await showView(long, "people");
  await listEntry(long, rtl.email).locator("button.message").tap();
  await page.locator('#app[data-view="chat"]').waitFor({ state: "attached" });
  await page.locator(`#chat-conversations button[data-conversation="${rtl.email}"][aria-current="true"]`).waitFor();
  assert.ok(await onScreen(page, "#chat-input"));
  assert.deepEqual(await smallTargets(page, "#chat-panel"), [], "targets in a direct conversation");
});

scenario("desktop: the map, the people and the chat side by side, no tab bar, long names cut", async (world) => {
  const [long] = await awkwardRoom(world, { viewport: DESKTOP, touch: false });
  const { page } = long;
  for (const selector of ["#map-area", "#people-panel", "#chat-panel", "#geo-status", "#logout", "#add-device"]) {
    assert.ok(await onScreen(page, selector), `${selector} on screen`);
  }
  assert.ok(!(await onScreen(page, "#view-tabs")), "no tab bar on a desktop");
  assert.ok(!(await onScreen(page, "#menu-toggle")), "no menu: the header holds it all");
  const map = await page.locator("#map-area").boundingBox();
  const people = await page.locator("#people-panel").boundingBox();
  assert.ok(people.x >= map.x + map.width - 1, "the people beside the map");
  assert.ok(map.width > 800, `the map is ${map.width} px wide`);
  assert.deepEqual(await horizontalOverflow(page), []);
  assert.deepEqual(await namesNotEllipsised(page, LONG_NAME, NAME_PLACES), []);
});
