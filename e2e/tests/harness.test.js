// The plumbing: both servers on free ports, the app's config pointing at them with short
// timings, and a page that loads without reaching beyond this machine.

import assert from "node:assert/strict";

import { scenario } from "../support/browser.js";

scenario("the servers start on free ports and the app loads from loopback only", async (world) => {
  const { servers } = world;
  assert.notEqual(servers.backend.port, 0);
  assert.match(servers.appUrl, /^http:\/\/127\.0\.0\.1:\d+\/$/);

  const config = await (await fetch(new URL("/config.json", servers.appUrl))).json();
  assert.equal(config.wsUrl, servers.backend.url);
  assert.equal(config.tileUrl, "http://127.0.0.1:9/{z}/{x}/{y}.png");
  assert.deepEqual(config.iceServers, []);

  const user = await world.newUser({
    email: "alice@example.com",
    name: "Alice",
    room: "harness",
    position: { latitude: 48.8566, longitude: 2.3522 },
  });
  await user.page.locator("#map .leaflet-tile, #map .leaflet-marker-icon").first().waitFor({ state: "attached" });
  const offMachine = user.requests.filter((url) => !/^(https?|wss?):\/\/127\.0\.0\.1[:/]|^(data|blob):/.test(url));
  assert.deepEqual(offMachine, [], "every request stays on 127.0.0.1");
});
