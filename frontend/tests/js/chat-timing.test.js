// The chat's timing parts on a fake clock: the pacer keeps the server's chat rate and the
// order, history asks what it should after a welcome and follows catch-up pages, read
// markers are debounced to one frame per conversation, typing hints are throttled and expire.

import assert from "node:assert/strict";
import { test } from "node:test";
import { History, MAX_CATCH_UP_PAGES } from "../../public/js/chat/history.js";
import { Pacer } from "../../public/js/chat/pacer.js";
import { ReadMarkers } from "../../public/js/chat/receipts.js";
import { SavedChat } from "../../public/js/chat/saved.js";
import { TYPING_SEND_EVERY_MS, TYPING_SHOWN_MS, TypingSender, TypingShown } from "../../public/js/chat/typing.js";
import { memoryStorage } from "./memory-storage.js";

/** A clock whose time moves only by `advance(ms)`, running the timers due. */
function fakeClock() {
  let now = 0;
  let timers = [];
  let nextId = 1;
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.push({ id, at: now + ms, fn });
      return id;
    },
    clearTimeout(id) {
      timers = timers.filter((t) => t.id !== id);
    },
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = timers.filter((t) => t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!due) break;
        timers = timers.filter((t) => t !== due);
        now = due.at;
        due.fn();
      }
      now = end;
    },
  };
}

test("the pacer sends a burst at once, then keeps the rate, in order", () => {
  const clock = fakeClock();
  const pacer = new Pacer({ perSecond: 4, burst: 8 }, clock);
  const sent = [];
  for (let i = 0; i < 20; i++) pacer.push(() => sent.push(i));
  assert.equal(sent.length, 8);
  clock.advance(1000);
  assert.equal(sent.length, 12, "4 more in a second");
  clock.advance(2000);
  assert.deepEqual(sent, [...Array(20).keys()], "everything, in order");
  const dropped = new Pacer({ perSecond: 4, burst: 8 }, clock);
  for (let i = 0; i < 12; i++) dropped.push(() => sent.push(i));
  dropped.clear();
  clock.advance(5000);
  assert.equal(dropped.waiting, 0);
  assert.equal(sent.length, 28, "cleared frames never leave");
});

test("history: a catch-up from the kept cursor after each welcome, following full pages", () => {
  const storage = memoryStorage();
  const scope = { server: "s", room: "team", email: "a@x" };
  const asked = [];
  const fresh = new History(new SavedChat(storage, scope), (q) => asked.push(q));
  fresh.welcome();
  assert.deepEqual(asked, [], "no cursor: nothing to catch up");
  fresh.loadLatest("room");
  assert.equal(fresh.loadLatest("room"), false, "one request per conversation at a time");
  assert.equal(fresh.loading("room"), true);
  const latest = fresh.answer({ conversation: "room", messages: [], more: false, cursor: 40 });
  assert.equal(latest.kind, "latest");
  assert.equal(fresh.cursor, 40, "a page from nothing sets the cursor");

  const history = new History(new SavedChat(storage, scope), (q) => asked.push(q));
  assert.equal(history.cursor, 40, "kept across a reload");
  asked.length = 0;
  history.welcome();
  assert.deepEqual(asked, [{ after: 40, limit: 200 }]);
  history.answer({ conversation: null, messages: [], more: true, cursor: 240 });
  assert.deepEqual(asked.at(-1), { after: 240, limit: 200 }, "a full page asks for the next");
  history.live({ id: 500, editedAt: null, deleted: false });
  assert.equal(history.cursor, 240, "live messages do not move the cursor before the catch-up ends");
  history.answer({ conversation: null, messages: [], more: false, cursor: 260 });
  history.live({ id: 261, editedAt: null, deleted: false });
  assert.equal(history.cursor, 261);
  assert.equal(history.answer({ conversation: "bob@x", messages: [], more: false, cursor: 1 }), null, "not asked");

  asked.length = 0;
  history.welcome();
  for (let page = 0; page < MAX_CATCH_UP_PAGES + 5; page++) {
    history.answer({ conversation: null, messages: [], more: true, cursor: 1000 + page });
  }
  assert.equal(asked.length, MAX_CATCH_UP_PAGES, "a welcome follows a bounded number of pages");
  history.loadOlder("room", 30);
  assert.deepEqual(asked.at(-1), { conversation: "room", before: 30, limit: 50 });
  history.dropped();
  assert.equal(history.loading("room"), false, "a drop forgets what was on its way");
});

test("read markers: one frame per conversation once reading settles, the highest id", () => {
  const clock = fakeClock();
  const sent = [];
  const markers = new ReadMarkers((c, upTo) => sent.push([c, upTo]), clock);
  markers.seen("room", 3);
  markers.seen("room", 7);
  markers.seen("room", 5);
  markers.seen("bob@x", 4);
  assert.deepEqual(sent, []);
  clock.advance(1000);
  assert.deepEqual(sent, [["room", 7], ["bob@x", 4]]);
  let refuse = true;
  const retried = [];
  const offline = new ReadMarkers((c, upTo) => (refuse ? false : retried.push([c, upTo])), clock);
  offline.seen("room", 9);
  clock.advance(1000);
  refuse = false;
  offline.flush();
  assert.deepEqual(retried, [["room", 9]], "a marker that could not leave is sent later");
});

test("typing: our hint at most every 3 s per conversation; theirs shown until it expires or they send", () => {
  const clock = fakeClock();
  const sender = new TypingSender(clock.now);
  assert.equal(sender.shouldSend("room"), true);
  assert.equal(sender.shouldSend("room"), false);
  assert.equal(sender.shouldSend("bob@x"), true);
  clock.advance(TYPING_SEND_EVERY_MS);
  assert.equal(sender.shouldSend("room"), true);
  sender.sent("room");
  assert.equal(sender.shouldSend("room"), true, "after our message the next keystroke is news");

  const changes = [];
  const shown = new TypingShown((c) => changes.push(c), clock);
  shown.heard("room", "bob@x", "Bob");
  assert.equal(shown.text("room"), "Bob is typing…");
  shown.heard("room", "carol@x", "Carol");
  assert.equal(shown.text("room"), "Bob and Carol are typing…");
  clock.advance(TYPING_SHOWN_MS - 1000);
  shown.heard("room", "bob@x", "Bob");
  clock.advance(1000);
  assert.equal(shown.text("room"), "Bob is typing…", "Carol's ran out, Bob's was renewed");
  shown.stopped("room", "bob@x");
  assert.equal(shown.text("room"), "");
  assert.equal(shown.text("bob@x"), "");
  assert.ok(changes.length >= 4);
});
