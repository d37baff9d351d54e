// Screenshots of the chat for a person to look at (not a test): the conversation list with
// unread badges, a room log with ticks, a private conversation ("Private to Bob") with
// delivered/read, a failed message with Retry, and the typing hint, at phone size and on a
// desktop. `node chat-screenshots.js` from e2e/ after `cargo build -p backend -p frontend`;
// the PNGs go to e2e/test-results/screenshots/ (gitignored).

import { mkdirSync } from "node:fs";
import path from "node:path";

import { RESULTS_DIR, World } from "./support/browser.js";
import { openConversation, sendChat } from "./support/app.js";
import { waitForState } from "./support/chat.js";

const OUT_DIR = path.join(RESULTS_DIR, "screenshots");
const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } };

const world = new World("chat-screenshots");
try {
  await world.start({});
  mkdirSync(OUT_DIR, { recursive: true });
  const a = await world.newUser({ email: "alice@example.com", name: "Alice", room: "team", position: { latitude: 48.8566, longitude: 2.3522 } });
  const b = await world.newUser({ email: "bob@example.com", name: "Bob", room: "team", position: { latitude: 48.8606, longitude: 2.3376 } });
  for (const text of ["Lunch at noon?", "Sure, where?", "The usual place"]) await sendChat(a, text);
  await sendChat(b, "See you there 👋");
  await sendChat(a, "Just you: bring the slides", b.email);
  await waitForState(a, "Just you: bring the slides", "delivered");
  await sendChat(a, "bad \u0007 bell");
  await openConversation(a, b.email);
  await sendChat(b, "Will do", a.email);
  await openConversation(b, "room");
  await sendChat(a, "Thanks!", b.email);
  await openConversation(b, a.email);
  await openConversation(b, "room");
  await sendChat(a, "One more thing", b.email);
  await openConversation(b, a.email);
  await b.page.fill("#chat-input", "OK");
  await openConversation(b, "room");
  await a.page.locator("#chat-typing", { hasText: "typing" }).waitFor();
  await sendChat(a, "And another", b.email);
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    for (const user of [a, b]) await user.page.setViewportSize(viewport);
    await a.page.locator("#chat-panel").scrollIntoViewIfNeeded();
    await a.page.screenshot({ path: path.join(OUT_DIR, `chat-direct-${size}.png`), fullPage: size === "phone" });
    await b.page.screenshot({ path: path.join(OUT_DIR, `chat-unread-${size}.png`), fullPage: size === "phone" });
    await openConversation(a, "room");
    await a.page.screenshot({ path: path.join(OUT_DIR, `chat-room-${size}.png`), fullPage: size === "phone" });
    await openConversation(a, b.email);
  }
  console.log(`screenshots in ${OUT_DIR}`);
} finally {
  await world.close();
}
