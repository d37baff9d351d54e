// One message of the log as a list item: sender, time, text (always as text), and for the
// user's own messages their state (sending, sent, delivered, read, failed with Retry and
// Delete) and the menu that edits or deletes them within the edit window.

import { el } from "../ui.js";

/** How long after sending a message its menu offers Edit and Delete (the server decides). */
export const EDIT_WINDOW_MS = 10 * 60 * 1000;

const STATE_TEXT = {
  sending: "Sending…",
  retrying: "Sending… (the server is busy, trying again)",
  sent: "Sent",
  delivered: "Delivered",
  read: "Read",
};
const STATE_TICKS = { sending: "○", retrying: "○", sent: "✓", delivered: "✓✓", read: "✓✓" };

/**
 * A message item. `item`: `{ message, mine, direct, state, failure, peerName, menuOpen }`
 * where `state` is `sending`, `retrying`, `sent`, `delivered`, `read` or `failed`;
 * `actions`: `{ onRetry, onDiscard, onEdit, onDelete }` (each given the message) and
 * `onMenu(message, open)` (the menu opened or closed, so a redraw keeps it so).
 */
export function messageItem(item, actions, now = Date.now()) {
  const { message, mine, direct, state } = item;
  const classes = ["chat-message"];
  if (mine) classes.push("mine");
  if (direct) classes.push("direct");
  if (message.deleted) classes.push("deleted");
  if (state === "failed") classes.push("failed");
  const li = el("li", {
    class: classes.join(" "),
    "data-from": message.from,
    "data-direct": String(direct),
    "data-id": message.id ? String(message.id) : null,
    "data-client-id": message.clientId,
    "data-state": mine ? state : null,
  });
  li.append(meta(item), el("p", { class: "chat-text", text: message.deleted ? "Message deleted" : message.text }));
  if (mine) li.append(footer(item, actions, now));
  return li;
}

function meta({ message, mine, direct, peerName }) {
  const time = new Date(message.sentAt);
  return el(
    "div",
    { class: "chat-meta" },
    el("span", { class: "chat-sender", text: message.name }),
    direct ? el("span", { class: "chat-direct", text: mine ? `to ${peerName}` : "to you" }) : null,
    message.editedAt && !message.deleted ? el("span", { class: "chat-edited", text: "edited" }) : null,
    el("time", {
      class: "chat-time",
      datetime: time.toISOString(),
      title: time.toLocaleString(),
      text: time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
    }),
  );
}

function footer(item, actions, now) {
  const { message, state, failure, direct } = item;
  const box = el("div", { class: "chat-footer" });
  if (state === "failed") {
    box.append(
      el("span", { class: "chat-status", role: "status", text: `Not sent: ${failure?.message ?? "refused"}` }),
      el("button", { type: "button", class: "chat-retry", text: "Retry", on: { click: () => actions.onRetry(message) } }),
      el("button", { type: "button", class: "chat-discard", text: "Delete", "aria-label": "Delete this unsent message", on: { click: () => actions.onDiscard(message) } }),
    );
    return box;
  }
  // Room messages stop at "sent": a room has no receipts.
  const shown = !direct && (state === "delivered" || state === "read") ? "sent" : state;
  box.append(
    el(
      "span",
      { class: "chat-status", title: STATE_TEXT[shown], "aria-label": STATE_TEXT[shown] },
      el("span", { class: `chat-ticks ${shown}`, "aria-hidden": "true", text: STATE_TICKS[shown] ?? "" }),
      el("span", { class: "chat-state-text", text: STATE_TEXT[shown] ?? shown }),
    ),
  );
  if (message.id && !message.deleted && now - message.sentAt < EDIT_WINDOW_MS) {
    box.append(menu(message, actions, item.menuOpen === true));
  }
  return box;
}

function menu(message, actions, open) {
  const list = el("span", { class: "chat-actions", hidden: !open });
  const toggle = el("button", {
    type: "button",
    class: "chat-menu",
    "aria-label": "Message actions",
    "aria-expanded": String(open),
    text: "⋯",
  });
  toggle.addEventListener("click", () => {
    const opening = list.hidden;
    list.hidden = !opening;
    toggle.setAttribute("aria-expanded", String(opening));
    actions.onMenu?.(message, opening);
  });
  // Choosing an action closes the menu.
  const choose = (action) => () => {
    actions.onMenu?.(message, false);
    list.hidden = true;
    toggle.setAttribute("aria-expanded", "false");
    action(message);
  };
  list.append(
    el("button", { type: "button", class: "chat-edit", text: "Edit", on: { click: choose(actions.onEdit) } }),
    el("button", { type: "button", class: "chat-delete", text: "Delete", on: { click: choose(actions.onDelete) } }),
  );
  return el("span", { class: "chat-menu-box" }, toggle, list);
}

/** A text that changes when anything shown of `item` changes (to skip redrawing it). */
export function signature(item, now = Date.now()) {
  const { message, state, failure, peerName, menuOpen } = item;
  const editable = now - message.sentAt < EDIT_WINDOW_MS;
  return JSON.stringify([
    message.text, message.name, message.editedAt, message.deleted, state, failure?.message, peerName, editable, menuOpen,
  ]);
}
