// The map that shows everyone (issue 13, item 3), at 390×844 with touch and at 1280×800,
// with awkward people: a 64-character name without spaces, an emoji name 10 m away, a
// right-to-left name without a location, a friend 344 km away and a stale position. The
// others are plain WebSocket clients in one blank page (light on two cores).

import assert from "node:assert/strict";

import { EXPECT_TIMEOUT_MS, User, scenario } from "../support/browser.js";
import { listEntry, marker, waitForMarkers, waitForOnlineList } from "../support/app.js";

const PARIS = { latitude: 48.8566, longitude: 2.3522 };
/** About 10 m north of PARIS. */
const NEXT_DOOR = { latitude: 48.85669, longitude: 2.3522 };
const LOUVRE = { latitude: 48.8606, longitude: 2.3376 };
const LONDON = { latitude: 51.5074, longitude: -0.1278 };

const LONG_NAME = "Maximilian-Alexander-Friedrich-Wilhelm-von-Hohenzollern-Sigmarin";
assert.equal([...LONG_NAME].length, 64);
const ME = { email: "max@example.com", name: LONG_NAME, room: "team" };
const ZOE = { email: "zoe@example.com", name: "Zoë 👋", ...NEXT_DOOR };
const LOU = { email: "lou@example.com", name: "Lou", ...LONDON };
const STAN = { email: "stan@example.com", name: "Stan", ...LOUVRE };
const RITA = { email: "rita@example.com", name: "ريتا الحسيني", latitude: null, longitude: null };

const VIEWPORTS = {
  phone: { viewport: { width: 390, height: 844 }, hasTouch: true, isMobile: true },
  desktop: { viewport: { width: 1280, height: 800 } },
};

/** A page of the app as `ME`, in a context of the given size, at PARIS ± `accuracy` m. */
async function openMe(world, size, accuracy = 150) {
  const context = await world.browser.newContext({
    ...VIEWPORTS[size],
    permissions: ["geolocation", "camera", "microphone"],
    geolocation: { ...PARIS, accuracy },
  });
  context.setDefaultTimeout(EXPECT_TIMEOUT_MS);
  const user = new User({ context, page: await context.newPage(), ...ME, label: `max-${size}` });
  world.users.push(user);
  await user.open(world.appUrl);
  return user;
}

/**
 * The other people: seed-protocol WebSocket clients in one blank page. Zoë and Lou send
 * their position again every 300 ms (a live app); Stan sends his once (stale after two
 * position intervals, 2 s here); Rita shares none.
 */
async function startOthers(world) {
  const context = await world.browser.newContext();
  const page = await context.newPage();
  // A page of the app's origin (the backend refuses the "null" origin of about:blank).
  await page.goto(new URL("config.json", world.appUrl).href);
  const url = new URL("?room=team", world.servers.backend.url).href;
  await page.evaluate(
    async ({ url, people }) => {
      window.sockets = await Promise.all(
        people.map(
          ({ live, ...person }) =>
            new Promise((resolve, reject) => {
              const ws = new WebSocket(url);
              ws.onerror = () => reject(new Error(`socket of ${person.email} failed`));
              ws.onopen = () => {
                ws.send(JSON.stringify({ type: "add-user", ...person }));
                if (live) {
                  setInterval(() => ws.send(JSON.stringify({ type: "update-user", ...person })), 300);
                }
                resolve(ws);
              };
            }),
        ),
      );
    },
    { url, people: [{ ...ZOE, live: true }, { ...LOU, live: true }, STAN, RITA] },
  );
  return { close: () => context.close() };
}

/** Waits until no zoom or cluster animation runs on `user`'s map. */
async function mapSettled(user) {
  await user.page.waitForFunction(
    () => !document.querySelector("#map .leaflet-zoom-anim, #map .leaflet-cluster-anim") && !document.querySelector("#map.leaflet-zoom-anim"),
  );
}

