// UI helpers: building DOM nodes safely (user text only ever as text nodes), the header's
// statuses, and the online list.

/**
 * Creates an element. `props` sets attributes (`class`, `data-*`, `aria-*`, ...) and, for
 * `text`, the text content; `on` maps event names to handlers. Children are nodes or
 * strings; strings become text nodes, never HTML.
 */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "on") for (const [type, fn] of Object.entries(value)) node.addEventListener(type, fn);
    else if (key === "hidden") node.hidden = Boolean(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** `document.getElementById`, failing loudly when the page and the code disagree. */
export function byId(id) {
  const node = document.getElementById(id);
  if (!node) throw new Error(`#${id} is missing from index.html`);
  return node;
}

/** The attribute-selector form of a value (emails hold characters CSS treats specially). */
export function attr(value) {
  return CSS.escape(value);
}

/** Up to two initials of a name, for avatars. */
export function initials(name) {
  const words = String(name)
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
  const letters = words.length > 1 ? [words[0], words[words.length - 1]] : words;
  return letters.map((w) => [...w][0]?.toUpperCase() ?? "").join("") || "?";
}

/** A stable hue for a user, so their avatar has the same colour on the map and the list. */
export function hueOf(email) {
  let hash = 0;
  for (const ch of String(email)) hash = (hash * 31 + ch.codePointAt(0)) >>> 0;
  return hash % 360;
}

const CONNECTION_TEXT = {
  connecting: "Connecting…",
  online: "Online",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

/** Shows the connection state in `#connection-status` (`data-state` and text). */
export function showConnectionStatus({ state, retryInMs }) {
  const node = byId("connection-status");
  node.dataset.state = state;
  let text = CONNECTION_TEXT[state] ?? state;
  if (state !== "online" && retryInMs) {
    const seconds = Math.max(1, Math.round(retryInMs / 1000));
    text =
      state === "offline"
        ? `Offline, retrying in ${seconds} s`
        : `${state === "connecting" ? "Connecting" : "Reconnecting"}, next try in ${seconds} s`;
  }
  node.textContent = text;
  node.title = state === "online" ? "Connected to the server" : "Click to retry now";
}

const GEO_TEXT = {
  locating: "Locating you…",
  shared: "Location shared",
  denied: "Location not shared: permission refused",
  unavailable: "Location not shared: position unavailable",
  unsupported: "Location not shared: this browser has no geolocation",
};

/** Shows the geolocation state in `#geo-status`. */
export function showGeoStatus(state) {
  const node = byId("geo-status");
  node.dataset.state = state;
  node.textContent = GEO_TEXT[state] ?? state;
}

/** Sets every `.unread[data-conversation=…]` badge of a conversation, and hides it at 0. */
export function showUnread(conversation, count) {
  for (const badge of document.querySelectorAll(`.unread[data-conversation="${attr(conversation)}"]`)) {
    badge.textContent = String(count);
    badge.hidden = count === 0;
  }
}

/**
 * The online list (`#online-list`): one `li.online-user[data-email]` per user, updated in
 * place so focus and scroll survive updates.
 */
export class OnlineList {
  #list;
  #actions;

  /**
   * `actions`: `{ onCall(email), onMessage(email), unreadFor(email), inCall(user),
   * callLabel(user) }` (`callLabel`: the call button's words, "Call" by default).
   */
  constructor(list, actions) {
    this.#list = list;
    this.#actions = actions;
  }

  /** Redraws from `users` (self first), keeping existing rows. */
  render(users, selfEmail) {
    const existing = new Map(
      [...this.#list.querySelectorAll("li.online-user")].map((li) => [li.dataset.email, li]),
    );
    let previous = null;
    for (const user of users) {
      const isSelf = user.email === selfEmail;
      let li = existing.get(user.email);
      if (li && li.classList.contains("self") !== isSelf) {
        li.remove();
        li = null;
      }
      li ??= this.#row(user, isSelf);
      existing.delete(user.email);
      this.#update(li, user, isSelf);
      const expectedPlace = previous ? previous.nextSibling : this.#list.firstChild;
      if (li !== expectedPlace) this.#list.insertBefore(li, expectedPlace);
      previous = li;
    }
    for (const li of existing.values()) li.remove();
    const count = byId("online-count");
    count.textContent = String(users.length);
  }

  #row(user, isSelf) {
    const li = el("li", { class: isSelf ? "online-user self" : "online-user", "data-email": user.email });
    const avatar = el("span", { class: "avatar", "aria-hidden": "true" });
    avatar.style.setProperty("--hue", String(hueOf(user.email)));
    const who = el(
      "span",
      { class: "who" },
      el("span", { class: "user-name" }),
      isSelf ? el("span", { class: "user-you", text: "(you)" }) : null,
      el("span", { class: "user-badges" }),
    );
    li.append(avatar, who);
    if (!isSelf) {
      li.append(
        el(
          "span",
          { class: "user-actions" },
          el("span", {
            class: "unread",
            "data-conversation": user.email,
            hidden: true,
            title: "Unread direct messages",
            text: "0",
          }),
          el("button", {
            type: "button",
            class: "call",
            text: "Call",
            on: { click: () => this.#actions.onCall(user.email) },
          }),
          el("button", {
            type: "button",
            class: "message",
            text: "Message",
            on: { click: () => this.#actions.onMessage(user.email) },
          }),
        ),
      );
    }
    return li;
  }

  #update(li, user, isSelf) {
    li.querySelector(".user-name").textContent = user.name;
    li.querySelector(".avatar").textContent = initials(user.name);
    li.title = user.email;
    const badges = li.querySelector(".user-badges");
    const noPosition = user.latitude === null || user.longitude === null;
    const inCall = this.#actions.inCall(user);
    toggleBadge(badges, "user-in-call", inCall, "in a call");
    toggleBadge(badges, "user-position-missing", noPosition, "no location");
    if (!isSelf) {
      const unread = this.#actions.unreadFor(user.email);
      const badge = li.querySelector(".unread");
      badge.textContent = String(unread);
      badge.hidden = unread === 0;
      li.querySelector("button.call").textContent = this.#actions.callLabel?.(user) ?? "Call";
      for (const button of li.querySelectorAll("button.call, button.message")) {
        button.setAttribute("aria-label", `${button.textContent} ${user.name}`);
      }
    }
  }
}

function toggleBadge(container, className, on, text) {
  const badge = container.querySelector(`.${className}`);
  if (on && !badge) container.append(el("span", { class: `badge ${className}`, text }));
  if (!on && badge) badge.remove();
}
