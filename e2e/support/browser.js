// Debian's Chromium driven by playwright-core: one browser per test, one context per user,
// logged in through the form; screenshots and logs of every page when a test fails.

import { EventEmitter } from "node:events";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { test } from "node:test";
import { chromium } from "playwright-core";

import { ROOT, Servers } from "./servers.js";

/** Where failing tests leave screenshots and logs (gitignored). */
export const RESULTS_DIR = path.join(ROOT, "e2e", "test-results");

/** How long an expectation waits for the app before the test fails. */
export const EXPECT_TIMEOUT_MS = 15_000;

/** Flags that keep Chromium off the network and let it run as root in a container. */
const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  // A synthetic camera and microphone, granted without a prompt.
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  // Several tabs play video at once; keep hidden ones running at full speed.
  "--disable-background-timer-throttling",
  "--disable-renderer-backgrounding",
  "--disable-backgrounding-occluded-windows",
  "--autoplay-policy=no-user-gesture-required",
];

/** The two screens of the issue: a phone (with touch) and a desktop, in CSS pixels. */
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

/** Debian's Chromium, or the one CHROMIUM_PATH names. */
export const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";

/**
 * Launches Chromium (`executablePath`, by default {@link CHROMIUM}) with a fresh profile,
 * and any `extraArgs` of a test (such as `--ignore-certificate-errors` for a self-signed
 * proxy).
 */
export async function launchBrowser(extraArgs = [], executablePath = CHROMIUM) {
  // launch() gives Chromium a new, empty --user-data-dir of its own and removes it on close.
  return chromium.launch({ executablePath, headless: true, args: [...CHROMIUM_ARGS, ...extraArgs] });
}

/**
 * Opens the app as a new user in its own browser context and logs in through the form.
 *
 * `position` is `{ latitude, longitude }`, or `null` for a user who refuses geolocation
 * (the permission is then not granted). Resolves with a {@link User} once
 * `#connection-status` is online.
 */
export async function newUser(browser, options) {
  const user = await openUser(browser, options);
  await user.open(options.appUrl);
  return user;
}

/**
 * A new user's browser context and page, before the app is opened. `storageState` (from
 * `context.storageState()`) starts it with another context's cookies and localStorage;
 * `viewport` (default 1280×800) and `touch` (a touch screen and a mobile viewport) make it
 * a phone.
 */
export async function openUser(browser, { email, name, room, position, label, storageState, viewport, touch }) {
  const permissions = ["camera", "microphone"];
  if (position) permissions.push("geolocation");
  const context = await browser.newContext({
    permissions,
    geolocation: position ?? undefined,
    viewport: viewport ?? DESKTOP,
    hasTouch: !!touch,
    isMobile: !!touch,
    storageState,
  });
  context.setDefaultTimeout(EXPECT_TIMEOUT_MS);
  const page = await context.newPage();
  return new User({ context, page, email, name, room, label: label ?? email });
}

/** One person in the app: their page, and what their page logged and received. */
export class User {
  constructor({ context, page, email, name, room, label }) {
    this.browser = "chromium";
    this.context = context;
    this.page = page;
    this.email = email;
    this.name = name;
    this.room = room;
    this.label = label;
    /** Console lines and page errors, for a failing test's report. */
    this.console = [];
    /** Every WebSocket frame of the page: `{ dir: "in" | "out", type, data }`. */
    this.frames = [];
    /** The URL of every WebSocket the page opened. */
    this.sockets = [];
    this.frameEvents = new EventEmitter();
    /** Every dialog (alert, confirm, prompt) the page opened. */
    this.dialogs = [];
    /** Every URL the page requested. */
    this.requests = [];
    page.on("console", (msg) => this.console.push(`[${msg.type()}] ${msg.text()}`));
    page.on("pageerror", (err) => this.console.push(`[pageerror] ${err.stack ?? err}`));
    page.on("request", (req) => this.requests.push(req.url()));
    page.on("dialog", (dialog) => {
      this.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
      dialog.dismiss().catch(() => {});
    });
    page.on("websocket", (ws) => {
      this.sockets.push(ws.url());
      const record = (dir) => ({ payload }) => {
        let type = "(binary)";
        if (typeof payload === "string") {
          try {
            type = JSON.parse(payload).type ?? "(untyped)";
          } catch {
            type = "(not json)";
          }
        }
        const frame = { dir, type, data: typeof payload === "string" ? payload : "" };
        this.frames.push(frame);
        this.frameEvents.emit("frame", frame);
      };
      ws.on("framereceived", record("in"));
      ws.on("framesent", record("out"));
    });
  }

  /** Opens the app and logs in. */
  async open(appUrl) {
    await this.page.goto(appUrl);
    await this.login();
  }

  /** Fills and submits the login form, then waits until the connection is online. */
  async login() {
    const { page } = this;
    await page.locator("#login-form").waitFor({ state: "visible" });
    await page.fill("#login-email", this.email);
    await page.fill("#login-name", this.name);
    await page.fill("#login-room", this.room);
    await page.click("#login-submit");
    await this.waitOnline();
  }

