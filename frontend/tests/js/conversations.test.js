// The conversation model without a browser: messages upserted by id (an edit or a delete
// replaces, never adds), kept in id order, each in its own conversation; unread counts only
// what others sent after the read marker, with the server's counts merged without counting
// twice; the sender's sent / delivered / read states.

import assert from "node:assert/strict";
import { test } from "node:test";
import { Conversations, ROOM, conversationOf } from "../../public/js/chat/conversations.js";

const ME = "alice@example.com";
const BOB = "bob@example.com";
const CAROL = "carol@example.com";
let nextSentAt = 1764060000000;
function message(id, from, { to = null, text = `m${id}`, ...more } = {}) {
  const name = { [ME]: "Alice", [BOB]: "Bob", [CAROL]: "Carol" }[from];
  return {
    id, from, name, text, to, sentAt: nextSentAt++, clientId: null,
    editedAt: null, deleted: false, delivered: false, read: false, ...more,
  };
}

test("each message goes to its conversation: the room, or the other person", () => {
  assert.equal(conversationOf(message(1, BOB), ME), ROOM);
  assert.equal(conversationOf(message(2, BOB, { to: ME }), ME), BOB);
  assert.equal(conversationOf(message(3, ME, { to: BOB }), ME), BOB);
  const model = new Conversations(ME);
  model.upsert(message(1, BOB));
  model.upsert(message(2, BOB, { to: ME }));
  model.upsert(message(3, ME, { to: CAROL }));
  assert.deepEqual(model.messages(ROOM).map((m) => m.id), [1]);
  assert.deepEqual(model.messages(BOB).map((m) => m.id), [2]);
  assert.deepEqual(model.messages(CAROL).map((m) => m.id), [3]);
  assert.equal(model.nameOf(BOB), "Bob");
});

test("upsert by id: out of order in, id order out; an edit and a delete replace", () => {
  const model = new Conversations(ME);
  for (const id of [5, 2, 9, 7]) assert.equal(model.upsert(message(id, BOB)).added, true);
  assert.equal(model.upsert(message(5, BOB, { text: "again" })).added, false, "a repeat is no new message");
  assert.deepEqual(model.messages(ROOM).map((m) => m.id), [2, 5, 7, 9]);
  model.upsert(message(7, BOB, { text: "fixed", editedAt: 1 }));
  model.upsert(message(9, BOB, { text: "", deleted: true }));
  const byId = Object.fromEntries(model.messages(ROOM).map((m) => [m.id, m]));
  assert.equal(byId[7].text, "fixed");
  assert.equal(byId[7].editedAt, 1);
  assert.equal(byId[9].deleted, true);
  assert.equal(model.messages(ROOM).length, 4);
  assert.equal(model.oldestId(ROOM), 2);
  assert.equal(model.newestId(ROOM), 9);
  model.dropOlderThan(ROOM, 7);
  assert.deepEqual(model.messages(ROOM).map((m) => m.id), [7, 9]);
});

test("unread counts what others sent after the marker; markers only move forward", () => {
  const model = new Conversations(ME);
  model.upsert(message(1, BOB));
  model.upsert(message(2, ME));
  model.upsert(message(3, CAROL));
  model.upsert(message(4, BOB, { to: ME }));
  assert.equal(model.unread(ROOM), 2, "one's own message is never unread");
  assert.equal(model.unread(BOB), 1);
  assert.equal(model.totalUnread(), 3);
  assert.equal(model.markRead(ROOM, 1), true);
  assert.equal(model.unread(ROOM), 1);
  assert.equal(model.markRead(ROOM, 1), false, "the same marker again does not move");
  assert.equal(model.markRead(ROOM, 0), false, "a marker never moves back");
  assert.equal(model.readUpTo(ROOM), 1);
  model.markRead(ROOM, 3);
  assert.equal(model.unread(ROOM), 0);
  model.upsert(message(5, CAROL, { deleted: true, text: "" }));
  assert.equal(model.unread(ROOM), 0, "a deleted message is not unread");
});

test("the server's counts cover messages not held, and are not counted twice once they arrive", () => {
  const model = new Conversations(ME);
  model.upsert(message(10, BOB));
  model.applySummaries([
    { conversation: ROOM, name: null, lastId: 12, lastAt: 1, unread: 3, readUpTo: 9, peerReadUpTo: 0, peerDeliveredUpTo: 0 },
    { conversation: CAROL, name: "Carol", lastId: 8, lastAt: 1, unread: 2, readUpTo: 6, peerReadUpTo: 4, peerDeliveredUpTo: 5 },
  ]);
  assert.equal(model.unread(ROOM), 3, "10 is held, 11 and 12 are not");
  assert.equal(model.unread(CAROL), 2);
  assert.equal(model.nameOf(CAROL), "Carol");
  model.upsert(message(11, BOB));
  model.upsert(message(12, CAROL));
  assert.equal(model.unread(ROOM), 3, "11 and 12 arrived: still 3");
  model.upsert(message(13, BOB));
  assert.equal(model.unread(ROOM), 4);
  model.markRead(ROOM, 13);
  assert.equal(model.unread(ROOM), 0);
  model.markRead(CAROL, 8);
  assert.equal(model.unread(CAROL), 0, "read up to the last one: nothing unheld is unread");
});

test("the list: the room first, then the latest active direct conversation first", () => {
  const model = new Conversations(ME);
  model.upsert(message(1, BOB, { to: ME }));
  model.upsert(message(2, ME, { to: CAROL }));
  model.ensure("dave@example.com", "Dave");
  assert.deepEqual(model.keys(), [ROOM, CAROL, BOB, "dave@example.com"]);
  model.upsert(message(3, BOB, { to: ME }));
  assert.deepEqual(model.keys(), [ROOM, BOB, CAROL, "dave@example.com"]);
  assert.equal(model.has("dave@example.com"), true);
});

test("the sender sees sent, then delivered, then read, from receipts or history flags", () => {
  const model = new Conversations(ME);
  const first = message(1, ME, { to: BOB });
  const second = message(2, ME, { to: BOB });
  model.upsert(first);
  model.upsert(second);
  assert.equal(model.stateOf(BOB, first), "sent");
  model.receipt(BOB, "delivered", 1);
  assert.equal(model.stateOf(BOB, first), "delivered");
  assert.equal(model.stateOf(BOB, second), "sent");
  model.receipt(BOB, "read", 2);
  assert.equal(model.stateOf(BOB, first), "read");
  assert.equal(model.stateOf(BOB, second), "read");
  const fromHistory = message(3, ME, { to: CAROL, delivered: true });
  model.upsert(fromHistory);
  assert.equal(model.stateOf(CAROL, fromHistory), "delivered");
  const room = message(4, ME);
  model.upsert(room);
  assert.equal(model.stateOf(ROOM, room), "sent", "a room message has no receipts");
});
