// position.js without a browser, on a fake geolocation and node's mock timers: a position
// is sent at once, a small move at most once per interval, and while the browser reports
// nothing new the last position is sent again once per interval (so it is not stale);
// after a refusal nothing more is sent.

import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";
import { watchPosition } from "../../public/js/position.js";

const INTERVAL_MS = 1000;
const PARIS = { latitude: 48.8566, longitude: 2.3522 };

let watcher;

beforeEach(() => {
  mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
  watcher = { success: null, error: null, cleared: false };
  globalThis.navigator = {
    geolocation: {
      watchPosition(success, error) {
        watcher.success = success;
        watcher.error = error;
        return 7;
      },
      clearWatch() {
        watcher.cleared = true;
      },
    },
  };
});

afterEach(() => {
  mock.timers.reset();
  delete globalThis.navigator;
});

function fix({ latitude, longitude }) {
  watcher.success({ coords: { latitude, longitude, accuracy: 12 } });
}

function start() {
  const sent = [];
  const statuses = [];
  const stop = watchPosition({
    intervalMs: INTERVAL_MS,
    distanceM: 50,
    onSend: (p) => sent.push({ ...p, at: Date.now() }),
    onStatus: (state, detail) => statuses.push([state, detail]),
  });
  return { sent, statuses, stop };
}

test("a quiet browser's last position is sent again once per interval", () => {
  const { sent, statuses, stop } = start();
  fix(PARIS);
  assert.deepEqual(sent.map((s) => s.at), [0]);
  assert.deepEqual(statuses.at(-1), ["shared", { accuracyM: 12 }]);
  for (let i = 0; i < 3; i++) mock.timers.tick(INTERVAL_MS);
  assert.deepEqual(sent.map((s) => s.at), [0, 1000, 2000, 3000]);
  assert.ok(sent.every((s) => s.latitude === PARIS.latitude && s.longitude === PARIS.longitude));
  stop();
  mock.timers.tick(INTERVAL_MS * 3);
  assert.equal(sent.length, 4, "nothing after stop");
  assert.ok(watcher.cleared);
});

test("a small move waits for the interval and is sent instead of the old place", () => {
  const { sent, stop } = start();
  fix(PARIS);
  mock.timers.tick(400);
  fix({ latitude: PARIS.latitude + 0.0001, longitude: PARIS.longitude });
  assert.equal(sent.length, 1);
  mock.timers.tick(600);
  assert.equal(sent.length, 2);
  assert.equal(sent[1].latitude, PARIS.latitude + 0.0001);
  assert.equal(sent[1].at, 1000);
  stop();
});

test("after the permission is refused the old position is not sent again", () => {
  const { sent, statuses, stop } = start();
  fix(PARIS);
  watcher.error({ code: 1, PERMISSION_DENIED: 1, POSITION_UNAVAILABLE: 2 });
  assert.equal(statuses.at(-1)[0], "denied");
  mock.timers.tick(INTERVAL_MS * 3);
  assert.equal(sent.length, 1);
  stop();
});
