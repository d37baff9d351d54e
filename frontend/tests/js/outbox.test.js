// The outbox without a browser: kept per (server, room, email) across a "reload" (a new
// Outbox on the same storage), in the order written, failed entries kept with their reason,
// and every client id within the server's charset.

import assert from "node:assert/strict";
import { test } from "node:test";
import { Outbox, newClientId } from "../../public/js/chat/outbox.js";
import { SavedChat, loadReceiptsSetting, saveReceiptsSetting } from "../../public/js/chat/saved.js";
import { memoryStorage, refusingStorage } from "./memory-storage.js";

const SCOPE = { server: "ws://127.0.0.1:8080/?room=team", room: "team", email: "alice@example.com" };
const saved = (storage, scope = SCOPE) => new SavedChat(storage, scope);

test("client ids are unique and within [A-Za-z0-9_-]{1,64}", () => {
  const ids = new Set();
  for (let i = 0; i < 1000; i++) {
    const id = newClientId();
    assert.match(id, /^[A-Za-z0-9_-]{1,64}$/);
    ids.add(id);
  }
  assert.equal(ids.size, 1000);
});

test("client ids are UUIDv7s that sort by the time they were made", () => {
  const at = Date.UTC(2026, 11, 2, 10, 30);
  const first = newClientId(at);
  assert.match(first, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  assert.equal(parseInt(first.slice(0, 8) + first.slice(9, 13), 16), at, "the first 48 bits are the time");
  const later = [1, 2, 60_000, 86_400_000].map((ms) => newClientId(at + ms));
  assert.deepEqual([...later].sort(), later, "later ids sort after earlier ones");
  assert.ok(first < later[0]);
});

test("a reload finds the unacked messages in the order written, and not the acked ones", () => {
  const storage = memoryStorage();
  const outbox = new Outbox(saved(storage));
  const a = outbox.add("one", null);
  const b = outbox.add("two", "bob@example.com");
  const c = outbox.add("three", null);
  assert.equal(outbox.persisted, true);
  assert.deepEqual(outbox.ack(b.clientId)?.text, "two");
  assert.equal(outbox.ack(b.clientId), null, "a second ack finds nothing");

  const reloaded = new Outbox(saved(storage));
  assert.deepEqual(reloaded.pending().map((e) => e.text), ["one", "three"]);
  assert.deepEqual(reloaded.pending().map((e) => e.clientId), [a.clientId, c.clientId]);
  assert.equal(reloaded.get(a.clientId).to, null);
});

test("another room, server or email has an outbox of its own", () => {
  const storage = memoryStorage();
  new Outbox(saved(storage)).add("team only", null);
  for (const other of [{ room: "elsewhere" }, { email: "bob@example.com" }, { server: "ws://other/" }]) {
    assert.deepEqual(new Outbox(saved(storage, { ...SCOPE, ...other })).all(), [], JSON.stringify(other));
  }
  assert.equal(new Outbox(saved(storage)).all().length, 1);
});

test("a refused message stays, failed with its reason, until retried or deleted", () => {
  const storage = memoryStorage();
  const outbox = new Outbox(saved(storage));
  const a = outbox.add("too long?", null);
  const b = outbox.add("next", null);
  assert.equal(outbox.fail(a.clientId, "invalidField", "text is too long"), true);
  assert.equal(outbox.fail("nobody", "invalidField", "x"), false);
  assert.deepEqual(outbox.pending().map((e) => e.text), ["next"], "a failed one is not resent by itself");

  const reloaded = new Outbox(saved(storage));
  assert.deepEqual(reloaded.get(a.clientId).failure, { reason: "invalidField", message: "text is too long" });
  assert.equal(reloaded.retry(a.clientId).failure, null);
  assert.deepEqual(reloaded.pending().map((e) => e.text), ["too long?", "next"], "retried in its place");
  reloaded.remove(b.clientId);
  assert.deepEqual(new Outbox(saved(storage)).all().map((e) => e.text), ["too long?"]);
});

test("without storage the outbox works from memory and says so; junk in storage is ignored", () => {
  const outbox = new Outbox(saved(refusingStorage()));
  outbox.add("kept in memory", null);
  assert.equal(outbox.persisted, false);
  assert.equal(outbox.pending().length, 1);

  const storage = memoryStorage();
  const good = { clientId: "k1", text: "ok", to: null, createdAt: 1, failure: null };
  storage.setItem(`meetmap.chat.outbox:${JSON.stringify([SCOPE.server, SCOPE.room, SCOPE.email])}`,
    JSON.stringify([good, { clientId: 5 }, null, "x", { clientId: "k2", text: "t", to: 3, failure: null }]));
  assert.deepEqual(new Outbox(saved(storage)).all(), [good]);
  storage.items.set([...storage.items.keys()][0], "{not json");
  assert.deepEqual(new Outbox(saved(storage)).all(), []);
});

test("read receipts are on by default and the setting is kept", () => {
  const storage = memoryStorage();
  assert.equal(loadReceiptsSetting(storage), true);
  saveReceiptsSetting(storage, false);
  assert.equal(loadReceiptsSetting(storage), false);
  saveReceiptsSetting(storage, true);
  assert.equal(loadReceiptsSetting(storage), true);
  assert.equal(loadReceiptsSetting(refusingStorage()), true);
});

test("two tabs of the same user share the outbox: neither's save drops the other's messages", () => {
  const storage = memoryStorage();
  const first = new Outbox(saved(storage));
  const second = new Outbox(saved(storage));
  const a = first.add("from the first tab", null);
  const b = second.add("from the second tab", null);
  assert.deepEqual(first.pending().map((e) => e.text), ["from the first tab", "from the second tab"]);
  second.ack(a.clientId);
  assert.deepEqual(first.pending().map((e) => e.clientId), [b.clientId], "stored is stored, whichever tab heard it");
  assert.deepEqual(new Outbox(saved(storage)).pending().map((e) => e.text), ["from the second tab"]);
});
