// Chat in a room and directly (each in its own conversation), and user-supplied text shown
// as text, never as HTML.

import assert from "node:assert/strict";

import { scenario } from "../support/browser.js";
import { waitForUnread } from "../support/chat.js";
import {
  chatTexts,
  listEntry,
  marker,
  openConversation,
  sendChat,
  waitForChat,
  waitForFrame,
  waitForMarkers,
  waitForOnlineList,
} from "../support/app.js";
import { BASTILLE, LOUVRE, PARIS } from "../support/places.js";

async function trio(world) {
  const a = await world.newUser({ email: "alice@example.com", name: "Alice", room: "team", position: PARIS });
  const b = await world.newUser({ email: "bob@example.com", name: "Bob", room: "team", position: LOUVRE });
  const c = await world.newUser({ email: "carol@example.com", name: "Carol", room: "team", position: BASTILLE });
  for (const me of [a, b, c]) await waitForOnlineList(me, [a.email, b.email, c.email]);
  return [a, b, c];
}

scenario("3. chat both ways; a direct message reaches only its two ends, in its own conversation", async (world) => {
  const [a, b, c] = await trio(world);

  await sendChat(a, "Lunch at noon?");
  for (const me of [a, b, c]) {
    const m = await waitForChat(me, "Lunch at noon?");
    assert.equal(m.from, a.email);
    assert.equal(m.direct, "false");
    assert.equal(m.sender.trim(), "Alice");
  }
  await sendChat(b, "Yes, see you there");
  const reply = await waitForChat(a, "Yes, see you there");
  assert.equal(reply.from, b.email);
  assert.equal(reply.sender.trim(), "Bob");
  // Seen in the open conversation while the tab is visible: nothing unread.
  await waitForUnread(a, "room", 0);

  await sendChat(a, "Just you and me", b.email);
  await a.page.locator("#chat-private", { hasText: "Private to Bob" }).waitFor();
  const own = await waitForChat(a, "Just you and me");
  assert.equal(own.direct, "true");
  // B has the room open: the direct message waits in its own conversation, unread.
  await waitForUnread(b, a.email, 1);
  assert.ok(!(await chatTexts(b)).includes("Just you and me"), "the room's log does not show it");
  await openConversation(b, a.email);
  const direct = await waitForChat(b, "Just you and me");
  assert.equal(direct.from, a.email);
  assert.equal(direct.direct, "true");
  await b.page.locator("#chat-private", { hasText: "Private to Alice" }).waitFor();
  await waitForUnread(b, a.email, 0);

  // Barrier: a room message sent after the direct one reaches C after it would have.
  await sendChat(a, "Room message after the direct one");
  await waitForChat(c, "Room message after the direct one");
  await waitForFrame(c, (f) => f.type === "chat" && f.text === "Room message after the direct one", "the barrier message");
  assert.ok(!(await chatTexts(c)).includes("Just you and me"), "C's chat does not show the direct message");
  assert.equal(await c.page.locator(`#chat-conversations [data-conversation="${a.email}"]`).count(), 0, "C has no conversation with A");
  assert.ok(
    !c.frames.some((f) => f.dir === "in" && f.data.includes("Just you and me")),
    "C's page never received the direct message",
  );
});

scenario("9. a name and a message made of HTML show as text and run no script", async (world) => {
  const evilName = "<img src=x onerror=alert(1)>";
  const evilText = "<img src=x onerror=window.__xss=1;alert(2)><b>bold</b>";
  const a = await world.newUser({ email: "alice@example.com", name: "Alice", room: "team", position: PARIS });
  const m = await world.newUser({ email: "mallory@example.com", name: evilName, room: "team", position: LOUVRE });

  for (const me of [a, m]) {
    await waitForOnlineList(me, [a.email, m.email]);
    await waitForMarkers(me, { [a.email]: PARIS, [m.email]: LOUVRE });
    assert.equal((await listEntry(me, m.email).locator(".user-name").textContent()).trim(), evilName);
  }
  await m.page.locator("#me", { hasText: evilName }).waitFor();

  await sendChat(m, evilText);
  for (const me of [a, m]) {
    const shown = await waitForChat(me, evilText);
    assert.equal(shown.sender.trim(), evilName);
    assert.equal(shown.text.trim(), evilText);
  }

  // The marker's popup on A's map names Mallory, as text.
  await marker(a, m.email).click();
  const popup = a.page.locator(".leaflet-popup-content");
  await popup.waitFor();
  assert.ok((await popup.textContent()).includes(evilName), "the popup shows the name as text");
  await popup.locator(".popup-call").waitFor();
  await popup.locator(".popup-message").waitFor();

  for (const me of [a, m]) {
    const injected = await me.page
      .locator("#online-list img, #chat-log img, #notifications img, #me img, .leaflet-popup img, #chat-log b")
      .count();
    assert.equal(injected, 0, `${me.label}: no element was made from user text`);
    // Had any of the text become an <img>, the browser would have requested "x" at once.
    const xRequests = me.requests.filter((url) => new URL(url).pathname.endsWith("/x"));
    assert.deepEqual(xRequests, [], `${me.label}: no image was requested from user text`);
    assert.deepEqual(me.dialogs, [], `${me.label}: no dialog opened`);
    assert.equal(await me.page.evaluate(() => window.__xss), undefined, `${me.label}: no onerror ran`);
  }
});
