// Debian's Firefox ESR driven over WebDriver (geckodriver, with selenium-webdriver as the
// client): one geckodriver and one headless Firefox per user, each with its own profile,
// fake camera and microphone, and position (WebDriver BiDi's geolocation override).

import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { Builder, By } from "selenium-webdriver";
import firefox from "selenium-webdriver/firefox.js";

import { DESKTOP, EXPECT_TIMEOUT_MS, PHONE } from "./browser.js";
import { FIREFOX_ENV, FIREFOX_PATH, firefoxMissing, geckodriverPath, preferences, profileTemplate } from "./firefox-profile.js";
import { Server, cleanEnv } from "./servers.js";

/** The two screens of the issue (browser.js's), for the Firefox tests too. */
export { DESKTOP, PHONE };

/** How often a wait asks the page again: WebDriver has no "wait for" of its own. */
const POLL_MS = 100;
/** How long Firefox may take to start and open its session (30 s seen on a busy 2-core machine). */
const START_TIMEOUT_MS = 90_000;
/** How long closing one user (session, geckodriver, Firefox) may take before a kill. */
const CLOSE_TIMEOUT_MS = 5_000;

/**
 * One person in Firefox: the same fields and actions as browser.js's `User` (`open`,
 * `login`, `waitOnline`, `moveTo`, `screenshot`, `console`, `frames`) plus the
 * browser-neutral ones portable.js builds on (`evaluate`, `waitUntil`, `click`, `fill`,
 * `waitVisible`, `waitHidden`, `reload`).
 */
export class FirefoxUser {
  constructor({ email, name, room, position, label, viewport = DESKTOP, touch = false }) {
    this.browser = "firefox";
    this.email = email;
    this.name = name;
    this.room = room;
    this.position = position ?? null;
    this.label = label ?? `${email} (firefox)`;
    this.viewport = viewport;
    this.touch = touch;
    /** Console lines and page errors, for a failing test's report. */
    this.console = [];
    /** WebDriver does not show WebSocket frames: always empty, for the artifacts. */
    this.frames = [];
  }

  /** Starts geckodriver and Firefox and opens a session; resolves with the user. */
  static async launch(options) {
    const missing = firefoxMissing();
    if (missing) throw new Error(missing);
    const user = new FirefoxUser(options);
    try {
      await user.start();
    } catch (err) {
      await user.close();
      throw err;
    }
    return user;
  }

  async start() {
    this.profileRoot = mkdtempSync(path.join(tmpdir(), "meetmap-firefox-"));
    const child = spawn(
      geckodriverPath(),
      ["--host", "127.0.0.1", "--port", "0", "--websocket-port", "0", "--profile-root", this.profileRoot],
      {
        env: cleanEnv(FIREFOX_ENV),
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    child.killGroup = true;
    this.geckodriver = new Server("geckodriver", child);
    const m = await this.geckodriver.waitForLine(/Listening on (127\.0\.0\.1:\d+)/, START_TIMEOUT_MS);

    const options = new firefox.Options()
      .setBinary(FIREFOX_PATH)
      .addArguments("-headless")
      .windowSize(this.viewport)
      .setProfile(profileTemplate(this.profileRoot))
      .enableBidi();
    for (const [key, value] of Object.entries(preferences({ shareLocation: !!this.position, touch: this.touch }))) {
      options.setPreference(key, value);
    }
    const session = new Builder().forBrowser("firefox").usingServer(`http://${m[1]}`).setFirefoxOptions(options).build();
    this.driver = await withTimeout(session, START_TIMEOUT_MS, () => `${this.label}: Firefox opened no session within ${START_TIMEOUT_MS} ms:\n${this.geckodriver.tail()}`);
    await this.driver.manage().setTimeouts({ script: EXPECT_TIMEOUT_MS, pageLoad: EXPECT_TIMEOUT_MS });
    this.context = await this.driver.getWindowHandle();
    this.bidi = await this.driver.getBidi();
    await this.recordConsole();
    await this.setViewport(this.viewport);
    if (this.position) await this.moveTo(this.position);
  }

  /** Page console lines and uncaught errors into `this.console`. */
  async recordConsole() {
    await this.bidi.subscribe("log.entryAdded", [this.context]);
    const socket = await this.bidi.socket;
    socket.on("message", (data) => {
      try {
        const { method, params } = JSON.parse(data.toString());
        if (method !== "log.entryAdded") return;
        const kind = params.type === "javascript" ? "pageerror" : params.level;
        const stack = params.stackTrace?.callFrames?.map((f) => `${f.url}:${f.lineNumber}`).join(" < ") ?? "";
        this.console.push(`[${kind}] ${params.text}${stack && kind === "pageerror" ? ` at ${stack}` : ""}`);
      } catch {
        // Not an event of ours.
      }
    });
  }

  /** Sizes the window so that the page's viewport is `width`×`height` CSS pixels. */
  async setViewport({ width, height }) {
    const window = this.driver.manage().window();
    await window.setRect({ width, height });
    const inner = await this.driver.executeScript("return [window.innerWidth, window.innerHeight]");
    if (inner[0] !== width || inner[1] !== height) {
      await window.setRect({ width: 2 * width - inner[0], height: 2 * height - inner[1] });
    }
    this.viewport = { width, height };
  }

  /** Opens the app and logs in. */
  async open(appUrl) {
    await this.goto(appUrl);
    await this.login();
  }

  /** Fills and submits the login form, then waits until the connection is online. */
  async login() {
    await this.waitVisible("#login-form");
    await this.fill("#login-email", this.email);
    await this.fill("#login-name", this.name);
    await this.fill("#login-room", this.room);
    await this.click("#login-submit");
    await this.waitOnline();
  }

  async waitOnline() {
    await this.waitUntil(
      () => document.querySelector("#connection-status")?.dataset.state === "online",
      undefined,
      "#connection-status online",
    );
  }

  /** The browser reports a new position to the app (BiDi `emulation.setGeolocationOverride`). */
  async moveTo({ latitude, longitude }) {
    const response = await this.bidi.send({
      method: "emulation.setGeolocationOverride",
      params: { coordinates: { latitude, longitude, accuracy: 10 }, contexts: [this.context] },
    });
    if (response?.type === "error" || response?.error) {
      throw new Error(`${this.label}: geolocation override refused: ${JSON.stringify(response)}`);
    }
    this.position = { latitude, longitude };
  }

  /** `fn(arg)` run in the page; resolves with what it returns (JSON-like values). */
  async evaluate(fn, arg) {
    return this.driver.executeScript(fn, arg);
  }

  /**
   * Waits until `fn(arg)`, run in the page, returns something truthy, and resolves with
   * it; fails after EXPECT_TIMEOUT_MS naming `what` and the last value or error seen.
   */
  async waitUntil(fn, arg, what, timeoutMs = EXPECT_TIMEOUT_MS) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
      try {
        last = await this.driver.executeScript(fn, arg);
        if (last) return last;
      } catch (err) {
        // The page may be between two documents (a reload, a navigation): ask again.
        last = `(${err.name}: ${err.message.split("\n")[0]})`;
      }
      if (Date.now() > deadline) {
        throw new Error(`${this.label}: waited ${timeoutMs} ms for ${what}; last seen ${JSON.stringify(last)}`);
      }
      await delay(POLL_MS);
    }
  }

