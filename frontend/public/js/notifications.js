// Notifications: short messages in the page (#notifications) for people joining and
// leaving, new chat messages, calls and errors. They fade out by themselves; those with a
// `key` (a conversation's messages) are merged into one that counts them; during a call
// only errors are shown. `PresenceNotices` says who joined and left, but not for a
// reconnection (the user's own, or someone's brief drop).

import { byId, el } from "./ui.js";

/** How long a notification stays, and how many are shown at once. */
const LIFETIME_MS = 12000;
const MAX_SHOWN = 3;
/** Someone who comes back this soon after leaving has only reconnected: no "left" nor "joined". */
const LEFT_GRACE_MS = 5000;
/** After the user's own reconnection, people known before it are not new for this long. */
const RECONNECT_GRACE_MS = 15000;

const ICONS = { joined: "→", left: "←", message: "✉", call: "☎", error: "!", info: "i" };

/** Why the notifications are quiet now (a call, a ringing call): the reasons held. */
const quietReasons = new Set();

/** Shows no notification but errors while `on` for `reason` (e.g. "call"); others are dropped. */
export function quietNotifications(reason, on) {
  if (on) quietReasons.add(reason);
  else quietReasons.delete(reason);
  if (!on) return;
  for (const item of [...byId("notifications").children]) {
    if (item.dataset.kind !== "error") item.remove();
  }
}

/**
 * Shows `text` (plain text) as a `.notification` with `data-kind` one of `joined`, `left`,
 * `message`, `call`, `error` or `info`. `onClick`, when given, runs when it is clicked. With
 * a `key`, a notification shown with the same key is replaced, and counts how many it
 * stands for (`data-count`, "3 new"). Returns a function that dismisses it.
 */
export function notify(kind, text, { onClick, key } = {}) {
  if (quietReasons.size > 0 && kind !== "error") return () => {};
  const container = byId("notifications");
  const previous = key ? [...container.children].find((n) => n.dataset.key === key) : null;
  const count = previous ? Number(previous.dataset.count) + 1 : 1;
  previous?.dismiss();
  const item = el(
    "div",
    {
      class: "notification",
      "data-kind": kind,
      "data-key": key,
      "data-count": String(count),
      role: kind === "error" ? "alert" : "status",
    },
    el("span", { class: "notification-icon", "aria-hidden": "true", text: ICONS[kind] ?? "i" }),
    el("span", { class: "notification-text", text }),
    count > 1 ? el("span", { class: "notification-count", text: `${count} new` }) : null,
  );
  const close = el("button", {
    type: "button",
    class: "notification-close",
    "aria-label": "Dismiss",
    text: "×",
  });
  item.append(close);
  const dismiss = () => {
    clearTimeout(timer);
    item.remove();
  };
  item.dismiss = dismiss;
  close.addEventListener("click", (event) => {
    event.stopPropagation();
    dismiss();
  });
  if (onClick) {
    item.classList.add("clickable");
    item.addEventListener("click", () => {
      onClick();
      dismiss();
    });
  }
  const timer = setTimeout(dismiss, LIFETIME_MS);
  container.append(item);
  while (container.children.length > MAX_SHOWN) container.firstElementChild.remove();
  return dismiss;
}

/**
 * "<name> joined" and "<name> left" from `presence`'s changes, except what a reconnection
 * causes: a "left" waits a moment and is dropped when the person comes back meanwhile, and
 * after the user's own connection comes back, the people known before it are not "joined".
 */
export class PresenceNotices {
  /** email → timer of a "left" not shown yet. */
  #leaving = new Map();
  /** The emails online when the user's connection dropped, until the grace after it is back. */
  #known = null;
  #knownTimer = null;

  /** `presence`: a `Presence`; `connection`: its `status` events. */
  constructor({ presence, connection }) {
    presence.on("upsert", ({ user, previous, quiet }) => {
      if (!previous && user.email !== presence.selfEmail) this.#joined(user, quiet);
    });
    presence.on("remove", ({ user, quiet }) => this.#left(user, quiet));
    connection.on("status", ({ state }) => {
      if (state === "online") {
        clearTimeout(this.#knownTimer);
        if (this.#known) this.#knownTimer = setTimeout(() => (this.#known = null), RECONNECT_GRACE_MS);
      } else {
        // Everyone known when this drop began counts, also those who came since the last
        // drop's grace began (a drop soon after the first connection, or after another).
        clearTimeout(this.#knownTimer);
        this.#known = new Set([...(this.#known ?? []), ...presence.all().map((u) => u.email)]);
      }
    });
  }

  #joined(user, quiet) {
    const leaving = this.#leaving.get(user.email);
    if (leaving !== undefined) {
      clearTimeout(leaving);
      this.#leaving.delete(user.email);
      return;
    }
    if (quiet || this.#known?.has(user.email)) return;
    notify("joined", `${user.name} joined`);
  }

  #left(user, quiet) {
    if (quiet) return;
    clearTimeout(this.#leaving.get(user.email));
    const timer = setTimeout(() => {
      this.#leaving.delete(user.email);
      notify("left", `${user.name} left`);
    }, LEFT_GRACE_MS);
    this.#leaving.set(user.email, timer);
  }
}
