// The login form: prefilled from the remembered identity or a refused login, checked as the
// server will check it, the optional link code (a new device of a user signed in
// elsewhere), and why the server refused the last login.

import { forgetIdentity, loadIdentity, loadToken, roomFromUrl, saveIdentity, validateIdentity } from "./identity.js";
import { byId } from "./ui.js";

/** Why the last login was refused (`{ reason, text }`), to show after the reload that ends it. */
const LOGIN_REFUSAL_KEY = "meetmap.loginRefusal";
/** The fields of a refused login, to fill the form with after that reload. */
const LOGIN_PREFILL_KEY = "meetmap.loginPrefill";

/** The refusals after which a link code from the user's other device is the way in. */
const LINK_CODE_HELPS = ["emailClaimed", "emailInUse", "invalidLinkCode"];

const ADD_THIS_DEVICE =
  "To use it here too, choose “Add a device” there and type the code it shows into “Link code”.";

/** What to tell the user when the server refuses a login, by the refusal's reason. */
const REFUSALS = {
  accessDenied: "This server needs an access code, and the one given is wrong or missing.",
  emailClaimed: `This email is signed in on another device. ${ADD_THIS_DEVICE}`,
  emailInUse: `This email is already online on another device or browser. ${ADD_THIS_DEVICE}`,
  invalidLinkCode:
    "This link code is wrong, used or expired: a code works once, for 5 minutes. Ask your other device for a new one.",
  emailConfusable:
    "This email looks like another user's (some of its letters look alike), so it cannot be used. Check it, or use another one.",
  invalidToken: "Your session has expired. Please log in again.",
};

/**
 * Sets up the form and calls `startSession(identity, { accessCode, linkCode })` once the
 * user logs in, or at once for a remembered identity.
 */
export function setUpLogin(configLoaded, startSession) {
  let accessCodeRequired = false;
  configLoaded.then(({ config }) => {
    accessCodeRequired = config.accessCodeRequired === true;
    // Without the setting the field stays, optional: the backend is the one that knows.
    byId("login-access-code-optional").hidden = accessCodeRequired;
    byId("login-access-code").required = accessCodeRequired;
  });
  const saved = loadIdentity();
  const urlRoom = roomFromUrl();
  const prefill = saved ?? readOnce(LOGIN_PREFILL_KEY);
  byId("login-email").value = prefill?.email ?? "";
  byId("login-name").value = prefill?.name ?? "";
  byId("login-room").value = urlRoom || prefill?.room || "";
  byId("login-link-toggle").addEventListener("click", () => {
    showLinkCode();
    byId("login-link-code").focus();
  });
  byId("login-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const { identity, error } = validateIdentity({
      email: byId("login-email").value,
      name: byId("login-name").value,
      room: byId("login-room").value,
    });
    if (error) {
      showLoginError(error);
      return;
    }
    const accessCode = byId("login-access-code").value;
    const linkCode = byId("login-link-code").value.trim();
    // A link code or this browser's device token stands for the code.
    if (accessCodeRequired && !accessCode && !linkCode && !loadToken(identity.email)) {
      showLoginError("This server needs an access code.");
      return;
    }
    saveIdentity(identity);
    // The code is sent once; the session token stands for it afterwards.
    startSession(identity, { accessCode, linkCode });
  });
  if (saved) {
    // A link to another room takes the remembered user there.
    const identity = urlRoom ? validateIdentity({ ...saved, room: urlRoom }).identity ?? saved : saved;
    saveIdentity(identity);
    startSession(identity, {});
    return;
  }
  showLogin();
  const refusal = readOnce(LOGIN_REFUSAL_KEY);
  showLoginError(typeof refusal?.text === "string" ? refusal.text : "");
  if (LINK_CODE_HELPS.includes(refusal?.reason)) {
    showLinkCode();
    byId("login-link-code").focus();
  } else {
    byId(byId("login-email").value ? "login-name" : "login-email").focus();
  }
}

/** Hides the form for the app. */
export function hideLogin() {
  showLoginError("");
  byId("login-form").hidden = true;
  byId("login-view").hidden = true;
  byId("app").hidden = false;
}

/**
 * Ends a session the server refused (`reason`, the connection's name for it, and the
 * server's `message`): back to the login form, refilled but for the codes, saying why. A
 * reload leaves no half-started session behind.
 */
export function refuseLogin({ email, name, room }, reason, message) {
  forgetIdentity();
  try {
    sessionStorage.setItem(LOGIN_PREFILL_KEY, JSON.stringify({ email, name, room }));
    sessionStorage.setItem(LOGIN_REFUSAL_KEY, JSON.stringify({ reason, text: refusalText(reason, message) }));
  } catch {
    // Without storage the form comes back empty and silent.
  }
  location.reload();
}

/** The sentence for a refusal; `tooManyAttempts` is the server's own, which says how long to wait. */
function refusalText(reason, message) {
  if (Object.hasOwn(REFUSALS, reason)) return REFUSALS[reason];
  if (reason === "tooManyAttempts" && message) return `${message[0].toUpperCase()}${message.slice(1)}.`;
  return `The server refused this login: ${message}`;
}

function showLogin() {
  byId("app").hidden = true;
  byId("login-view").hidden = false;
  byId("login-form").hidden = false;
}

function showLinkCode() {
  byId("login-link").hidden = false;
  byId("login-link-toggle").hidden = true;
}

function showLoginError(text) {
  const node = byId("login-error");
  node.textContent = text;
  node.hidden = !text;
}

/** A JSON value kept in `sessionStorage` for the next page, read and removed. */
function readOnce(key) {
  try {
    const value = JSON.parse(sessionStorage.getItem(key) ?? "null");
    sessionStorage.removeItem(key);
    return value && typeof value === "object" ? value : null;
  } catch {
    return null;
  }
}
