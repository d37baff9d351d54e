// Notifications: short messages in the page (#notifications) for people joining and
// leaving, new chat messages, calls and errors. They fade out by themselves.

import { byId, el } from "./ui.js";

/** How long a notification stays, and how many are shown at once. */
const LIFETIME_MS = 12000;
const MAX_SHOWN = 6;

const ICONS = { joined: "→", left: "←", message: "✉", call: "☎", error: "!", info: "i" };

/**
 * Shows `text` (plain text) as a `.notification` with `data-kind` one of `joined`, `left`,
 * `message`, `call`, `error` or `info`. `onClick`, when given, runs when it is clicked.
 */
export function notify(kind, text, { onClick } = {}) {
  const container = byId("notifications");
  const item = el(
    "div",
    { class: "notification", "data-kind": kind, role: kind === "error" ? "alert" : "status" },
    el("span", { class: "notification-icon", "aria-hidden": "true", text: ICONS[kind] ?? "i" }),
    el("span", { class: "notification-text", text }),
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
