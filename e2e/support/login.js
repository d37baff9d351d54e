// The login form as a test drives it (docs/UI-CONTRACT.md, "Login"): a page at the form,
// filling and submitting it, the refusal it shows, and the `add-user` frames it sent.

import assert from "node:assert/strict";

import { openUser } from "./browser.js";

/** A user's page at the login form, not logged in yet (no position unless given). */
export async function atLogin(world, options) {
  const user = await openUser(world.browser, { room: "team", position: null, ...options });
  world.users.push(user);
  await user.page.goto(world.appUrl);
  await user.page.locator("#login-form").waitFor({ state: "visible" });
  return user;
}

/**
 * Fills the login form (`accessCode` and `linkCode` too: empty clears them) and submits
 * it. The link-code field is opened with its toggle when it is still hidden.
 */
export async function submitLogin(user, { accessCode = "", linkCode } = {}) {
  const { page } = user;
  await page.locator("#login-form").waitFor({ state: "visible" });
  await page.fill("#login-email", user.email);
  await page.fill("#login-name", user.name);
  await page.fill("#login-room", user.room);
  await page.fill("#login-access-code", accessCode);
  if (linkCode !== undefined) {
    if (!(await page.locator("#login-link-code").isVisible())) await page.click("#login-link-toggle");
    await page.fill("#login-link-code", linkCode);
  }
  await page.click("#login-submit");
}

/** Waits for the login form to show a refusal matching `words`; resolves with its text. */
export async function refusedWith(user, words) {
  const error = user.page.locator("#login-error");
  await error.waitFor({ state: "visible" });
  await user.page.locator("#login-form").waitFor({ state: "visible" });
  const text = await error.textContent();
  assert.match(text, words, `${user.label} is told why: "${text}"`);
  return text;
}

/** The `add-user` frames a page sent, parsed. */
export function sentAddUsers(user) {
  return user.frames.filter((f) => f.dir === "out" && f.type === "add-user").map((f) => JSON.parse(f.data));
}

/** The `error` frames a page received, parsed. */
export function receivedErrors(user) {
  return user.frames.filter((f) => f.dir === "in" && f.type === "error").map((f) => JSON.parse(f.data));
}
