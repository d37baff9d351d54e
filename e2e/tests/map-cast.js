// The map tests' people and what they do (not a test file): the awkward cast of issue 13
// (a 64-character name without spaces, an emoji name 10 m away, a right-to-left name
// without a location, a friend 344 km away, a stale position), the user's page at a
// phone's or a desktop's size, and clicking a person's marker through the clusters.

import { DESKTOP, PHONE } from "../support/browser.js";
import { marker } from "../support/app.js";
import { LOUVRE } from "../support/places.js";
import { LONG_NAME, NEXT_DOOR, PARIS } from "./layout-support.js";

/** The layout tests' places and long name, beside the map's own. */
export { LONG_NAME, LOUVRE, NEXT_DOOR, PARIS };
export const LONDON = { latitude: 51.5074, longitude: -0.1278 };

export const ME = { email: "max@example.com", name: LONG_NAME, room: "team" };
export const ZOE = { email: "zoe@example.com", name: "Zoë 👋", ...NEXT_DOOR };
export const LOU = { email: "lou@example.com", name: "Lou", ...LONDON };
export const STAN = { email: "stan@example.com", name: "Stan", ...LOUVRE };
export const RITA = { email: "rita@example.com", name: "ريتا الحسيني", latitude: null, longitude: null };

/** The two sizes: a phone with touch, a desktop with a mouse. */
export const VIEWPORTS = {
  phone: { viewport: PHONE, touch: true },
  desktop: { viewport: DESKTOP, touch: false },
};

/** A page of the app as `ME`, in a context of the given size, at PARIS ± `accuracy` m. */
export async function openMe(world, size, accuracy = 150) {
  return world.newUser({ ...ME, ...VIEWPORTS[size], position: { ...PARIS, accuracy }, label: `max-${size}` });
}

/**
 * The other people: seed-protocol WebSocket clients in one blank page. Zoë and Lou send
 * their position again every 300 ms (a live app); Stan sends his once (stale after two
 * position intervals, 2 s here); Rita shares none.
 */
export async function startOthers(world) {
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
export async function mapSettled(user) {
  await user.page.waitForFunction(
    () => !document.querySelector("#map .leaflet-zoom-anim, #map .leaflet-cluster-anim") && !document.querySelector("#map.leaflet-zoom-anim"),
  );
}

/**
 * From the view of everyone ("Show everyone"), clicks whatever holds `email` on the map
 * (the cluster it is in, spread open at the closest zoom) until its own marker shows, then
 * clicks the marker: resolves with the popup's name.
 */
export async function clickMarker(user, email) {
  const { page } = user;
  await page.getByRole("button", { name: "Show everyone on the map" }).click();
  await mapSettled(user);
  // A cluster clicked opens (zooms in or spreads out); clicked again too soon, a spread one
  // closes. So each click is given a moment to show the marker before the next.
  const shown = () => marker(user, email).waitFor({ state: "visible", timeout: 2_000 }).then(() => true, () => false);
  for (let step = 0; step < 8 && !(await marker(user, email).isVisible()); step++) {
    await page.locator(`.person-cluster .cluster-body[data-emails~=${JSON.stringify(email)}]`).click();
    await mapSettled(user);
    if (await shown()) break;
  }
  await marker(user, email).click();
  const popup = page.locator(".leaflet-popup-content .popup-name");
  await popup.waitFor();
  return (await popup.textContent()).trim();
}

/** Rectangles overlap. */
export function overlaps(a, b) {
  return a.x < b.x + b.width && b.x < a.x + a.width && a.y < b.y + b.height && b.y < a.y + a.height;
}

