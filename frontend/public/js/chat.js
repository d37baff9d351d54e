// Chat: the room's and direct messages in one log (#chat-log), the send form, and unread
// counts per conversation ("room" or the other person's email).
//
// A message is unread when it arrives from someone else in a conversation other than the
// one selected in #chat-to; selecting a conversation (there, or with a "Message" button)
// marks it read.

import { notify } from "./notifications.js";
import { byId, el, showUnread } from "./ui.js";

const ROOM = "room";
const MAX_TEXT = 2000;
const PREVIEW_CHARS = 80;

export class Chat {
  #conn;
  #presence;
  #log = byId("chat-log");
  #form = byId("chat-form");
  #select = byId("chat-to");
  #input = byId("chat-input");
  #error = byId("chat-error");
  #roomName;
  #seen = new Set();
  #unread = new Map();
  #recipientsKey = "";

  constructor({ connection, presence, roomName }) {
    this.#conn = connection;
    this.#presence = presence;
    this.#roomName = roomName;
    this.#form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#send();
    });
    this.#select.addEventListener("change", () => this.#markRead(this.#selected()));
    this.#input.addEventListener("input", () => this.#showError(""));
    this.syncRecipients();
  }

  /** Unread messages in a conversation (`"room"` or an email). */
  unreadFor(conversation) {
    return this.#unread.get(conversation) ?? 0;
  }

  totalUnread() {
    let total = 0;
    for (const count of this.#unread.values()) total += count;
    return total;
  }

  /** Selects a conversation (`"room"` or an email) for reading and sending. */
  open(conversation) {
    const value = conversation === ROOM ? "" : conversation;
    this.syncRecipients(value);
    this.#select.value = value;
    this.#markRead(conversation);
    this.#input.focus();
  }

  /** Shows a chat message from the server: `{ id, from, name, text, to, sentAt }`. */
  receive(message) {
    if (this.#seen.has(message.id)) return;
    this.#seen.add(message.id);
    const self = this.#presence.selfEmail;
    const mine = message.from === self;
    const direct = message.to !== null;
    const conversation = direct ? (mine ? message.to : message.from) : ROOM;

    const atBottom = this.#log.scrollHeight - this.#log.scrollTop - this.#log.clientHeight < 40;
    this.#log.append(this.#item(message, { mine, direct }));
    if (atBottom || mine) this.#log.scrollTop = this.#log.scrollHeight;

    if (mine) return;
    if (conversation !== this.#selected()) {
      this.#unread.set(conversation, this.unreadFor(conversation) + 1);
      this.#showUnread(conversation);
    }
    const preview =
      message.text.length > PREVIEW_CHARS ? `${message.text.slice(0, PREVIEW_CHARS)}…` : message.text;
    notify("message", `${message.name}${direct ? " (to you)" : ""}: ${preview}`, {
      onClick: () => this.open(conversation),
    });
  }

  /**
   * Redraws #chat-to's options from who is online, keeping the selection; `keep` is an
   * extra email to list even when offline (the selected conversation).
   */
  syncRecipients(keep = this.#select.value) {
    const self = this.#presence.selfEmail;
    const online = this.#presence.all().filter((u) => u.email !== self);
    const options = [{ value: "", text: `Everyone in #${this.#roomName}` }];
    for (const user of online) options.push({ value: user.email, text: user.name });
    if (keep && !online.some((u) => u.email === keep)) {
      options.push({ value: keep, text: `${this.#presence.get(keep)?.name ?? keep} (offline)`, disabled: true });
    }
    const key = JSON.stringify(options);
    if (key === this.#recipientsKey) return;
    this.#recipientsKey = key;
    this.#select.replaceChildren(
      ...options.map((o) => el("option", { value: o.value, text: o.text, disabled: o.disabled })),
    );
    this.#select.value = keep;
  }

  #item(message, { mine, direct }) {
    const time = new Date(message.sentAt);
    const header = el(
      "div",
      { class: "chat-meta" },
      el("span", { class: "chat-sender", text: message.name }),
      direct
        ? el("span", {
            class: "chat-direct",
            text: mine ? `to ${this.#presence.get(message.to)?.name ?? message.to}` : "to you",
          })
        : null,
      el("time", {
        class: "chat-time",
        datetime: time.toISOString(),
        title: time.toLocaleString(),
        text: time.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }),
      }),
    );
    const classes = ["chat-message"];
    if (mine) classes.push("mine");
    if (direct) classes.push("direct");
    return el(
      "li",
      {
        class: classes.join(" "),
        "data-from": message.from,
        "data-direct": String(direct),
        "data-id": String(message.id),
      },
      header,
      el("p", { class: "chat-text", text: message.text }),
    );
  }

  #send() {
    const text = this.#input.value.trim();
    if (!text) return;
    if (text.length > MAX_TEXT) {
      this.#showError(`A message has at most ${MAX_TEXT} characters.`);
      return;
    }
    const to = this.#select.value || null;
    if (to && !this.#presence.has(to)) {
      this.#showError(`${this.#presence.get(to)?.name ?? to} is offline: the message was not sent.`);
      return;
    }
    if (!this.#conn.sendChat(text, to)) {
      this.#showError("Not connected to the server: the message was not sent.");
      return;
    }
    this.#input.value = "";
    this.#showError("");
    this.#markRead(to ?? ROOM);
  }

  #showError(text) {
    this.#error.textContent = text;
    this.#error.hidden = !text;
  }

  #selected() {
    return this.#select.value || ROOM;
  }

  #markRead(conversation) {
    if (!this.unreadFor(conversation)) return;
    this.#unread.delete(conversation);
    this.#showUnread(conversation);
  }

  #showUnread(conversation) {
    showUnread(conversation, this.unreadFor(conversation));
    const total = this.totalUnread();
    const badge = byId("unread-total");
    badge.textContent = String(total);
    badge.hidden = total === 0;
  }
}
