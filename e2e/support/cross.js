// Tests across browsers: a World whose users are each in Chromium (Playwright) or Firefox
// ESR (WebDriver), and `crossScenario` to run one test body once per browser pairing.

import { test } from "node:test";

import { World, openUser, scenario } from "./browser.js";
import { DESKTOP, FirefoxUser } from "./firefox.js";
import { firefoxMissing } from "./firefox-profile.js";

/** A Firefox test may start several Firefoxes, each taking seconds on two cores. */
export const CROSS_TIMEOUT_MS = 180_000;

/** A {@link World} that also holds Firefox users, each in a Firefox of its own. */
export class CrossWorld extends World {
  /**
   * A logged-in user in `browser` (`chromium` or `firefox`); the options are those of
   * browser.js's `newUser` (`viewport` and `touch` included).
   */
  async newUserIn(browser, options) {
    if (browser === "chromium") return this.newUser(options);
    if (browser !== "firefox") throw new Error(`no such browser: ${browser}`);
    return this.newFirefoxUser(options);
  }

  /** A Chromium user at the app's login form (browser.js's `openUser`), not logged in yet. */
  async openChromiumUser(options) {
    const user = await openUser(this.browser, options);
    this.users.push(user);
    return user;
  }

  async newFirefoxUser(options) {
    const user = await this.openFirefoxUser(options);
    await user.open(this.appUrl);
    return user;
  }

  /** A Firefox user at the app's login form, not logged in yet. */
  async openFirefoxUser({ label, viewport = DESKTOP, ...options }) {
    const user = await FirefoxUser.launch({ ...options, viewport, label: label ?? `${options.email} (firefox)` });
    this.users.push(user);
    return user;
  }

  async close() {
    await Promise.all(this.users.filter((u) => u.browser === "firefox").map((u) => u.close()));
    await super.close();
  }
}

/**
 * `fn(world, browsers, t)` once for each pairing in `pairings` (arrays of browser names,
 * e.g. `[["firefox", "firefox"], ["firefox", "chromium"]]`), each a test of its own whose
 * title names the pairing. Fails at once, saying what to install, without Firefox.
 */
export function crossScenario(title, pairings, fn, options = {}) {
  for (const browsers of pairings) {
    const named = `${title} [${browsers.join(" + ")}]`;
    const missing = browsers.includes("firefox") && firefoxMissing();
    if (missing) {
      test(named, () => {
        throw new Error(`${missing} (see README.md, Prerequisites)`);
      });
      continue;
    }
    scenario(named, (world, t) => fn(world, browsers, t), {
      timeout: CROSS_TIMEOUT_MS,
      ...options,
      WorldClass: CrossWorld,
    });
  }
}
