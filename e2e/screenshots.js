// Screenshots of the device screens for a person to look at (not a test): the login form
// (its "new device" toggle), refused with the link-code field, and the "Add a device"
// dialog, at phone size and on a desktop. `npm run screenshots --prefix e2e` after
// `cargo build -p backend -p frontend`; the PNGs go to e2e/test-results/screenshots/
// (gitignored).

import { mkdirSync } from "node:fs";
import path from "node:path";

import { RESULTS_DIR, World } from "./support/browser.js";
import { atLogin, refusedWith, submitLogin } from "./support/login.js";

const OUT_DIR = path.join(RESULTS_DIR, "screenshots");
const VIEWPORTS = { phone: { width: 390, height: 844 }, desktop: { width: 1280, height: 800 } };
const ALICE = { email: "alice@example.com", name: "Alice", room: "team" };

const world = new World("screenshots");
try {
  await world.start({});
  mkdirSync(OUT_DIR, { recursive: true });
  const first = await atLogin(world, { ...ALICE, label: "first", position: { latitude: 48.8566, longitude: 2.3522 } });
  await submitLogin(first);
  await first.waitOnline();
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    const other = await atLogin(world, { ...ALICE, label: `other-${size}` });
    await other.page.setViewportSize(viewport);
    await other.page.screenshot({ path: path.join(OUT_DIR, `login-${size}.png`) });
    await submitLogin(other);
    await refusedWith(other, /another device/);
    await other.page.screenshot({ path: path.join(OUT_DIR, `login-link-code-${size}.png`) });

    await first.page.setViewportSize(viewport);
    await first.page.click("#add-device");
    await first.page.waitForFunction(() => /-/.test(document.querySelector("#device-link-code")?.textContent ?? ""));
    await first.page.screenshot({ path: path.join(OUT_DIR, `add-device-${size}.png`) });
    await first.page.click("#device-link-close");
  }
  console.log(`screenshots in ${OUT_DIR}`);
} finally {
  await world.close();
}