/**
 * From the view of everyone ("Show everyone"), clicks whatever holds `email` on the map
 * (the cluster it is in, spread open at the closest zoom) until its own marker shows, then
 * clicks the marker: resolves with the popup's name.
 */
async function clickMarker(user, email) {
  const { page } = user;
  await page.getByRole("button", { name: "Show everyone on the map" }).click();
  await mapSettled(user);
  for (let step = 0; step < 8 && !(await marker(user, email).isVisible()); step++) {
    await page.locator(`.person-cluster .cluster-body[data-emails~=${JSON.stringify(email)}]`).click();
    await mapSettled(user);
  }
  await marker(user, email).click();
  const popup = page.locator(".leaflet-popup-content .popup-name");
  await popup.waitFor();
  return (await popup.textContent()).trim();
}

/** Rectangles overlap. */
function overlaps(a, b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

for (const size of Object.keys(VIEWPORTS)) {
  scenario(`map ${size}: the first view fits everyone; each marker can be clicked; distances, ages, colours`, async (world) => {
    const others = await startOthers(world);
    const me = await openMe(world, size);
    const all = [ME.email, ZOE.email, LOU.email, STAN.email, RITA.email];
    await waitForOnlineList(me, all);
    await waitForMarkers(me, { [ME.email]: PARIS, [ZOE.email]: NEXT_DOOR, [LOU.email]: LONDON, [STAN.email]: LOUVRE });

    // The first view holds every marker, London too (not zoom 14 on yourself).
    await me.page.waitForFunction((n) => window.__meetmap.markersInView().length === n, 4);

    // Distance from me and the age, in the list (and stale for Stan only).
    await listEntry(me, ZOE.email).locator(".user-meta", { hasText: /^10 m away · updated just now$/ }).waitFor();
    await listEntry(me, LOU.email).locator(".user-meta", { hasText: /^344 km away · / }).waitFor();
    await listEntry(me, STAN.email).and(me.page.locator(".stale")).waitFor();
    assert.match(await listEntry(me, STAN.email).locator(".user-meta").textContent(), /^1\.2 km away · updated \d+ s ago$/);
    for (const fresh of [ZOE.email, LOU.email, ME.email]) {
      assert.equal(await listEntry(me, fresh).and(me.page.locator(".stale")).count(), 0, `${fresh} is not stale`);
    }
    assert.equal(await listEntry(me, RITA.email).locator(".user-meta").textContent(), "", "no place, no words");
    await listEntry(me, RITA.email).locator(".user-position-missing").waitFor();

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
        assert.ok(label.width <= 160, `label ${label.width} px wide`);
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

    // Picking Lou in the list (by tap or click) flies there and opens the popup.
    await listEntry(me, LOU.email).locator("button.user-locate").click();
    await me.page.locator(".leaflet-popup-content .popup-name", { hasText: "Lou" }).waitFor();
    await mapSettled(me);
    await marker(me, LOU.email).waitFor();
    assert.ok(await me.page.evaluate(() => window.__meetmap.markersInView().includes("lou@example.com")));
    await me.page.keyboard.press("Escape");
    await me.page.locator(".leaflet-popup").waitFor({ state: "detached" });

    // From the keyboard: Enter on Zoë's row, focus in her popup, Escape back to the row.
    const zoeRow = listEntry(me, ZOE.email).locator("button.user-locate");
    await zoeRow.focus();
    await me.page.keyboard.press("Enter");
    await me.page.locator(".leaflet-popup-content .popup-name", { hasText: ZOE.name }).waitFor();
    await me.page.waitForFunction(() => document.activeElement?.closest(".leaflet-popup") !== null);
    await me.page.keyboard.press("Escape");
    await me.page.locator(".leaflet-popup").waitFor({ state: "detached" });
    assert.ok(await zoeRow.evaluate((b) => document.activeElement === b), "focus is back on Zoë's row");

    // Lou's marker dragged to the top-left corner: its popup does not open under the controls.
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
    await others.close();
  });
}
