// Screenshots of the call views for a person to look at (not a test): an incoming call
// from a 64-character name, the call with the other's camera off and muted, the panel
// minimised to a bar, "Add to call", and a missed call in the chat, at phone size and on
// a desktop. `node calls-screenshots.js [folder]` from e2e/ after `cargo build -p backend
// -p frontend`; the PNGs go to the folder (by default e2e/test-results/screenshots/).

import { mkdirSync } from "node:fs";
import path from "node:path";

import { RESULTS_DIR, World } from "./support/browser.js";
import { acceptCall, call, openConversation, waitForCallState, waitForIncomingCall, waitForOnlineList, waitForPlayingVideo } from "./support/app.js";
import { LONG_NAME, RTL_NAME } from "./tests/calls-support.js";
import { showView } from "./tests/layout-support.js";

const OUT_DIR = path.resolve(process.argv[2] ?? path.join(RESULTS_DIR, "screenshots"));
const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } };

const world = new World("calls-screenshots");
try {
  await world.start();
  mkdirSync(OUT_DIR, { recursive: true });
  const a = await world.newUser({ email: "max@example.com", name: LONG_NAME, room: "team", position: { latitude: 48.8566, longitude: 2.3522 } });
  const b = await world.newUser({ email: "noor@example.com", name: RTL_NAME, room: "team", position: { latitude: 48.85669, longitude: 2.3522 } });
  const c = await world.newUser({ email: "zoe@example.com", name: "Zoë 🦊", room: "team", position: null });
  for (const me of [a, b, c]) await waitForOnlineList(me, [a.email, b.email, c.email]);
  const shot = (user, name, size) => user.page.screenshot({ path: path.join(OUT_DIR, `${name}-${size}.png`) });

  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    for (const me of [a, b, c]) await me.page.setViewportSize(viewport);
    await showView(a, "people");
    await call(a, b.email);
    await waitForIncomingCall(b, LONG_NAME);
    await shot(b, "incoming-call", size);
    await acceptCall(b, LONG_NAME);
    await waitForCallState(a, "in-call");
    await waitForPlayingVideo(a, b.email);
    await waitForPlayingVideo(b, a.email);
    await b.page.click("#toggle-camera");
    await b.page.click("#toggle-mute");
    await a.page.locator(`.remote-tile[data-email="${b.email}"][data-muted="true"][data-camera="off"]`).waitFor();
    await shot(a, "call-camera-off", size);
    await shot(b, "call-self-camera-off", size);
    await a.page.click("#add-to-call");
    await shot(a, "add-to-call", size);
    await a.page.click("#add-to-call");
    await a.page.click("#call-minimise");
    await shot(a, "call-minimised", size);
    await a.page.click("#call-minimise");
    await a.page.click("#hang-up");
    await b.page.locator("#call-panel").waitFor({ state: "hidden", timeout: 10_000 }).catch(() => b.page.click("#hang-up"));

    await showView(c, "people");
    await call(c, b.email);
    await waitForIncomingCall(b, "Zoë");
    await c.page.click("#hang-up");
    await b.page.locator("#incoming-call").waitFor({ state: "hidden" });
    await showView(b, "chat");
    await openConversation(b, c.email);
    await b.page.locator("#chat-log li.chat-call-event").first().waitFor();
    await b.page.locator("#chat-log").scrollIntoViewIfNeeded();
    await shot(b, "missed-call", size);
    await openConversation(b, "room");
  }
  console.log(`screenshots in ${OUT_DIR}`);
} finally {
  await world.close();
}
