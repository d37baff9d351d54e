// Durable chat through real browsers and a real backend process (issue 12): history on
// reload and for a late joiner, paging back to the first message, the outbox across a
// stopped backend and a reload, exactly-once delivery across SIGTERM and kill -9 restarts,
// a refused message kept with Retry, offline direct messages with delivered and read ticks,
// and edits, deletes and typing hints seen by both sides.

import assert from "node:assert/strict";

import { scenario } from "../support/browser.js";
import { STORED, assertLog, useMenu, waitForLog, waitForState, waitForUnread } from "../support/chat.js";
import { chatMessage, chatTexts, openConversation, sendChat, waitForChat, waitForOnlineList } from "../support/app.js";
import { BASTILLE, LOUVRE, PARIS } from "../support/places.js";

const alice = (world) => world.newUser({ email: "alice@example.com", name: "Alice", room: "team", position: PARIS });
const bob = (world) => world.newUser({ email: "bob@example.com", name: "Bob", room: "team", position: LOUVRE });
const carol = (world) => world.newUser({ email: "carol@example.com", name: "Carol", room: "team", position: BASTILLE });

/** Sends `texts` to the room from `user`, each waited for until the server acked it. */
async function sendAll(user, texts, to = "") {
  for (const text of texts) await sendChat(user, text, to);
  for (const text of texts) await waitForState(user, text, STORED);
}

/** The welcomes `user`'s page has received so far. */
function welcomes(user) {
  return user.frames.filter((f) => f.dir === "in" && f.type === "welcome").length;
}

