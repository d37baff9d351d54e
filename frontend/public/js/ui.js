// UI helpers: building DOM nodes safely (user text only ever as text nodes), the header's
// statuses and the unread badges.

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
