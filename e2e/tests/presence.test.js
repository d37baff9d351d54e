// Presence on the map and in the online list: positions, moves, rooms, reloads, and a
// user who does not share a location.

import assert from "node:assert/strict";

import { scenario } from "../support/browser.js";
import {
  listEntry,
  marker,
  sendChat,
  waitForChat,
  waitForMarkers,
  waitForOnlineList,
} from "../support/app.js";
import { LOUVRE, PARIS } from "../support/places.js";

const ARC = { latitude: 48.8738, longitude: 2.295 };
const LYON = { latitude: 45.764, longitude: 4.8357 };
const NICE = { latitude: 43.7102, longitude: 7.262 };

function alice(world, room = "team") {
  return world.newUser({ email: "alice@example.com", name: "Alice", room, position: PARIS });
}

function bob(world, room = "team") {
  return world.newUser({ email: "bob@example.com", name: "Bob", room, position: LOUVRE });
}

scenario("1. two users in one room see each other's markers and list entries", async (world) => {
  const a = await alice(world);
  const b = await bob(world);
  const both = { [a.email]: PARIS, [b.email]: LOUVRE };

  for (const [me, other] of [[a, b], [b, a]]) {
    await waitForMarkers(me, both);
    await waitForOnlineList(me, [a.email, b.email]);
    await marker(me, me.email).and(me.page.locator(".marker-self")).waitFor();
    assert.equal(await marker(me, other.email).count(), 1, `${me.label} has one marker for ${other.email}`);
    assert.equal(await marker(me, other.email).and(me.page.locator(".marker-self")).count(), 0);

    const self = listEntry(me, me.email);
    assert.ok(await self.evaluate((li) => li.classList.contains("self")), "own entry is .self");
    assert.equal((await self.locator(".user-name").textContent()).trim(), me.name);
    assert.equal(await self.locator("button.call, button.message").count(), 0, "no call/message on self");

    const entry = listEntry(me, other.email);
    assert.equal((await entry.locator(".user-name").textContent()).trim(), other.name);
    await entry.locator("button.call").waitFor();
    await entry.locator("button.message").waitFor();
    assert.equal(await positionMissing(me, other.email).count(), 0, "a user with a position is not marked missing");
  }
  await a.page.locator("#me", { hasText: "Alice" }).waitFor();
});

scenario("2. a user's move shows on the other's map without a reload", async (world) => {
  const a = await alice(world);
  const b = await bob(world);
  await waitForMarkers(a, { [a.email]: PARIS, [b.email]: LOUVRE });
  await a.page.evaluate(() => {
    window.__e2eSamePage = true;
  });

  await b.moveTo(ARC); // about 3.5 km away
  await waitForMarkers(a, { [a.email]: PARIS, [b.email]: ARC });
  await waitForMarkers(b, { [a.email]: PARIS, [b.email]: ARC });
  assert.equal(await a.page.evaluate(() => window.__e2eSamePage), true, "Alice's page was not reloaded");
  assert.equal(await marker(a, b.email).count(), 1);
});

scenario("geolocation refused: the user is online, listed without a position", async (world) => {
  const a = await alice(world);
  const r = await world.newUser({ email: "rita@example.com", name: "Rita", room: "team", position: null });

  await r.page.locator("#geo-status", { hasText: "Location not shared" }).waitFor();
  await r.page.locator('#connection-status[data-state="online"]').waitFor();
  for (const me of [a, r]) {
    await waitForOnlineList(me, [a.email, r.email]);
    await positionMissing(me, r.email).waitFor();
    await waitForMarkers(me, { [a.email]: PARIS });
  }
  assert.equal(await positionMissing(r, a.email).count(), 0);
  assert.equal(await marker(a, r.email).count(), 0, "no marker for a user without a position");
});

scenario("7. a user in another room sees neither A nor B and cannot reach them", async (world) => {
  const a = await alice(world);
  const b = await bob(world);
  await waitForMarkers(a, { [a.email]: PARIS, [b.email]: LOUVRE });

  const c = await world.newUser({ email: "carol@example.com", name: "Carol", room: "elsewhere", position: LYON });
  const d = await world.newUser({ email: "dave@example.com", name: "Dave", room: "elsewhere", position: NICE });
  // Both of C's room see each other: C's presence has been delivered several ticks over.
  await waitForMarkers(c, { [c.email]: LYON, [d.email]: NICE });
  await waitForMarkers(d, { [c.email]: LYON, [d.email]: NICE });

  await sendChat(a, "Team only");
  await waitForChat(b, "Team only");
  await sendChat(c, "Elsewhere only");
  await waitForChat(d, "Elsewhere only");
  // Barriers: a message sent after everything above reaches each side last.
  await sendChat(b, "Team barrier");
  await waitForChat(a, "Team barrier");
  await sendChat(d, "Elsewhere barrier");
  await waitForChat(c, "Elsewhere barrier");

  await waitForOnlineList(c, [c.email, d.email]);
  await waitForMarkers(c, { [c.email]: LYON, [d.email]: NICE });
  await waitForOnlineList(a, [a.email, b.email]);
  await waitForMarkers(a, { [a.email]: PARIS, [b.email]: LOUVRE });
  assert.ok(!(await a.page.locator("#chat-log").textContent()).includes("Elsewhere only"));
  assert.ok(!(await c.page.locator("#chat-log").textContent()).includes("Team only"));

  // Nothing in C's page lets C call or message A or B.
  const targets = await c.page
    .locator("#chat-conversations button[data-conversation]")
    .evaluateAll((buttons) => buttons.map((b) => b.dataset.conversation));
  assert.ok(targets.includes("room"), "the conversations' list is read (it holds the room)");
  assert.deepEqual(targets.filter((t) => t === a.email || t === b.email), [], "A and B are not message targets");
  for (const email of [a.email, b.email]) {
    assert.equal(await c.page.locator(`[data-email="${email}"]`).count(), 0, `nothing of ${email} on C's page`);
  }
});

scenario("8. after a reload the user is back with the same identity and one marker", async (world) => {
  const a = await alice(world);
  const b = await bob(world);
  await waitForMarkers(a, { [a.email]: PARIS, [b.email]: LOUVRE });

  await b.page.reload();
  // Logged back in from localStorage, without the form.
  await b.waitOnline();
  await b.page.locator("#login-form").waitFor({ state: "hidden" });
  await b.page.locator("#me", { hasText: "Bob" }).waitFor();
  await waitForMarkers(b, { [a.email]: PARIS, [b.email]: LOUVRE });

  // Barrier: a move after the reload reaches A after any presence of the reconnection.
  await b.moveTo(ARC);
  await waitForMarkers(a, { [a.email]: PARIS, [b.email]: ARC });
  await waitForMarkers(b, { [a.email]: PARIS, [b.email]: ARC });
  for (const me of [a, b]) {
    assert.equal(await marker(me, b.email).count(), 1, `${me.label} shows exactly one marker of Bob`);
    assert.equal(await listEntry(me, b.email).count(), 1, `${me.label} lists Bob once`);
    assert.equal((await listEntry(me, b.email).locator(".user-name").textContent()).trim(), "Bob");
  }
  await waitForOnlineList(a, [a.email, b.email]);
});

/** The "no position" mark of `email` in `user`'s list: a class on the entry or inside it. */
function positionMissing(user, email) {
  const entry = `#online-list li.online-user[data-email="${email}"]`;
  return user.page.locator(`${entry}.user-position-missing, ${entry} .user-position-missing`);
}
