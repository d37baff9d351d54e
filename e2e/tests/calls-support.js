// What the calls' tests share (not a test file): a user on a 390×844 touch screen and the
// awkward names (layout-support.js's), and stubs that record the phone's vibration and the
// system notifications of a tab that is made to look hidden.

import { LONG_NAME, PHONE, phoneUser } from "./layout-support.js";

/** The phone user, the 64-character name and the phone's size are the layout tests' own. */
export { LONG_NAME, PHONE, phoneUser };
/** A right-to-left name with an emoji. */
export const RTL_NAME = "نور الهدى 🌙";

/** Records every `navigator.vibrate(pattern)` of `user`'s page in `window.__vibrations`. */
export async function recordVibrations(user) {
  await user.page.evaluate(() => {
    window.__vibrations = [];
    navigator.vibrate = (pattern) => {
      window.__vibrations.push(pattern);
      return true;
    };
  });
}

/**
 * Reloads `user`'s page with the system notifications stubbed: `permission` (granted
 * unless told; `requestPermission()` grants it and counts in `window.__permissionAsked`), a
 * service worker registration whose `showNotification` records into
 * `window.__notifications` (`{ title, options, closed }`), `navigator.serviceWorker` an
 * EventTarget the test can post "messages" on, and `window.__setHidden(bool)` to make the
 * tab look hidden or visible.
 */
export async function stubSystemNotifications(user, { permission = "granted" } = {}) {
  await user.context.addInitScript((initial) => {
    let permission = initial;
    window.__permissionAsked = 0;
    let hidden = false;
    Object.defineProperty(Document.prototype, "visibilityState", { get: () => (hidden ? "hidden" : "visible"), configurable: true });
    Object.defineProperty(Document.prototype, "hidden", { get: () => hidden, configurable: true });
    window.__setHidden = (value) => {
      hidden = value;
      document.dispatchEvent(new Event("visibilitychange"));
    };
    window.__notifications = [];
    const record = (title, options, plain) => {
      const entry = { title, options: JSON.parse(JSON.stringify(options ?? {})), closed: false, plain };
      window.__notifications.push(entry);
      return entry;
    };
    const registration = {
      active: {},
      showNotification: async (title, options) => void record(title, options, false),
      getNotifications: async ({ tag } = {}) =>
        window.__notifications
          .filter((n) => !n.closed && (!tag || n.options.tag === tag))
          .map((n) => ({ close: () => (n.closed = true) })),
    };
    const worker = new EventTarget();
    worker.getRegistration = async () => registration;
    worker.register = async () => registration;
    Object.defineProperty(navigator, "serviceWorker", { get: () => worker, configurable: true });
    window.Notification = class {
      static get permission() {
        return permission;
      }
      static requestPermission = async () => {
        window.__permissionAsked += 1;
        permission = "granted";
        return permission;
      };
      constructor(title, options) {
        this.entry = record(title, options, true);
      }
      close() {
        this.entry.closed = true;
      }
    };
  }, permission);
  await user.page.reload();
  await user.waitOnline();
}
