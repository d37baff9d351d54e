// people/places.js and the times kept by presence.js, without a browser: distances and
// ages in words, a position is stale after two position intervals without a new one, a
// repeated position ("still here") makes it fresh again, and a reconnect's snapshot does
// not make an old position look fresh.

import assert from "node:assert/strict";
import { test } from "node:test";
import { Places, formatAge, formatDistance, refreshEveryMs } from "../../public/js/people/places.js";
import { Presence } from "../../public/js/presence.js";

const INTERVAL_MS = 20_000;
const ANN = { name: "Ann", email: "ann@example.com", latitude: 48.8566, longitude: 2.3522, isConnected: true };
// About 10 m north of Ann.
const BOB = { name: "Bob", email: "bob@example.com", latitude: 48.85669, longitude: 2.3522, isConnected: true };
const LONDON = { name: "Lou", email: "lou@example.com", latitude: 51.5074, longitude: -0.1278, isConnected: true };
const NOWHERE = { name: "Rita", email: "rita@example.com", latitude: null, longitude: null, isConnected: true };

function world() {
  const clock = { t: 1_000_000 };
  const presence = new Presence({ now: () => clock.t });
  const places = new Places(presence, { intervalMs: INTERVAL_MS, now: () => clock.t });
  presence.reset({ self: ANN, users: [ANN, BOB, LONDON, NOWHERE], initial: true });
  return { clock, presence, places };
}

test("distances in words", () => {
  assert.equal(formatDistance(0), "0 m");
  assert.equal(formatDistance(9.6), "10 m");
  assert.equal(formatDistance(999), "999 m");
  assert.equal(formatDistance(1234), "1.2 km");
  assert.equal(formatDistance(343_900), "344 km");
  assert.equal(formatDistance(NaN), "");
});

test("ages in words", () => {
  assert.equal(formatAge(0), "updated just now");
  assert.equal(formatAge(42_000), "updated 42 s ago");
  assert.equal(formatAge(3 * 60_000 + 5000), "updated 3 min ago");
  assert.equal(formatAge(2 * 3_600_000), "updated 2 h ago");
  assert.equal(formatAge(3 * 86_400_000), "updated 3 days ago");
  assert.equal(formatAge(3000, 2000), "updated 3 s ago");
});

test("the distance from you: metres, kilometres, none for you or without a place", () => {
  const { places } = world();
  assert.equal(places.describe(BOB.email).distance, "10 m");
  assert.equal(places.describe(LONDON.email).distance, "344 km");
  assert.match(places.describe(LONDON.email).summary, /^344 km away · updated just now$/);
  assert.equal(places.describe(ANN.email).distance, "");
  assert.equal(places.describe(ANN.email).hasPosition, true);
  assert.equal(places.describe(NOWHERE.email).hasPosition, false);
  assert.equal(places.describe(NOWHERE.email).summary, "");
});

test("a position is stale after two intervals, and fresh again when it is sent again", () => {
  const { clock, presence, places } = world();
  clock.t += 2 * INTERVAL_MS;
  assert.equal(places.describe(BOB.email).stale, false, "exactly two intervals is not stale yet");
  clock.t += 1;
  assert.equal(places.describe(BOB.email).stale, true);
  assert.equal(places.describe(BOB.email).age, "updated 40 s ago");
  // Bob's app sends the same place again: still there.
  presence.apply({ joined: [], moved: [{ email: BOB.email, latitude: BOB.latitude, longitude: BOB.longitude }], left: [] });
  assert.equal(places.describe(BOB.email).stale, false);
  assert.equal(places.describe(BOB.email).age, "updated just now");
  assert.equal(places.describe(LONDON.email).stale, true, "the others' ages go on");
});

test("a position sent again renews its time without a change event; a move is one", () => {
  const { clock, presence, places } = world();
  const events = [];
  presence.on("changed", () => events.push("changed"));
  presence.on("upsert", ({ user }) => events.push(`upsert ${user.email}`));
  clock.t += 3 * INTERVAL_MS;
  presence.apply({ joined: [], moved: [{ email: BOB.email, latitude: BOB.latitude, longitude: BOB.longitude }], left: [] });
  assert.deepEqual(events, []);
  assert.equal(places.describe(BOB.email).stale, false);
  presence.apply({ joined: [], moved: [{ email: BOB.email, latitude: 48.9, longitude: 2.3 }], left: [] });
  assert.deepEqual(events, [`upsert ${BOB.email}`, "changed"]);
});

test("a snapshot or a rename repeating a known place keeps its age; a new place is fresh", () => {
  const { clock, presence, places } = world();
  clock.t += 5 * 60_000;
  presence.reset({
    self: ANN,
    users: [ANN, BOB, { ...LONDON, latitude: 51.5, longitude: -0.12 }, NOWHERE],
    initial: false,
  });
  presence.apply({ joined: [{ ...BOB, name: "Bobby" }], moved: [], left: [] });
  assert.equal(places.describe(BOB.email).age, "updated 5 min ago");
  assert.equal(places.describe(LONDON.email).age, "updated just now");
});

test("someone who left and came back starts afresh; a lost position has no age", () => {
  const { clock, presence, places } = world();
  clock.t += 5 * 60_000;
  presence.apply({ joined: [], moved: [], left: [BOB.email] });
  assert.equal(presence.positionAt(BOB.email), null);
  presence.apply({ joined: [BOB], moved: [], left: [] });
  assert.equal(places.describe(BOB.email).age, "updated just now");
  assert.equal(presence.positionAt(NOWHERE.email), null);
});

test("with a short interval a stale position says its seconds, not just now", () => {
  const clock = { t: 0 };
  const presence = new Presence({ now: () => clock.t });
  const places = new Places(presence, { intervalMs: 1000, now: () => clock.t });
  presence.reset({ self: ANN, users: [ANN, BOB], initial: true });
  clock.t = 2500;
  assert.deepEqual([places.describe(BOB.email).stale, places.describe(BOB.email).age], [true, "updated 2 s ago"]);
});

test("ages are refreshed at least twice per interval, within bounds", () => {
  assert.equal(refreshEveryMs(1000), 500);
  assert.equal(refreshEveryMs(20_000), 10_000);
  assert.equal(refreshEveryMs(100), 500);
});
