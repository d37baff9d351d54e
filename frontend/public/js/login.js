// The login form: prefilled from the remembered identity or a refused login, checked as the
// server will check it, the optional link code (a new device of a user signed in
// elsewhere), and why the server refused the last login. An error names its field
// (`aria-invalid`, `aria-describedby`) and goes once that field is fixed.

import { forgetIdentity, loadIdentity, loadToken, roomFromUrl, saveIdentity, validateIdentity } from "./identity.js";
import { byId } from "./ui.js";

/** Why the last login was refused (`{ reason, text }`), to show after the reload that ends it. */
const LOGIN_REFUSAL_KEY = "meetmap.loginRefusal";
/** The fields of a refused login, to fill the form with after that reload. */
const LOGIN_PREFILL_KEY = "meetmap.loginPrefill";

/** The refusals after which a link code from the user's other device is the way in. */
const LINK_CODE_HELPS = ["emailClaimed", "emailInUse", "invalidLinkCode"];

/** The field a refusal is about, by reason; the others are about no one field. */
const REFUSAL_FIELDS = {
  accessDenied: "login-access-code",
  emailClaimed: "login-link-code",
  emailInUse: "login-link-code",
  invalidLinkCode: "login-link-code",
  emailConfusable: "login-email",
};

/** Valid stand-ins, to check one field at a time with the identity's own rules. */
const VALID_FIELDS = { email: "a@b", name: "a", room: "a" };

/** The error shown: `{ field, check }` (`check(value)` is true once the field is fixed), or null. */
let shownError = null;

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
      showLoginError(error, fieldAtFault());
      return;
    }
    const accessCode = byId("login-access-code").value;
    const linkCode = byId("login-link-code").value.trim();
    // A link code or this browser's device token stands for the code.
    if (accessCodeRequired && !accessCode && !linkCode && !loadToken(identity.email)) {
      showLoginError("This server needs an access code.", {
        id: "login-access-code",
        fixed: () => byId("login-access-code").value !== "" || byId("login-link-code").value.trim() !== "",
      });
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
  byId("login-form").addEventListener("input", (event) => {
    if (shownError && event.target.id === shownError.id && shownError.fixed()) showLoginError("");
  });
  showLogin();
  const refusal = readOnce(LOGIN_REFUSAL_KEY);
  if (LINK_CODE_HELPS.includes(refusal?.reason)) showLinkCode();
  const fieldId = Object.hasOwn(REFUSAL_FIELDS, refusal?.reason) ? REFUSAL_FIELDS[refusal.reason] : null;
  // The server judged the field: any change to it may be the fix.
  const initial = byId(fieldId ?? "login-email").value;
  const field = fieldId ? { id: fieldId, fixed: () => byId(fieldId).value !== initial } : null;
  showLoginError(typeof refusal?.text === "string" ? refusal.text : "", field);
  if (!field) byId(byId("login-email").value ? "login-name" : "login-email").focus();
}

/**
 * Hides the form for the app. The focus, when it was in the form, goes into the app (else
 * it would fall to the page); after a reload it stays at the start, before the skip link.
 */
export function hideLogin() {
  const fromForm = byId("login-view").contains(document.activeElement);
  showLoginError("");
  byId("login-form").hidden = true;
  byId("login-view").hidden = true;
  byId("app").hidden = false;
  if (fromForm) byId("main").focus({ preventScroll: true });
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

/**
 * Shows `text` in #login-error ("" hides it). `field`, `{ id, fixed() }`, is the input it
 * is about: marked invalid, described by the error and focused, until `fixed()` says so.
 */
function showLoginError(text, field = null) {
  const node = byId("login-error");
  node.textContent = text;
  node.hidden = !text;
  if (shownError) {
    const old = byId(shownError.id);
    old.removeAttribute("aria-invalid");
    setDescribedBy(old, false);
  }
  shownError = text && field ? field : null;
  if (!shownError) return;
  const input = byId(shownError.id);
  input.setAttribute("aria-invalid", "true");
  setDescribedBy(input, true);
  input.focus();
}

/** Adds #login-error to, or removes it from, the field's `aria-describedby` (its hint stays). */
function setDescribedBy(input, on) {
  const ids = (input.getAttribute("aria-describedby") ?? "").split(/\s+/).filter((id) => id && id !== "login-error");
  if (on) ids.unshift("login-error");
  if (ids.length) input.setAttribute("aria-describedby", ids.join(" "));
  else input.removeAttribute("aria-describedby");
}

/** The first field the identity's rules refuse, as `{ id, fixed() }`, or null. */
function fieldAtFault() {
  for (const [key, id] of [["email", "login-email"], ["name", "login-name"], ["room", "login-room"]]) {
    const fixed = () => !validateIdentity({ ...VALID_FIELDS, [key]: byId(id).value }).error;
    if (!fixed()) return { id, fixed };
  }
  return null;
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