  async waitOnline() {
    try {
      await this.page.locator('#connection-status[data-state="online"]').waitFor();
    } catch (err) {
      const status = await this.page
        .locator("#connection-status")
        .evaluate((el) => `data-state=${el.dataset.state} "${el.textContent.trim()}"`, null, { timeout: 1000 })
        .catch(() => "missing");
      throw new Error(`${this.label} is not online; #connection-status is ${status}\n${err.message}`);
    }
  }

  /** Moves the user: the browser reports the new position to the app. */
  async moveTo(position) {
    await this.context.setGeolocation(position);
  }

  // The browser-neutral actions and waits of portable.js, as firefox.js has them too.

  async goto(url) {
    await this.page.goto(url);
  }

  /** `fn(arg)` run in the page; resolves with what it returns. */
  async evaluate(fn, arg) {
    return this.page.evaluate(fn, arg);
  }

  /** Waits until `fn(arg)` in the page is truthy; resolves with it. `what` names it on failure. */
  async waitUntil(fn, arg, what, timeoutMs = EXPECT_TIMEOUT_MS) {
    try {
      const handle = await this.page.waitForFunction(fn, arg, { timeout: timeoutMs });
      return await handle.jsonValue();
    } catch (err) {
      throw new Error(`${this.label}: waited ${timeoutMs} ms for ${what}\n${err.message}`);
    }
  }

  async waitVisible(selector) {
    await this.page.locator(selector).first().waitFor({ state: "visible" });
  }

  async waitHidden(selector) {
    await this.page.locator(selector).first().waitFor({ state: "hidden" });
  }

  async click(selector) {
    await this.page.locator(selector).first().click();
  }

  async fill(selector, text) {
    await this.page.locator(selector).first().fill(text);
  }

  async reload() {
    await this.page.reload();
  }

  async close() {
    await this.context.close().catch(() => {});
  }

  /** The types of the frames this page received. */
  receivedTypes() {
    return this.frames.filter((f) => f.dir === "in").map((f) => f.type);
  }

  async screenshot(file) {
    await this.page.screenshot({ path: file, fullPage: true });
  }
}

/**
 * Everything one test starts: both servers, a browser and its users. `scenario()` makes
 * one per test and closes it whatever happens.
 */
export class World {
  constructor(title) {
    this.title = title;
    this.users = [];
  }

  async start(options) {
    this.servers = await Servers.start(options);
    this.browser = await launchBrowser();
  }

  get appUrl() {
    return this.servers.appUrl;
  }

  /**
   * A logged-in user; see {@link newUser}. `appUrl` opens another frontend's app;
   * `initScript` runs in the page before the app does.
   */
  async newUser(options) {
    const user = await openUser(this.browser, options);
    this.users.push(user);
    if (options.initScript) await user.context.addInitScript(options.initScript);
    await user.open(options.appUrl ?? this.appUrl);
    return user;
  }

  /**
   * Saves a screenshot of every page, each page's console and frames, and both servers'
   * logs under test-results/<test>/.
   */
  async saveArtifacts() {
    const dir = path.join(RESULTS_DIR, slug(this.title));
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    for (const [i, user] of this.users.entries()) {
      const base = path.join(dir, `${i + 1}-${slug(user.label)}`);
      try {
        await user.screenshot(`${base}.png`);
      } catch (err) {
        user.console.push(`[e2e] screenshot failed: ${err.message}`);
      }
      writeFileSync(`${base}.console.log`, user.console.join("\n") + "\n");
      const frames = user.browser === "firefox" ? ["(WebDriver shows no WebSocket frames)"] : user.frames.map((f) => `${f.dir} ${f.data}`);
      writeFileSync(`${base}.frames.log`, frames.join("\n") + "\n");
    }
    if (this.servers) {
      const logs = this.servers.logs();
      writeFileSync(path.join(dir, "backend.log"), logs.backend + "\n");
      writeFileSync(path.join(dir, "frontend.log"), logs.frontend + "\n");
    }
    return dir;
  }

  async close() {
    await this.browser?.close().catch(() => {});
    await this.servers?.close();
  }
}

/** A folder name for `text`: at most 80 characters, its start and its end (a browser pairing). */
function slug(text) {
  const s = text.replace(/[^a-zA-Z0-9@._-]+/g, "-").replace(/^-+|-+$/g, "");
  return s.length <= 80 ? s : `${s.slice(0, 56)}--${s.slice(-22)}`;
}

/**
 * A test with a fresh {@link World} (or a `WorldClass` derived from it): `fn(world, t)`.
 * On failure every page is screenshotted into test-results/ before the world is closed.
 */
export function scenario(title, fn, { timeout = 90_000, appEnv, backendArgs, WorldClass = World } = {}) {
  test(title, { timeout }, async (t) => {
    const world = new WorldClass(title);
    try {
      await world.start({ appEnv, backendArgs });
      await fn(world, t);
    } catch (err) {
      const dir = await world.saveArtifacts().catch((e) => `(artifacts failed: ${e.message})`);
      t.diagnostic(`screenshots and logs: ${path.relative(process.cwd(), dir) || dir}`);
      for (const user of world.users) {
        for (const line of user.console.filter((l) => l.startsWith("[pageerror]"))) {
          t.diagnostic(`${user.label}: ${line.split("\n").slice(0, 3).join(" | ")}`);
        }
      }
      throw err;
    } finally {
      await world.close();
    }
  });
}
