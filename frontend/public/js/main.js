// Entry point: the login form, then the wiring of one session: the connection's events to
// presence, chat and calls; presence to the map, the list and the notifications; the
// geolocation watch to the connection. No module here knows the wire format.

import { Calls } from "./calls.js";
import { Chat } from "./chat.js";
import { backendUrl, loadConfig } from "./config.js";
import {
  forgetIdentity,
  loadIdentity,
  loadToken,
  roomFromUrl,
  saveIdentity,
  saveToken,
  validateIdentity,
} from "./identity.js";
import { createMap } from "./map.js";
import { notify } from "./notifications.js";
import { watchPosition } from "./position.js";
import { Presence } from "./presence.js";
import { OnlineList, byId, showConnectionStatus, showGeoStatus } from "./ui.js";
import { Connection } from "./websocket.js";

/** Set once a session runs; the test hook reads the map through it. */
let mapView = null;

// The end-to-end tests' hook (docs/UI-CONTRACT.md): marker positions as Leaflet has them.
window.__meetmap = {
  markerPositions: () => (mapView ? mapView.markerPositions() : {}),
};

/** A login error to show after the reload that ends a refused session. */
const LOGIN_ERROR_KEY = "meetmap.loginError";
/** The fields of a refused login, to fill the form with after that reload. */
const LOGIN_PREFILL_KEY = "meetmap.loginPrefill";

/** What to tell the user when the server refuses a login, by error code. */
const REFUSALS = {
  "access-denied": "This server needs an access code, and the one given is wrong or missing.",
  "email-in-use":
    "This email is already online in another browser or device. Close it there first, or log in there.",
  "invalid-token": "Your session has expired. Please log in again.",
};

const configLoaded = loadConfig();
/** Whether a session runs: the login form starts one at most. */
let started = false;
/** Whether /config.json says the backend needs an access code. */
let accessCodeRequired = false;

function setUpLogin() {
  const form = byId("login-form");
  configLoaded.then(({ config }) => {
    accessCodeRequired = config.accessCodeRequired === true;
    // Without the setting the field stays, optional: the backend is the one that knows.
    byId("login-access-code-optional").hidden = accessCodeRequired;
    byId("login-access-code").required = accessCodeRequired;
  });
  const saved = loadIdentity();
  const urlRoom = roomFromUrl();
  const prefill = saved ?? readPrefill();
  byId("login-email").value = prefill?.email ?? "";
  byId("login-name").value = prefill?.name ?? "";
  byId("login-room").value = urlRoom || prefill?.room || "";
  form.addEventListener("submit", (event) => {
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
    if (accessCodeRequired && !byId("login-access-code").value) {
      showLoginError("This server needs an access code.");
      return;
    }
    saveIdentity(identity);
    // The code is sent once; the session token stands for it afterwards.
    startSession(identity, byId("login-access-code").value);
  });
  if (saved) {
    // A link to another room takes the remembered user there.
    const identity = urlRoom ? validateIdentity({ ...saved, room: urlRoom }).identity ?? saved : saved;
    saveIdentity(identity);
    startSession(identity);
  } else {
    showLogin();
    showLoginError(sessionStorage.getItem(LOGIN_ERROR_KEY) ?? "");
    sessionStorage.removeItem(LOGIN_ERROR_KEY);
    byId(byId("login-email").value ? "login-name" : "login-email").focus();
  }
}

function showLogin() {
  byId("app").hidden = true;
  byId("login-view").hidden = false;
  byId("login-form").hidden = false;
}

function showLoginError(text) {
  const node = byId("login-error");
  node.textContent = text;
  node.hidden = !text;
}

/** The fields of a refused login, once. */
function readPrefill() {
  try {
    const prefill = JSON.parse(sessionStorage.getItem(LOGIN_PREFILL_KEY) ?? "null");
    sessionStorage.removeItem(LOGIN_PREFILL_KEY);
    return prefill && typeof prefill === "object" ? prefill : null;
  } catch {
    return null;
  }
}

