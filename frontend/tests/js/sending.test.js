// Sending without a browser: a message is in the outbox before it is sent; after every
// welcome the unacked ones go again, in order; a rate-limited one is sent again by itself;
// a refused one is kept, failed, until Retry; edits wait for the server's word.

import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";
import { Pacer } from "../../public/js/chat/pacer.js";
import { SavedChat } from "../../public/js/chat/saved.js";
import { RETRY_DELAY_MS, Sending } from "../../public/js/chat/sending.js";
import { memoryStorage } from "./memory-storage.js";

beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "Date"] }));
afterEach(() => mock.timers.reset());

/** A connection stand-in: `registered` toggled by the test, every frame kept. */
function fakeConnection() {
  return {
    registered: false,
    sent: [],
    sendChat(text, to, clientId) {
      if (!this.registered) return false;
      this.sent.push({ text, to, clientId });
      return true;
    },
    editChat(id, text) {
      this.sent.push({ edit: id, text });
      return this.registered;
    },
    deleteChat(id) {
      this.sent.push({ delete: id });
      return this.registered;
    },
  };
}

function setUp(storage = memoryStorage()) {
  const connection = fakeConnection();
  const saved = new SavedChat(storage, { server: "s", room: "team", email: "alice@example.com" });
  let changes = 0;
  const sending = new Sending({ connection, saved, onChange: () => (changes += 1), pacer: new Pacer() });
  return { connection, sending, storage, changes: () => changes };
}

test("written offline: kept, then sent in order after the welcome, once each until acked", () => {
  const { connection, sending, storage } = setUp();
  const one = sending.send("one", null);
  const two = sending.send("two", "bob@example.com");
  assert.deepEqual(connection.sent, [], "nothing left while offline");
  assert.deepEqual(sending.unsent(null).map((u) => [u.entry.text, u.state]), [["one", "sending"]]);
  assert.deepEqual(sending.unsent("bob@example.com").map((u) => u.entry.text), ["two"]);

  connection.registered = true;
  sending.welcome();
  assert.deepEqual(connection.sent.map((f) => [f.text, f.clientId]), [["one", one.clientId], ["two", two.clientId]]);
  assert.equal(sending.stored(one.clientId).text, "one");
  assert.equal(sending.stored(one.clientId), null, "a second ack (another tab's frame) finds nothing");

  // A reload: the same storage, a new page; only the unacked one goes again.
  const reloaded = setUp(storage);
  reloaded.connection.registered = true;
  reloaded.sending.welcome();
  assert.deepEqual(reloaded.connection.sent.map((f) => f.clientId), [two.clientId]);
});

test("rate-limited: sent again by itself after a delay; refused: failed until Retry, or deleted", () => {
  const { connection, sending } = setUp();
  connection.registered = true;
  const busy = sending.send("busy", null);
  const bad = sending.send("bad", null);
  connection.sent.length = 0;
  assert.equal(sending.refused(busy.clientId, "rateLimited", "slow down"), true);
  assert.equal(sending.unsent(null)[0].state, "retrying");
  assert.equal(sending.refused(bad.clientId, "invalidField", "text has a control character"), true);
  assert.equal(sending.refused("someone-elses", "invalidField", "x"), false);
  assert.deepEqual(sending.unsent(null).map((u) => u.state), ["retrying", "failed"]);
  assert.deepEqual(sending.unsent(null)[1].entry.failure, { reason: "invalidField", message: "text has a control character" });

  mock.timers.tick(RETRY_DELAY_MS);
  assert.deepEqual(connection.sent.map((f) => f.text), ["busy"], "the busy one again, the failed one not");
  sending.welcome();
  assert.deepEqual(connection.sent.map((f) => f.text), ["busy", "busy"], "a welcome resends the unacked, never the failed");
  sending.stored(busy.clientId);

  sending.retry(bad.clientId);
  assert.equal(connection.sent.at(-1).text, "bad");
  assert.equal(sending.unsent(null)[0].state, "sending");
  sending.refused(bad.clientId, "invalidField", "still");
  sending.discard(bad.clientId);
  assert.deepEqual(sending.unsent(null), []);
});

test("the pace keeps a long outbox under the chat rate, in order", () => {
  const { connection, sending } = setUp();
  for (let i = 0; i < 20; i++) sending.send(`m${i}`, null);
  connection.registered = true;
  sending.welcome();
  assert.equal(connection.sent.length, 8, "a burst");
  mock.timers.tick(1000);
  assert.equal(connection.sent.length, 12, "then 4 a second");
  for (let ms = 0; ms < 2000; ms += 100) mock.timers.tick(100);
  assert.deepEqual(connection.sent.map((f) => f.text), Array.from({ length: 20 }, (_, i) => `m${i}`));
});

test("edits and deletes: refused offline; a refusal without client id is the oldest waiting one's", () => {
  const { connection, sending } = setUp();
  assert.equal(sending.change(7, "new"), false, "offline");
  connection.registered = true;
  assert.equal(sending.change(7, "new"), true);
  assert.equal(sending.change(8, null), true);
  assert.deepEqual(connection.sent, [{ edit: 7, text: "new" }, { delete: 8 }]);
  sending.changed(7);
  assert.deepEqual(sending.takeRefusedChange(), { id: 8, kind: "delete" });
  assert.equal(sending.takeRefusedChange(), null);
});
