// config.js without a browser: every setting comes from /config.json, the fallback only
// when the document cannot be read or lacks a field.

import assert from "node:assert/strict";
import { afterEach, test } from "node:test";
import { backendUrl, loadConfig } from "../../public/js/config.js";

/** What the frontend renders with a few flags set (frontend/src/runtime_config.rs). */
const DOCUMENT = {
  wsUrl: null,
  wsPort: 9090,
  iceServers: [{ urls: "stun:stun.example.com" }],
  iceTransportPolicy: "relay",
  tileUrl: "https://tiles.example.com/{z}/{x}/{y}.png",
  tileAttribution: "Example",
  positionIntervalMs: 1000,
  positionDistanceM: 5,
  ringTimeoutMs: 4000,
  reconnectBaseMs: 100,
  reconnectMaxMs: 1000,
  connectTimeoutMs: 2000,
  accessCodeRequired: true,
};

function serve(answer) {
  globalThis.fetch = async (path) => {
    assert.equal(path, "/config.json");
    return answer();
  };
}

afterEach(() => {
  delete globalThis.fetch;
  delete globalThis.location;
});

test("every setting comes from /config.json", async () => {
  serve(() => ({ ok: true, json: async () => DOCUMENT }));
  const { config, warning } = await loadConfig();
  assert.equal(warning, null);
  assert.deepEqual(config, DOCUMENT);
});

test("the fallback stands in for a document that cannot be read, or a field it lacks", async () => {
  serve(() => ({ ok: false, status: 500 }));
  const failed = await loadConfig();
  assert.match(failed.warning, /answered 500/);
  assert.deepEqual(Object.keys(failed.config).sort(), Object.keys(DOCUMENT).sort(), "the fallback has every field");

  serve(() => ({ ok: true, json: async () => ({ ...DOCUMENT, wsPort: "9090", ringTimeoutMs: -1, tileUrl: "", iceTransportPolicy: "none" }) }));
  const partial = (await loadConfig()).config;
  assert.equal(partial.wsPort, failed.config.wsPort, "a port that is not a number");
  assert.equal(partial.ringTimeoutMs, failed.config.ringTimeoutMs, "a negative time");
  assert.equal(partial.tileUrl, failed.config.tileUrl, "an empty template");
  assert.equal(partial.iceTransportPolicy, "all", "a policy RTCPeerConnection does not know");
  assert.equal(partial.reconnectBaseMs, 100, "the rest is the document's");
});

test("the backend's URL is the configured one, else the page's host on wsPort", () => {
  globalThis.location = new URL("https://meet.example.com:3000/?room=x");
  assert.equal(backendUrl({ ...DOCUMENT }, "team"), "wss://meet.example.com:9090/?room=team");
  assert.equal(
    backendUrl({ ...DOCUMENT, wsUrl: "wss://ws.example.com/socket" }, "team"),
    "wss://ws.example.com/socket?room=team",
  );
});
