// The map that shows everyone (issue 13, item 3), at 390×844 with touch and at 1280×800,
// with awkward people (tests/map-cast.js). The others are plain WebSocket clients in one
// blank page (light on two cores).

import assert from "node:assert/strict";

import { scenario } from "../support/browser.js";
import { listEntry, marker, waitForMarkers, waitForOnlineList } from "../support/app.js";
import {
  LONDON,
  LONG_NAME,
  LOU,
  LOUVRE,
  ME,
  NEXT_DOOR,
  PARIS,
  RITA,
  STAN,
  VIEWPORTS,
  ZOE,
  clickMarker,
  mapSettled,
  openMe,
  overlaps,
  startOthers,
} from "./map-cast.js";
import { showView } from "./layout-support.js";

assert.equal([...LONG_NAME].length, 64);

for (const size of Object.keys(VIEWPORTS)) {
  scenario(`map ${size}: the first view fits everyone; each marker can be clicked; distances, ages, colours`, async (world) => {
    const others = await startOthers(world);
    const me = await openMe(world, size);
    const all = [ME.email, ZOE.email, LOU.email, STAN.email, RITA.email];
    await waitForOnlineList(me, all);
    await waitForMarkers(me, { [ME.email]: PARIS, [ZOE.email]: NEXT_DOOR, [LOU.email]: LONDON, [STAN.email]: LOUVRE });

    // The first view holds every marker, London too (not zoom 14 on yourself).
    await me.page.waitForFunction((n) => window.__meetmap.markersInView().length === n, 4);

    // Distance from me and the age, in the list (and stale for Stan only); on a phone the
    // list is the People view.
    await showView(me, "people");
    await listEntry(me, ZOE.email).locator(".user-meta", { hasText: /^10 m away · updated just now$/ }).waitFor();
    await listEntry(me, LOU.email).locator(".user-meta", { hasText: /^344 km away · / }).waitFor();
    await listEntry(me, STAN.email).and(me.page.locator(".stale")).waitFor();
    assert.match(await listEntry(me, STAN.email).locator(".user-meta").textContent(), /^1\.2 km away · updated \d+ s ago$/);
    for (const fresh of [ZOE.email, LOU.email, ME.email]) {
      assert.equal(await listEntry(me, fresh).and(me.page.locator(".stale")).count(), 0, `${fresh} is not stale`);
    }
    assert.equal(await listEntry(me, RITA.email).locator(".user-meta").textContent(), "", "no place, no words");
    await listEntry(me, RITA.email).locator(".user-position-missing").waitFor();
    await showView(me, "map");

    // Each person on the map can be clicked on their own, however close; Stan's marker is
    // faded with its age, the live ones are not.
    for (const person of [ZOE, STAN, ME, LOU]) {
      const name = await clickMarker(me, person.email);
      assert.equal(name, person.name, `the popup of ${person.email}`);
      const stale = marker(me, person.email).locator(".marker-body.stale");
      if (person === STAN) {
        await stale.waitFor();
        assert.match(await marker(me, STAN.email).locator(".marker-meta").textContent(), /^1\.2 km · \d+ s ago$/);
        assert.match(await me.page.locator(".leaflet-popup .popup-meta").textContent(), /^1\.2 km away · updated \d+ s ago$/);
      } else {
        assert.equal(await stale.count(), 0, `${person.email} is not faded`);
      }
      if (person === ZOE) {
        // The same colour in the list and on the map, yours too; different people differ.
        const colours = {};
        for (const email of [ME.email, ZOE.email]) {
          const inList = await listEntry(me, email).locator(".avatar").evaluate((n) => getComputedStyle(n).backgroundColor);
          const onMap = await marker(me, email).locator(".marker-face").evaluate((n) => getComputedStyle(n).backgroundColor);
          assert.equal(onMap, inList, `${email}: map and list agree`);
          colours[email] = inList;
        }
        assert.notEqual(colours[ME.email], colours[ZOE.email]);
      }
      if (person === ME) {
        // The long name is cut short on the marker, not the page widened.
        const label = await marker(me, ME.email).locator(".marker-label").boundingBox();
        // (Half a pixel for the map's transforms, which give 160.0000076 for 160.)
        assert.ok(label.width <= 160.5, `label ${label.width} px wide`);
        // Your accuracy (150 m) is a circle around you.
        const circle = await me.page.locator("path.accuracy-circle").boundingBox();
        const face = await marker(me, ME.email).boundingBox();
        assert.ok(circle.width > face.width, `the accuracy circle is ${circle.width} px wide`);
      }
      await me.page.keyboard.press("Escape");
      await me.page.locator(".leaflet-popup").waitFor({ state: "detached" });
    }
    await others.close();
  });

  scenario(`map ${size}: the list flies to a person; popups stay clear of the controls; Escape; no marker tab stops`, async (world) => {
    const others = await startOthers(world);
    const me = await openMe(world, size);
    await waitForMarkers(me, { [ME.email]: PARIS, [ZOE.email]: NEXT_DOOR, [LOU.email]: LONDON, [STAN.email]: LOUVRE });

    // No marker or cluster is a tab stop.
    const tabStops = await me.page.evaluate(
      () => [...document.querySelectorAll("#map .leaflet-marker-icon")].filter((n) => n.tabIndex >= 0).length,
    );
    assert.equal(tabStops, 0, "markers are not tab stops");

    // Picking Lou in the list (by tap or click) flies there and opens the popup (on a
    // phone, the Map view comes to the front).
    await showView(me, "people");
    await listEntry(me, LOU.email).locator("button.user-locate").click();
    await me.page.locator(".leaflet-popup-content .popup-name", { hasText: "Lou" }).waitFor();
    await mapSettled(me);
    await marker(me, LOU.email).waitFor();
    assert.ok(await me.page.evaluate(() => window.__meetmap.markersInView().includes("lou@example.com")));
    await me.page.keyboard.press("Escape");
    await me.page.locator(".leaflet-popup").waitFor({ state: "detached" });

    // Picked while the map is hidden (as on a phone's People tab): shown once the map shows.
    await showView(me, "people");
    await me.page.evaluate(() => (document.querySelector(".map-area").hidden = true));
    await listEntry(me, STAN.email).locator("button.user-locate").click();
    await me.page.evaluate(() => (document.querySelector(".map-area").hidden = false));
    await me.page.locator(".leaflet-popup-content .popup-name", { hasText: "Stan" }).waitFor();
    await me.page.keyboard.press("Escape");
    await me.page.locator(".leaflet-popup").waitFor({ state: "detached" });

    // From the keyboard: Enter on Zoë's row, focus in her popup, Escape back to the row.
    await showView(me, "people");
    const zoeRow = listEntry(me, ZOE.email).locator("button.user-locate");
    await zoeRow.focus();
    await me.page.keyboard.press("Enter");
    await me.page.locator(".leaflet-popup-content .popup-name", { hasText: ZOE.name }).waitFor();
    await me.page.waitForFunction(() => document.activeElement?.closest(".leaflet-popup") !== null);
    await me.page.keyboard.press("Escape");
    await me.page.locator(".leaflet-popup").waitFor({ state: "detached" });
    assert.ok(await zoeRow.evaluate((b) => document.activeElement === b), "focus is back on Zoë's row");

    // Lou's marker dragged to the top-left corner: its popup does not open under the controls.
    await showView(me, "people");
    await listEntry(me, LOU.email).locator("button.user-locate").click();
    await me.page.locator(".leaflet-popup").waitFor();
    await me.page.keyboard.press("Escape");
    await me.page.locator(".leaflet-popup").waitFor({ state: "detached" });
    await mapSettled(me);
    const mapBox = await me.page.locator("#map").boundingBox();
    const at = await marker(me, LOU.email).boundingBox();
    const from = { x: mapBox.x + mapBox.width / 2, y: mapBox.y + mapBox.height / 2 };
    // Just right of the controls, below their top: a popup above it would reach under them.
    const target = { x: mapBox.x + 84, y: mapBox.y + 200 };
    const dx = target.x - (at.x + at.width / 2);
    const dy = target.y - (at.y + at.height / 2);
    await me.page.mouse.move(from.x, from.y);
    await me.page.mouse.down();
    for (let i = 1; i <= 10; i++) await me.page.mouse.move(from.x + (dx * i) / 10, from.y + (dy * i) / 10);
    // Part of the gesture, not a wait for the app: held still, the drag ends without inertia.
    await me.page.waitForTimeout(150);
    await me.page.mouse.up();
    await mapSettled(me);
    await marker(me, LOU.email).click();
    await me.page.locator(".leaflet-popup-content .popup-name", { hasText: "Lou" }).waitFor();
    // Where the popup ends up once the map's pan to show it is over.
    const wrapper = me.page.locator(".leaflet-popup-content-wrapper");
    await (await wrapper.elementHandle()).waitForElementState("stable");
    const popup = await wrapper.boundingBox();
    for (const control of await me.page.locator("#map .leaflet-top.leaflet-left > *").all()) {
      const box = await control.boundingBox();
      assert.ok(!overlaps(popup, box), `the popup ${JSON.stringify(popup)} is under a control ${JSON.stringify(box)}`);
    }
    await me.page.keyboard.press("Escape");
    await me.page.locator(".leaflet-popup").waitFor({ state: "detached" });
    // Escape with no popup open is nothing to the map (and no error).
    await me.page.keyboard.press("Escape");
    assert.deepEqual(me.console.filter((line) => line.startsWith("[pageerror]")), [], "no page error");
    await others.close();
  });
}