/** Waits until `user`'s page has more than `seen` welcomes (it registered again), then online. */
async function welcomedAgain(user, seen, timeoutMs = 20_000) {
  if (welcomes(user) <= seen) {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${user.label} was not welcomed again`)), timeoutMs);
      const onFrame = () => {
        if (welcomes(user) <= seen) return;
        clearTimeout(timer);
        user.frameEvents.off("frame", onFrame);
        resolve();
      };
      user.frameEvents.on("frame", onFrame);
    });
  }
  await user.waitOnline();
}

scenario("12a. a late joiner and a reload see the recent history; paging back reaches the first message", async (world) => {
  const a = await alice(world);
  const texts = Array.from({ length: 56 }, (_, i) => `message ${i + 1}`);
  await sendAll(a, texts);

  const b = await bob(world);
  // The latest page (50), then the first six when scrolled to the top.
  await waitForChat(b, "message 56");
  await waitForChat(b, "message 7");
  assert.equal((await chatTexts(b)).includes("message 1"), false, "only the latest page at first");
  await b.page.locator("#chat-log").evaluate((log) => {
    log.scrollTop = 0;
  });
  await b.page.locator("#chat-log .chat-beginning", { hasText: "Beginning of the conversation" }).waitFor();
  await waitForLog(b, texts);

  await a.page.reload();
  await a.waitOnline();
  await waitForChat(a, "message 56");
  await waitForChat(a, "message 7");
  const shown = await chatTexts(a);
  assert.deepEqual(shown, texts.slice(-shown.length), "the reload shows the latest messages, in order, once each");
});

scenario("12b. a message written while the backend is down is sent once it is back, even after a reload", async (world) => {
  const a = await alice(world);
  const b = await bob(world);
  await sendAll(a, ["before the stop"]);
  await waitForChat(b, "before the stop");

  await world.servers.stopBackend();
  await a.page.locator('#connection-status:not([data-state="online"])').waitFor();
  await sendChat(a, "written while down");
  await waitForState(a, "written while down", "sending");
  assert.equal(await a.page.inputValue("#chat-input"), "", "the composer is cleared: the message is in the outbox");
  // The outbox is in localStorage: a reload still has it.
  await a.page.reload();
  await waitForState(a, "written while down", "sending");

  const seenByB = welcomes(b);
  await world.servers.restartBackend();
  await a.waitOnline();
  await welcomedAgain(b, seenByB);
  await waitForState(a, "written while down", "sent");
  await waitForLog(b, ["before the stop", "written while down"]);
  // Stored once: a reload (history from the store) shows it once too, on both sides.
  for (const me of [a, b]) {
    await me.page.reload();
    await me.waitOnline();
    await waitForLog(me, ["before the stop", "written while down"]);
  }
  const resent = a.frames.filter((f) => f.dir === "out" && f.type === "chat" && f.data.includes("written while down"));
  assert.ok(resent.length >= 1, "sent after the restart");
});

scenario("12c. after a backend restart (SIGTERM, then kill -9) every message reaches everyone once, in order", async (world) => {
  const [a, b, c] = [await alice(world), await bob(world), await carol(world)];
  for (const me of [a, b, c]) await waitForOnlineList(me, [a.email, b.email, c.email]);
  await sendAll(a, ["hello all"]);
  const expected = ["hello all"];
  for (const stop of ["stopBackend", "killBackend"]) {
    const seen = [a, b, c].map(welcomes);
    await world.servers[stop]();
    await world.servers.restartBackend();
    for (const [i, me] of [a, b, c].entries()) await welcomedAgain(me, seen[i]);
    const batch = ["X", "Y", "Z"].map((t) => `${t} after ${stop}`);
    await sendAll(a, batch);
    expected.push(...batch);
    for (const me of [a, b, c]) await waitForLog(me, expected);
  }
  for (const me of [a, b, c]) await assertLog(me, expected);
});

scenario("12d. a message the server refuses stays in the log, failed, with Retry and Delete", async (world) => {
  const a = await alice(world);
  const b = await bob(world);
  // A control character (a pasted bell) is refused by the server, not by the page.
  const refused = "ding \u0007 dong";
  await sendChat(a, refused);
  await waitForState(a, refused, "failed");
  const item = chatMessage(a, refused);
  assert.match(await item.locator(".chat-status").textContent(), /Not sent: .+/);
  await item.locator("button.chat-retry").click();
  await waitForState(a, refused, "failed");
  await item.locator("button.chat-discard").click();
  await item.waitFor({ state: "detached" });

  await sendAll(a, ["a fine one"]);
  await waitForChat(b, "a fine one");
  assert.equal((await chatTexts(b)).some((t) => t.includes("ding")), false, "B never saw the refused one");
  await a.page.reload();
  await a.waitOnline();
  await waitForChat(a, "a fine one");
  assert.equal(await chatMessage(a, refused).count(), 0, "a deleted unsent message stays deleted");
});

scenario("12e. an offline direct message reaches its recipient at the next login; the sender sees delivered, then read", async (world) => {
  const a = await alice(world);
  const b = await bob(world);
  await sendAll(a, ["hi Bob"], b.email);
  await openConversation(b, a.email);
  await waitForChat(b, "hi Bob");
  await waitForState(a, "hi Bob", "read");

  // Bob leaves; Alice writes to him in their conversation.
  await b.page.goto("about:blank");
  await waitForOnlineList(a, [a.email]);
  await sendChat(a, "while you were away", b.email);
  await waitForState(a, "while you were away", "sent");
  assert.equal(await a.page.locator("#chat-error").isVisible(), false, "no refusal: Bob is known in the room");

  // Bob comes back (logged in from localStorage): delivered at once, read once he opens it.
  await b.page.goto(world.appUrl);
  await b.waitOnline();
  await waitForState(a, "while you were away", "delivered");
  await waitForUnread(b, a.email, 1);
  await openConversation(b, a.email);
  await waitForChat(b, "while you were away");
  await waitForState(a, "while you were away", "read");

  // With receipts off, Bob's reading tells Alice nothing.
  await b.page.uncheck("#chat-receipts");
  await openConversation(b, "room");
  await sendAll(a, ["no receipt please"], b.email);
  await waitForState(a, "no receipt please", "delivered");
  await openConversation(b, a.email);
  await waitForChat(b, "no receipt please");
  await waitForUnread(b, a.email, 0);
  await sendAll(b, ["barrier"], a.email);
  await waitForChat(a, "barrier");
  await waitForState(a, "no receipt please", "delivered");
});

scenario("12f. edits, deletes and typing hints show on both sides", async (world) => {
  const a = await alice(world);
  const b = await bob(world);
  await openConversation(b, a.email);
  await openConversation(a, b.email);
  await a.page.type("#chat-input", "Lunch");
  await b.page.locator("#chat-typing", { hasText: "Alice is typing…" }).waitFor();
  await a.page.click("#chat-send");
  await waitForChat(b, "Lunch");
  await b.page.waitForFunction(() => document.querySelector("#chat-typing").textContent === "");

  await useMenu(a, "Lunch", "edit");
  await a.page.fill("#chat-input", "Lunch at 1?");
  await a.page.click("#chat-send");
  for (const me of [a, b]) {
    await waitForChat(me, "Lunch at 1?");
    await chatMessage(me, "Lunch at 1?").locator(".chat-edited", { hasText: "edited" }).waitFor();
  }
  await useMenu(a, "Lunch at 1?", "delete");
  for (const me of [a, b]) await waitForChat(me, "Message deleted");
  assert.equal(await chatMessage(b, "Message deleted").locator("button.chat-menu").count(), 0, "no menu on others' messages");
});