  /** Waits until `selector` matches a rendered element. */
  async waitVisible(selector) {
    await this.waitUntil(isVisible, selector, `${selector} visible`);
  }

  /** Waits until `selector` matches nothing rendered. */
  async waitHidden(selector) {
    await this.waitUntil((s) => ![...document.querySelectorAll(s)].some((el) => el.getClientRects().length > 0), selector, `${selector} hidden`);
  }

  /**
   * Clicks the first rendered element of `selector` as a person would (WebDriver's click
   * scrolls it into view and fails if something covers it); retried until it can be.
   */
  async click(selector) {
    await this.actOn(selector, "click", (el) => el.click());
  }

  /** Replaces the text of the field `selector` by typing `text`. */
  async fill(selector, text) {
    await this.actOn(selector, "fill", async (el) => {
      await el.clear();
      await el.sendKeys(text);
    });
  }

  async actOn(selector, what, action) {
    await this.waitVisible(selector);
    const deadline = Date.now() + EXPECT_TIMEOUT_MS;
    for (;;) {
      try {
        const [el] = await this.driver.findElements(By.css(selector));
        if (el && (await el.isDisplayed()) && (await el.isEnabled())) return await action(el);
      } catch (err) {
        if (Date.now() > deadline) throw new Error(`${this.label}: cannot ${what} ${selector}: ${err.message}`);
      }
      if (Date.now() > deadline) throw new Error(`${this.label}: ${selector} never became usable to ${what}`);
      await delay(POLL_MS);
    }
  }

  async goto(url) {
    await this.driver.get(url);
  }

  async reload() {
    await this.driver.navigate().refresh();
  }

  /** A PNG of what the viewport shows. */
  async screenshot(file) {
    writeFileSync(file, Buffer.from(await this.driver.takeScreenshot(), "base64"));
  }

  /** Ends the session, geckodriver and Firefox (killed if they linger), removes the profile. */
  async close() {
    if (this.driver) {
      await withTimeout(this.driver.quit(), CLOSE_TIMEOUT_MS, () => "quit").catch(() => {});
      this.driver = undefined;
    }
    if (this.geckodriver) {
      await this.geckodriver.stop();
      try {
        process.kill(-this.geckodriver.child.pid, "SIGKILL");
      } catch {
        // The whole group is gone already.
      }
    }
    if (this.profileRoot) rmSync(this.profileRoot, { recursive: true, force: true });
  }
}

/**
 * `promise`, or a rejection with `message()` after `ms`; the timer never outlives it (and
 * a late rejection of `promise` is ignored).
 */
function withTimeout(promise, ms, message) {
  let timer;
  const settled = Promise.resolve(promise);
  settled.catch(() => {});
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(message())), ms);
  });
  return Promise.race([settled, timeout]).finally(() => clearTimeout(timer));
}

/** In the page: whether `selector` matches an element that is rendered. */
function isVisible(selector) {
  const el = document.querySelector(selector);
  if (!el || el.getClientRects().length === 0) return false;
  return getComputedStyle(el).visibility !== "hidden";
}
