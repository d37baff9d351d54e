// Identity: the login fields' rules, and remembering who the user is across reloads.

const STORAGE_KEY = "meetmap.identity";
/** The session token of the last welcome, with the email and room it is for. */
const TOKEN_KEY = "meetmap.session";

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

export function forgetIdentity() {
  try {
    localStorage.removeItem(STORAGE_KEY);
    localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Nothing remembered then.
  }
}

/** The remembered session token for this email and room, or null. */
export function loadToken({ email, room }) {
  try {
    const saved = JSON.parse(localStorage.getItem(TOKEN_KEY) ?? "null");
    return saved && saved.email === email && saved.room === room && typeof saved.token === "string"
      ? saved.token
      : null;
  } catch {
    return null;
  }
}

/** Remembers the session token for this email and room; null forgets it. */
export function saveToken({ email, room }, token) {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, JSON.stringify({ email, room, token }));
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // Without storage, another tab or a reload needs the access code again.
  }
}
