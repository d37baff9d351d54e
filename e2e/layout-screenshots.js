// Screenshots of the phone-first layout for a person to look at (not a test): the login
// form, each view of the phone (map, people, chat, the header's menu, an incoming call, the
// call) and the desktop, with the awkward names of the layout tests. `node
// layout-screenshots.js [folder]` in e2e/ after `cargo build -p backend -p frontend`; the
// PNGs go to the folder (default e2e/test-results/screenshots/layout/).

import { mkdirSync } from "node:fs";
import path from "node:path";

import { RESULTS_DIR, World } from "./support/browser.js";
import { atLogin } from "./support/login.js";
import { DESKTOP, EMOJI_NAME, LONG_NAME, LONG_ROOM, NEXT_DOOR, PARIS, PHONE, RTL_NAME, phoneUser } from "./tests/layout-support.js";

const OUT_DIR = path.resolve(process.argv[2] ?? path.join(RESULTS_DIR, "screenshots", "layout"));

const world = new World("layout-screenshots");
try {
  await world.start({});
  mkdirSync(OUT_DIR, { recursive: true });
  const shot = async (user, name) => {
    // The toasts of people joining would hide what is looked at.
    await user.page.evaluate(() => document.querySelector("#notifications")?.replaceChildren());
    await user.page.screenshot({ path: path.join(OUT_DIR, `${name}.png`) });
  };

  for (const [size, viewport] of Object.entries({ phone: PHONE, desktop: DESKTOP })) {
    const guest = await atLogin(world, { email: "guest@example.com", name: "Guest", label: `login-${size}` });
    await guest.page.setViewportSize(viewport);
    await shot(guest, `login-${size}`);
    await guest.page.fill("#login-email", "not an email");
    await guest.page.click("#login-submit");
    await shot(guest, `login-error-${size}`);
  }

  const long = await phoneUser(world, { email: "max@example.com", name: LONG_NAME, room: LONG_ROOM, position: PARIS });
  const rtl = await phoneUser(world, { email: "nour@example.com", name: RTL_NAME, room: LONG_ROOM, position: NEXT_DOOR });
  const desk = await phoneUser(world, {
    email: "zoe@example.com", name: EMOJI_NAME, room: LONG_ROOM, position: null, viewport: DESKTOP, touch: false,
  });
  await long.page.waitForFunction(() => document.querySelectorAll("#online-list li").length === 3);
  await shot(long, "phone-map");
  await long.page.locator("#tab-people").tap();
  await shot(long, "phone-people");
  await rtl.page.locator("#tab-chat").tap();
  await rtl.page.fill("#chat-input", "مرحبا 👋 — are you near the river?");
  await rtl.page.locator("#chat-send").tap();
  await long.page.locator("#tab-chat-unread").waitFor();
  await shot(long, "phone-people-unread");
  await long.page.locator("#tab-chat").tap();
  await long.page.fill("#chat-input", `Hello from ${LONG_NAME}`);
  await long.page.locator("#chat-send").tap();
  await shot(long, "phone-chat");
  await long.page.locator("#menu-toggle").tap();
  await shot(long, "phone-menu");
  await long.page.keyboard.press("Escape");
  await desk.page.waitForFunction(() => document.querySelectorAll("#chat-log .chat-message").length >= 2);
  await shot(desk, "desktop-main");

  await desk.page.locator(`#online-list li[data-email="${long.email}"] button.call`).click();
  await long.page.locator("#incoming-call").waitFor();
  await shot(long, "phone-incoming-call");
  await long.page.locator("#accept-call").tap();
  await long.page.locator('#call-status[data-state="in-call"]').waitFor();
  await desk.page.locator('#call-status[data-state="in-call"]').waitFor();
  await shot(long, "phone-call");
  await shot(desk, "desktop-call");
  console.log(`screenshots in ${OUT_DIR}`);
} finally {
  await world.close();
}
