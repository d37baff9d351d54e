// Accessibility and the installable app: axe-core's WCAG 2.1 AA rules on the login page,
// the main view and the call view (phone and desktop), the keyboard path (skip link,
// focus into the app after login), login errors tied to their field and cleared once it
// is fixed, and a reload without the server that shows the app, reconnecting.

import assert from "node:assert/strict";

import { scenario } from "../support/browser.js";
import { atLogin } from "../support/login.js";
import { waitForCallState, waitForOnlineList } from "../support/app.js";
import { DESKTOP, LONG_NAME, PARIS, PHONE, RTL_NAME, NEXT_DOOR, axeViolations, phoneUser } from "./layout-support.js";

scenario("axe-core finds no WCAG 2.1 AA violation on the login page, the main view and the call view", async (world) => {
  const guest = await atLogin(world, { email: "guest@example.com", name: "Guest" });
  for (const viewport of [PHONE, DESKTOP]) {
    await guest.page.setViewportSize(viewport);
    assert.deepEqual(await axeViolations(guest.page), [], `login at ${viewport.width} px`);
  }
  await guest.page.click("#login-submit");
  await guest.page.locator("#login-error").waitFor();
  assert.deepEqual(await axeViolations(guest.page), [], "login with an error");

  const long = await phoneUser(world, { email: "max@example.com", name: LONG_NAME, room: "team", position: PARIS });
  const rtl = await phoneUser(world, { email: "nour@example.com", name: RTL_NAME, room: "team", position: NEXT_DOOR, viewport: DESKTOP, touch: false });
  await waitForOnlineList(long, [long.email, rtl.email]);
  await waitForOnlineList(rtl, [long.email, rtl.email]);
  for (const view of ["map", "people", "chat"]) {
    await long.page.locator(`#tab-${view}`).tap();
    assert.deepEqual(await axeViolations(long.page), [], `the ${view} view on a phone`);
  }
  assert.deepEqual(await axeViolations(rtl.page), [], "the main view on a desktop");

  await rtl.page.locator(`#online-list li[data-email="${long.email}"] button.call`).click();
  await long.page.locator("#accept-call").tap();
  await waitForCallState(long, "in-call");
  await waitForCallState(rtl, "in-call");
  assert.deepEqual(await axeViolations(long.page), [], "the call view on a phone");
  assert.deepEqual(await axeViolations(rtl.page), [], "the call on a desktop");
});

scenario("keyboard: a login error names its field and goes once fixed; focus moves into the app; a skip link leads to the main content", async (world) => {
  const user = await atLogin(world, { email: "ann@example.com", name: "Ann", position: PARIS });
  const { page } = user;
  await page.fill("#login-email", "ann");
  await page.fill("#login-name", "Ann");
  await page.keyboard.press("Enter");
  const error = page.locator("#login-error");
  await error.waitFor();
  const email = page.locator("#login-email");
  assert.equal(await email.getAttribute("aria-invalid"), "true");
  assert.match(await email.getAttribute("aria-describedby"), /\blogin-error\b/);
  assert.equal(await page.evaluate(() => document.activeElement.id), "login-email", "the focus is on the field at fault");
  // Still wrong: the error stays; fixed: it goes, with its marks.
  await page.keyboard.type("@");
  assert.ok(await error.isVisible(), "ann@ is still refused");
  await page.keyboard.type("example.com");
  await error.waitFor({ state: "hidden" });
  assert.equal(await email.getAttribute("aria-invalid"), null);
  assert.equal(await email.getAttribute("aria-describedby"), null);

  await page.fill("#login-room", "team");
  await page.keyboard.press("Enter");
  await user.waitOnline();
  assert.equal(await page.evaluate(() => document.activeElement.id), "main", "the focus is in the app");
  // After a reload (logged back in by itself), the first Tab is the skip link, and it
  // leads to the main content.
  await page.reload();
  await user.waitOnline();
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip-link");
  const link = await page.locator(".skip-link").first().boundingBox();
  assert.ok(link.y >= 0, "the skip link shows when focused");
  await page.keyboard.press("Enter");
  assert.equal(await page.evaluate(() => document.activeElement.id), "main");
});

scenario("keyboard: the second skip link leads past the map's markers to the people, on a phone too", async (world) => {
  const bob = await phoneUser(world, { email: "bob@example.com", name: "Bob", room: "team", position: NEXT_DOOR, viewport: DESKTOP, touch: false });
  // Ann comes in at both widths; the link takes her past Bob's marker on the map.
  for (const viewport of [DESKTOP, PHONE]) {
    const ann = await phoneUser(world, { email: `ann-${viewport.width}@example.com`, name: "Ann", room: "team", position: PARIS, viewport, touch: false });
    await ann.page.locator(`#online-list li[data-email="${bob.email}"]`).waitFor({ state: "attached" });
    await ann.page.reload();
    await ann.waitOnline();
    await ann.page.keyboard.press("Tab");
    await ann.page.keyboard.press("Tab");
    assert.equal(await ann.page.evaluate(() => document.activeElement.textContent), "Skip to the people online");
    await ann.page.keyboard.press("Enter");
    assert.equal(await ann.page.evaluate(() => document.activeElement.id), "people-panel", `at ${viewport.width} px`);
    await ann.page.keyboard.press("Tab");
    const next = await ann.page.evaluate(() => {
      const el = document.activeElement;
      return { cls: el.className, email: el.closest("li")?.dataset.email, shown: el.checkVisibility({ visibilityProperty: true }) };
    });
    // The list is the keyboard path to the markers: the first row with a position (Ann's
    // own once hers is known, else Bob's) shows that person on the map.
    assert.equal(next.cls, "user-locate", `the next stop is a row of the list at ${viewport.width} px`);
    assert.ok(next.shown && [ann.email, bob.email].includes(next.email), `a row of the list, on screen: ${JSON.stringify(next)}`);
  }
});

scenario("installable: a reload without the server shows the app from its service worker, reconnecting", async (world) => {
  const user = await phoneUser(world, { email: "ann@example.com", name: "Ann", room: "team", position: PARIS });
  const { page } = user;
  await page.evaluate(() => navigator.serviceWorker.ready);
  await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
  const cdp = await user.context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send("Page.getInstallabilityErrors");
  // A test's browser context is a private window, where nothing installs.
  const errors = installabilityErrors.map((e) => e.errorId).filter((id) => id !== "in-incognito");
  assert.deepEqual(errors, [], "Chromium would install it");

  await world.servers.killBackend();
  await world.servers.frontend.stop();
  await page.reload();
  await page.locator("#app").waitFor();
  await page.locator("#me", { hasText: "Ann" }).waitFor({ state: "attached" });
  await page.locator('#connection-status:not([data-state="online"])').waitFor();
  assert.match(await page.locator("#connection-status").textContent(), /connect|offline/i);
  assert.equal(await page.locator("#room-name").textContent(), "#team");
  await page.locator("#tab-people").tap();
  assert.equal(await page.locator('#app[data-view="people"]').count(), 1, "the app works offline");
});
