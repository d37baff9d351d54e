// Screenshots of the map for a person to look at (not a test): everyone in the first view
// (a cluster next door, a stale position, a friend 344 km away), the two people 10 m apart
// spread out, and a popup opened from the list, at phone size (touch) and on a desktop.
// `node map-screenshots.js [folder]` from e2e/ after `cargo build -p backend -p frontend`;
// the PNGs go to the folder, by default e2e/test-results/screenshots/ (gitignored).

import { mkdirSync } from "node:fs";
import path from "node:path";

import { RESULTS_DIR, World } from "./support/browser.js";
import { listEntry, marker } from "./support/app.js";
import { LOU, ME, STAN, VIEWPORTS, ZOE, clickMarker, mapSettled, openMe, startOthers } from "./tests/map-cast.js";
import { showView } from "./tests/layout-support.js";

const OUT_DIR = path.resolve(process.argv[2] ?? path.join(RESULTS_DIR, "screenshots"));

mkdirSync(OUT_DIR, { recursive: true });
// One world per size: the email is claimed by the first page's device.
for (const size of Object.keys(VIEWPORTS)) {
  const world = new World(`map-screenshots-${size}`);
  try {
    await world.start({});
    await startOthers(world);
    const me = await openMe(world, size);
    await me.page.waitForFunction(() => window.__meetmap.markersInView().length === 4);
    await listEntry(me, STAN.email).and(me.page.locator(".stale")).waitFor({ state: "attached" });
    await mapSettled(me);
    await me.page.screenshot({ path: path.join(OUT_DIR, `map-everyone-${size}.png`) });
    await me.page.screenshot({ path: path.join(OUT_DIR, `map-everyone-${size}-full.png`), fullPage: true });

    await clickMarker(me, ZOE.email);
    await marker(me, ME.email).waitFor();
    await me.page.screenshot({ path: path.join(OUT_DIR, `map-spread-${size}.png`) });
    await me.page.keyboard.press("Escape");

    await clickMarker(me, STAN.email);
    await me.page.screenshot({ path: path.join(OUT_DIR, `map-stale-${size}.png`) });
    await me.page.keyboard.press("Escape");

    // On a phone the list is the People view; picking Lou brings the Map view back.
    await showView(me, "people");
    await me.page.screenshot({ path: path.join(OUT_DIR, `people-${size}.png`) });
    await listEntry(me, LOU.email).locator("button.user-locate").click();
    await me.page.locator(".leaflet-popup-content .popup-name", { hasText: "Lou" }).waitFor();
    await mapSettled(me);
    await me.page.screenshot({ path: path.join(OUT_DIR, `map-from-list-${size}.png`) });
  } finally {
    await world.close();
  }
}
console.log(`screenshots in ${OUT_DIR}`);