async function startSession(identity, accessCode = "") {
  if (started) return;
  started = true;
  showLoginError("");
  byId("login-form").hidden = true;
  byId("login-view").hidden = true;
  byId("app").hidden = false;
  byId("me").textContent = identity.name;
  byId("room-name").textContent = `#${identity.room}`;
  document.title = `meetmap · #${identity.room}`;
  if (roomFromUrl() !== identity.room) {
    const url = new URL(location.href);
    url.searchParams.set("room", identity.room);
    history.replaceState(null, "", url);
  }

  const { config, warning } = await configLoaded;
  if (warning) notify("error", warning);

  const presence = new Presence();
  const connection = new Connection({
    url: backendUrl(config, identity.room),
    reconnectMaxMs: config.reconnectMaxMs,
  });
  const calls = new Calls({ connection, presence, config });
  const chat = new Chat({
    connection,
    presence,
    roomName: identity.room,
  });
  const list = new OnlineList(byId("online-list"), {
    onCall: (email) => calls.call(email),
    onMessage: (email) => chat.open(email),
    unreadFor: (email) => chat.unreadFor(email),
    // The server's flag, and what this page knows first hand about its own call.
    inCall: (user) =>
      user.inCall || calls.isMember(user.email) || (user.email === presence.selfEmail && calls.inCall),
  });
  const redrawList = () => list.render(presence.all(), presence.selfEmail);

  // The map loads on its own; until it is ready, and without it, everything else works.
  createMap(byId("map"), byId("map-note"), config, {
    onCall: (email) => calls.call(email),
    onMessage: (email) => chat.open(email),
  }).then((view) => {
    mapView = view;
    for (const user of presence.all()) view.upsert(user, user.email === presence.selfEmail);
  });

  presence.on("upsert", ({ user, previous, quiet }) => {
    mapView?.upsert(user, user.email === presence.selfEmail);
    if (user.email === presence.selfEmail) byId("me").textContent = user.name;
    if (!previous && !quiet && user.email !== presence.selfEmail) {
      notify("joined", `${user.name} joined`);
    }
  });
  presence.on("remove", ({ user, quiet }) => {
    mapView?.remove(user.email);
    calls.handleUserGone(user);
    if (!quiet) notify("left", `${user.name} left`);
  });
  presence.on("changed", () => {
    redrawList();
    chat.syncRecipients();
  });
  calls.on("changed", redrawList);
  calls.on("in-call", (inCall) => connection.updateProfile({ inCall }));

  let wasOnline = false;
  connection.on("status", (status) => {
    showConnectionStatus(status);
    if (status.state === "online") {
      wasOnline = true;
    } else if (wasOnline) {
      wasOnline = false;
      calls.handleConnectionLost();
    }
  });
  connection.on("snapshot", (snapshot) => presence.reset(snapshot));
  connection.on("presence", (delta) => presence.apply(delta));
  connection.on("chat", (message) => chat.receive(message));
  connection.on("call", (control) => calls.handleControl(control));
  connection.on("signal", (signal) => calls.handleSignal(signal));
  connection.on("server-error", ({ code, message }) => {
    const known = {
      "target-offline": "That person is no longer online",
      "not-registered": "Not registered with the server yet; try again in a moment",
    };
    notify("error", `${known[code] ?? "The server refused a message"}: ${message}`);
  });
  connection.on("token", ({ token }) => saveToken(identity, token));
  connection.on("registration-refused", ({ code, message }) => {
    // Back to the login form, saying why; a reload leaves no half-started session behind.
    forgetIdentity();
    const { email, name, room } = identity;
    sessionStorage.setItem(LOGIN_PREFILL_KEY, JSON.stringify({ email, name, room }));
    sessionStorage.setItem(LOGIN_ERROR_KEY, REFUSALS[code] ?? `The server refused this login: ${message}`);
    location.reload();
  });

  byId("connection-status").addEventListener("click", () => connection.retryNow());
  byId("show-chat").addEventListener("click", () => {
    byId("chat-panel").scrollIntoView({ behavior: "smooth", block: "nearest" });
    byId("chat-input").focus();
  });
  byId("logout").addEventListener("click", () => {
    calls.hangUp();
    connection.stop();
    forgetIdentity();
    const url = new URL(location.href);
    location.assign(url.pathname + url.search);
  });
  window.addEventListener("pagehide", () => calls.hangUp());

  connection.start({ ...identity, accessCode, token: loadToken(identity) });
  redrawList();

  watchPosition({
    intervalMs: config.positionIntervalMs,
    distanceM: config.positionDistanceM,
    onSend: ({ latitude, longitude }) => connection.updateProfile({ latitude, longitude }),
    onStatus: (state) => showGeoStatus(state),
  });
}

setUpLogin();
