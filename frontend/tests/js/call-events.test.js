// Missed calls in the conversations without a browser: recorded once per call, unread until
// seen, kept across a "reload" (new CallEvents on the same storage), bounded, tolerant of
// what storage holds, and placed among the messages by time; and the call timer's words.

import assert from "node:assert/strict";
import { test } from "node:test";
import { CallEvents, MAX_CALL_EVENTS, interleave } from "../../public/js/chat/call-events.js";
import { SavedChat } from "../../public/js/chat/saved.js";
import { formatDuration } from "../../public/js/calls/call-timer.js";
import { memoryStorage, refusingStorage } from "./memory-storage.js";

const SCOPE = { server: "ws://127.0.0.1:8080/?room=team", room: "team", email: "bob@example.com" };
const ANN = "ann@example.com";
const missed = (id, at, conversation = ANN) => ({ id, conversation, name: "Ann", kind: "missed", at });

test("a missed call is recorded once, unread until its conversation is seen", () => {
  const events = new CallEvents(new SavedChat(memoryStorage(), SCOPE));
  assert.ok(events.add(missed("c-1", 1000)));
  assert.equal(events.add(missed("c-1", 1000)), null, "the same call twice is one event");
  events.add(missed("c-2", 2000));
  assert.equal(events.unseen(ANN), 2);
  assert.equal(events.unseen("carl@example.com"), 0);
  assert.deepEqual(events.conversations(), [{ conversation: ANN, name: "Ann" }]);
  assert.equal(events.markSeen(ANN), true);
  assert.equal(events.markSeen(ANN), false, "nothing new to mark");
  assert.equal(events.unseen(ANN), 0);
});

test("a reload finds the events and what was seen; the oldest go past the bound", () => {
  const storage = memoryStorage();
  const first = new CallEvents(new SavedChat(storage, SCOPE));
  for (let i = 0; i < MAX_CALL_EVENTS + 5; i++) first.add(missed(`c-${i}`, 1000 + i));
  first.markSeen(ANN);
  first.add(missed("c-last", 99_999));
  const again = new CallEvents(new SavedChat(storage, SCOPE));
  const kept = again.of(ANN);
  assert.equal(kept.length, MAX_CALL_EVENTS);
  assert.equal(kept[0].id, "c-6", "the oldest were dropped");
  assert.equal(again.unseen(ANN), 1, "only the one after the last look is unread");
  const other = new CallEvents(new SavedChat(storage, { ...SCOPE, room: "other" }));
  assert.deepEqual(other.of(ANN), [], "kept per room");
});

test("storage that refuses or holds junk leaves the events in memory", () => {
  const refused = new CallEvents(new SavedChat(refusingStorage(), SCOPE));
  assert.ok(refused.add(missed("c-1", 1)));
  assert.equal(refused.unseen(ANN), 1);
  const storage = memoryStorage();
  const saved = new SavedChat(storage, SCOPE);
  saved.write("calls", [null, { id: 3 }, missed("c-ok", 5), "x"]);
  assert.deepEqual(new CallEvents(saved).of(ANN).map((e) => e.id), ["c-ok"]);
  saved.write("calls", { not: "a list" });
  assert.deepEqual(new CallEvents(saved).of(ANN), []);
});

test("events go among the messages by time, before the unsent ones", () => {
  const item = (id, sentAt) => ({ message: { id, sentAt } });
  const items = [item(1, 100), item(2, 300), item(0, 400)];
  const shape = interleave(items, [missed("a", 50), missed("b", 200), missed("c", 350)]).map((x) =>
    x.callEvent ? x.callEvent.id : x.message.id,
  );
  assert.deepEqual(shape, ["a", 1, "b", 2, "c", 0]);
  assert.deepEqual(interleave([], [missed("a", 1)]).map((x) => x.callEvent.id), ["a"]);
});

test("the call timer reads m:ss, then h:mm:ss", () => {
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(7_900), "0:07");
  assert.equal(formatDuration(245_000), "4:05");
  assert.equal(formatDuration(3_723_000), "1:02:03");
  assert.equal(formatDuration(-5), "0:00");
});
