// The log (#chat-log, a `role="log"` region): the open conversation's messages in id order,
// then its unsent ones; a "Loading…" row while an older page comes and a "Beginning of the
// conversation" row once there is none, and call events among the messages. Items are reused by key, so a redraw keeps focus
// and scroll; the log sticks to the bottom when it was there.

import { el } from "../ui.js";
import { callEventItem, callEventSignature } from "./call-event-view.js";
import { messageItem, signature } from "./message-view.js";

/** Within this many pixels of the bottom the log counts as at the bottom; of the top, it pages back. */
const STICKY_PX = 40;

export class LogView {
  #log;
  #actions;
  /** key → `{ li, sig }` of the items shown */
  #shown = new Map();
  #conversation = null;
  /** The message whose menu is open (its id), kept across redraws. */
  #menuOpen = null;

  /**
   * `log`: the `<ol>`; `actions`: the message actions (message-view.js), plus
   * `onTop()` (scrolled to the top: page back), `onScroll()` (what is seen changed) and
   * `onCallBack(event)` (a call event's button).
   */
  constructor(log, actions) {
    this.#log = log;
    this.#actions = {
      ...actions,
      onMenu: (message, open) => {
        this.#menuOpen = open ? message.id : null;
      },
    };
    log.addEventListener("scroll", () => {
      if (log.scrollTop < STICKY_PX) actions.onTop();
      actions.onScroll();
    });
  }

  /**
   * Shows `items` (see `messageItem`, or `{ callEvent }`) of `conversation`, `loading` and `beginning` as their
   * rows. A new conversation starts at its bottom.
   */
  render(conversation, items, { loading, beginning }) {
    const log = this.#log;
    const switched = conversation !== this.#conversation;
    this.#conversation = conversation;
    const atBottom = switched || log.scrollHeight - log.scrollTop - log.clientHeight < STICKY_PX;
    const fromBottom = log.scrollHeight - log.scrollTop;
    const firstBefore = this.#firstKey();

    const nodes = [];
    if (beginning) nodes.push(el("li", { class: "chat-beginning", text: "Beginning of the conversation" }));
    if (loading) nodes.push(el("li", { class: "chat-loading", role: "status", text: "Loading…" }));
    const next = new Map();
    const now = Date.now();
    const focused = this.#focusedControl();
    /** A redrawn item gets the focus back on the same control (a receipt came meanwhile). */
    let refocus = null;
    for (const shown of items) {
      if (shown.callEvent) {
        const key = `e${shown.callEvent.id}`;
        const sig = callEventSignature(shown.callEvent);
        const old = this.#shown.get(key);
        const li = old && old.sig === sig ? old.li : callEventItem(shown.callEvent, this.#actions);
        next.set(key, { li, sig });
        nodes.push(li);
        continue;
      }
      const item = { ...shown, menuOpen: shown.message.id !== 0 && shown.message.id === this.#menuOpen };
      const key = item.message.id ? `m${item.message.id}` : `c${item.message.clientId}`;
      const sig = signature(item, now);
      const old = this.#shown.get(key);
      const li = old && old.sig === sig ? old.li : messageItem(item, this.#actions, now);
      next.set(key, { li, sig });
      nodes.push(li);
      if (old && old.li !== li && focused?.li === old.li) refocus = li.querySelector(focused.selector);
    }
    if (switched) this.#shown.clear();
    this.#shown = next;
    place(log, nodes);
    refocus?.focus();

    if (atBottom) log.scrollTop = log.scrollHeight;
    else if (firstBefore !== this.#firstKey()) log.scrollTop = log.scrollHeight - fromBottom;
  }

  /** Whether the user sees the bottom of the log (new messages then show without scrolling). */
  atBottom() {
    const log = this.#log;
    return log.scrollHeight - log.scrollTop - log.clientHeight < STICKY_PX;
  }

  /** Whether the log is scrolled to its top, or too short to scroll (then older pages are wanted). */
  atTop() {
    return this.#log.scrollTop < STICKY_PX;
  }

  /** The largest message id whose item is in view or scrolled past, or 0. */
  seenUpTo() {
    const bottom = this.#log.getBoundingClientRect().bottom;
    let seen = 0;
    for (const li of this.#log.querySelectorAll("li.chat-message[data-id]")) {
      if (li.getBoundingClientRect().top >= bottom) break;
      seen = Math.max(seen, Number(li.dataset.id));
    }
    return seen;
  }

  /** The focused button inside a message item: `{ li, selector }`, or null. */
  #focusedControl() {
    const active = document.activeElement;
    const li = active?.closest?.("li.chat-message");
    if (!li || !this.#log.contains(li) || !active.classList.length) return null;
    return { li, selector: `.${active.classList[0]}` };
  }

  #firstKey() {
    const first = this.#log.querySelector("li.chat-message");
    return first ? first.dataset.id ?? first.dataset.clientId : null;
  }
}

/** Makes `nodes` the children of `parent`, moving only those out of place (focus stays). */
function place(parent, nodes) {
  const keep = new Set(nodes);
  for (const child of [...parent.children]) if (!keep.has(child)) child.remove();
  let expected = parent.firstChild;
  for (const node of nodes) {
    if (node !== expected) parent.insertBefore(node, expected);
    else expected = expected.nextSibling;
  }
}
