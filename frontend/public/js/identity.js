// Identity: the login fields' rules, and remembering who the user is across reloads (the
// identity) and which device this browser is for each email (its session token).

const STORAGE_KEY = "meetmap.identity";
/** The session token of each email's last welcome: `{ "<email>": "<token>" }`. */
const TOKENS_KEY = "meetmap.sessions";
/** Where the token was kept while tokens were bound to a room; removed when seen. */
const LEGACY_TOKEN_KEY = "meetmap.session";

/** The room named by the page URL's `?room=`, or "" when there is none. */
export function roomFromUrl() {
  return new URLSearchParams(location.search).get("room")?.trim().toLowerCase() ?? "";
}

/**
 * Normalises and checks login fields as the server will (trimmed; email and room
 * lower-cased). Returns `{ identity }` or `{ error }` with a sentence for the user.
 */
export function validateIdentity({ email, name, room }) {
  const identity = {
    email: String(email ?? "").trim().toLowerCase(),
    name: String(name ?? "").trim(),
    room: String(room ?? "").trim().toLowerCase() || "default",
  };
  if (!/^[^\s@]+@[^\s@]+$/.test(identity.email) || identity.email.length > 254) {
    return { error: "Please enter a valid email address (like alice@example.com)." };
  }
  // eslint-disable-next-line no-control-regex
  if (!identity.name || [...identity.name].length > 64 || /[\u0000-\u001f\u007f]/.test(identity.name)) {
    return { error: "Please enter a name of 1 to 64 characters." };
  }
  if (!/^[a-z0-9._-]{1,64}$/.test(identity.room)) {
    return { error: "A room name has 1 to 64 letters, digits, '-', '_' or '.'." };
  }
  return { identity };
}

/** The remembered identity, or null. */
export function loadIdentity() {
  try {
    const saved = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null");
    if (!saved) return null;
    return validateIdentity(saved).identity ?? null;
  } catch {
    return null;
  }
}

export function saveIdentity(identity) {
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(identity));
  } catch {
    // Private mode or storage full: the user logs in again next time.
  }
}

/** Forgets who the user is (no more logging in by itself); the session tokens stay. */
export function forgetIdentity() {
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // Nothing remembered then.
  }
}

/** The remembered session token of `email` (this browser's device for it), or null. */
export function loadToken(email) {
  const token = readTokens()[email];
  return typeof token === "string" && token ? token : null;
}

/**
 * Remembers the session token of `email`; null forgets it. One token per email: it proves
 * this browser's device in any room, and tokens of other emails are kept, since a device
 * without its token can only come back with a link code.
 */
export function saveToken(email, token) {
  try {
    const tokens = readTokens();
    if (token) tokens[email] = token;
    else delete tokens[email];
    localStorage.setItem(TOKENS_KEY, JSON.stringify(tokens));
    // Tokens of before devices (one per room) prove nothing any more.
    localStorage.removeItem(LEGACY_TOKEN_KEY);
  } catch {
    // Without storage, another tab or a reload needs a link code from another device.
  }
}

function readTokens() {
  try {
    const saved = JSON.parse(localStorage.getItem(TOKENS_KEY) ?? "null");
    return saved && typeof saved === "object" && !Array.isArray(saved) ? saved : {};
  } catch {
    return {};
  }
}
