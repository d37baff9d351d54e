// The list of conversations (#chat-conversations): the room first, then each direct one,
// the latest active first; each a button with its unread badge; the open one marked with
// `aria-current`.

import { el } from "../ui.js";

export class ConversationList {
  #list;
  #onOpen;
  /** key → li */
  #rows = new Map();

  /** `onOpen(conversation)` when the user picks one. */
  constructor(list, onOpen) {
    this.#list = list;
    this.#onOpen = onOpen;
  }

  /**
   * Redraws from `entries`: `{ key, label, direct, unread, online }` in the order shown;
   * `open` is the open conversation's key.
   */
  render(entries, open) {
    const next = new Map();
    let expected = this.#list.firstChild;
    for (const entry of entries) {
      const li = this.#rows.get(entry.key) ?? this.#row(entry.key);
      next.set(entry.key, li);
      this.#update(li, entry, entry.key === open);
      if (li !== expected) this.#list.insertBefore(li, expected);
      else expected = expected.nextSibling;
    }
    for (const [key, li] of this.#rows) if (!next.has(key)) li.remove();
    this.#rows = next;
  }

  #row(key) {
    const button = el(
      "button",
      { type: "button", class: "conversation", "data-conversation": key, on: { click: () => this.#onOpen(key) } },
      el("span", { class: "conversation-name" }),
      el("span", { class: "unread", "data-conversation": key, hidden: true, text: "0" }),
    );
    return el("li", {}, button);
  }

  #update(li, { label, direct, unread, online }, isOpen) {
    const button = li.firstChild;
    button.classList.toggle("direct", direct);
    button.classList.toggle("offline", direct && !online);
    li.querySelector(".conversation-name").textContent = direct ? label : `# ${label}`;
    const badge = li.querySelector(".unread");
    badge.textContent = String(unread);
    badge.hidden = unread === 0;
    if (isOpen) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
    const who = direct ? `${label}${online ? "" : " (offline)"}` : `Everyone in #${label}`;
    button.setAttribute("aria-label", unread ? `${who}, ${unread} unread` : who);
    button.title = who;
  }
}
