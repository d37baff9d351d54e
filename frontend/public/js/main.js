// Entry point: the login form (login.js), then the wiring of one session: the connection's
// events to presence, chat and calls; presence to the map, the list and the notifications;
// the geolocation watch to the connection; adding a device and logging out. No module
// here knows the wire format.

import { Calls } from "./calls/calls.js";
import { Chat } from "./chat/chat.js";
import { backendUrl, loadConfig } from "./config.js";
import { setUpDeviceLink } from "./device-link.js";
import { forgetIdentity, loadToken, roomFromUrl, saveToken } from "./identity.js";
import { registerServiceWorker } from "./layout/pwa.js";
import { setUpTopbarMenu } from "./layout/topbar-menu.js";
import { Views } from "./layout/views.js";
import { hideLogin, refuseLogin, setUpLogin } from "./login.js";
import { createMap } from "./map.js";
import { PresenceNotices, notify } from "./notifications.js";
import { watchPosition } from "./position.js";
import { Presence } from "./presence.js";
import { OnlineList } from "./people/online-list.js";
import { Places, refreshEveryMs } from "./people/places.js";
import { byId, showConnectionStatus, showGeoStatus } from "./ui.js";
import { Connection } from "./connection/connection.js";

/** What the user is told when the server refuses a frame, by the refusal's reason. */
const REFUSED_FRAMES = {
  targetOffline: "That person is no longer online",
  notRegistered: "Not registered with the server yet; try again in a moment",
};

/** Set once a session runs; the test hook reads the map and the calls through them. */
let mapView = null;
let callsView = null;

// The end-to-end tests' hook (docs/UI-CONTRACT.md): marker positions as Leaflet has them,
// the markers inside the map's view, and what the ringtone plays.
window.__meetmap = {
  markerPositions: () => (mapView ? mapView.markerPositions() : {}),
  markersInView: () => (mapView ? mapView.markersInView() : []),
  ringtone: () => callsView?.ringtoneState() ?? null,
};

const configLoaded = loadConfig();
/** Whether a session runs: the login form starts one at most. */
let started = false;

/**
 * Runs the app as `identity`; `accessCode` and `linkCode` (another device's) are sent when
 * registering, with this browser's session token for the email when it has one.
 */
async function startSession(identity, { accessCode = "", linkCode = "" }) {
  if (started) return;
  started = true;
  hideLogin();
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
  const places = new Places(presence, { intervalMs: config.positionIntervalMs });
  const url = backendUrl(config, identity.room);
  const connection = new Connection({
    url,
    timings: {
      reconnectBaseMs: config.reconnectBaseMs,
      reconnectMaxMs: config.reconnectMaxMs,
      connectTimeoutMs: config.connectTimeoutMs,
    },
  });
  const calls = new Calls({ connection, presence, config });
  callsView = calls;
  /** The phone's views, made once the chat they show exists. */
  let views = null;
  const chat = new Chat({
    connection,
    presence,
    roomName: identity.room,
    email: identity.email,
    name: identity.name,
    server: url,
    onOpen: () => views?.show("chat"),
    isShown: () => views?.shows("chat") ?? true,
    onCallBack: (email) => calls.call(email),
  });
  // On a phone, the chat comes to the front whenever a conversation is opened, and what it
  // shows counts as read once it is in front.
  // The Call tab shows the whole call, also after it was minimised to a bar.
  views = new Views({
    onShow: (view) => {
      if (view === "chat") chat.seen();
      if (view === "call") calls.showWhole();
    },
  });
  setUpTopbarMenu();
  calls.on("missed", (event) => chat.recordCall(event));
  calls.on("open-conversation", (email) => chat.open(email));
  new PresenceNotices({ presence, connection });
  const list = new OnlineList(byId("online-list"), {
    onCall: (email) => calls.call(email),
    onMessage: (email) => chat.open(email),
    // On a phone the Map view comes to the front; the map flies there once it shows.
    onLocate: (email, how) => {
      views.show("map");
      mapView?.focus(email, how);
    },
    place: (email) => places.describe(email),
    unreadFor: (email) => chat.unreadFor(email),
    // The server's flag, and what this page knows first hand about its own call.
    inCall: (user) =>
      user.inCall || calls.isMember(user.email) || (user.email === presence.selfEmail && calls.inCall),
    // In a call, the button rings the person into it: it says so.
    callLabel: (user) => (calls.active && !calls.isMember(user.email) ? "Add to call" : "Call"),
  });
  const redrawList = () => list.render(presence.all(), presence.selfEmail);

  // The map loads on its own; until it is ready, and without it, everything else works.
  let accuracyM = null;
  createMap(byId("map"), byId("map-note"), config, {
    places,
    actions: {
      onCall: (email) => calls.call(email),
      onMessage: (email) => chat.open(email),
      onFocusBack: (element) => views.showViewOf(element),
    },
  }).then((view) => {
    mapView = view;
    view.setAccuracy(accuracyM);
    for (const user of presence.all()) view.upsert(user, user.email === presence.selfEmail);
  });
  // Ages and staleness move on with the clock, and with repeated positions.
  setInterval(() => {
    redrawList();
    mapView?.refreshPlaces();
  }, refreshEveryMs(config.positionIntervalMs));

  presence.on("upsert", ({ user }) => {
    mapView?.upsert(user, user.email === presence.selfEmail);
    if (user.email === presence.selfEmail) {
      byId("me").textContent = user.name;
      // Everyone's distance from you changed.
      mapView?.refreshPlaces();
    }
  });
  presence.on("remove", ({ user }) => {
    mapView?.remove(user.email);
    calls.handleUserGone(user);
  });
  presence.on("changed", () => {
    redrawList();
    chat.syncPeople();
  });
  calls.on("changed", redrawList);
  calls.on("in-call", (inCall) => connection.updateProfile({ inCall }));

  let wasOnline = false;
  connection.on("status", (status) => {
    showConnectionStatus(status);
    if (status.state === "online") {
      // Registered (again): a call that went on meanwhile is put in sync.
      if (!wasOnline) calls.handleConnectionBack();
      wasOnline = true;
    } else if (wasOnline) {
      wasOnline = false;
      calls.handleConnectionLost();
    }
  });
  connection.on("snapshot", (snapshot) => presence.reset(snapshot));
  connection.on("presence", (delta) => presence.apply(delta));
  connection.on("call", (control) => calls.handleControl(control));
  connection.on("signal", (signal) => calls.handleSignal(signal));
  connection.on("server-error", (refusal) => {
    if (chat.refused(refusal)) return;
    const { reason, message } = refusal;
    const said = Object.hasOwn(REFUSED_FRAMES, reason) ? REFUSED_FRAMES[reason] : "The server refused a message";
    notify("error", `${said}: ${message}`);
  });
  connection.on("token", ({ token }) => saveToken(identity.email, token));
  connection.on("registration-refused", ({ reason, message }) => refuseLogin(identity, reason, message));

  byId("connection-status").addEventListener("click", () => connection.retryNow());
  byId("show-chat").addEventListener("click", () => {
    byId("chat-panel").scrollIntoView({ behavior: "smooth", block: "nearest" });
    chat.openUnread();
  });
  setUpDeviceLink(connection);
  byId("logout").addEventListener("click", async () => {
    byId("logout").disabled = true;
    calls.hangUp();
    // This device's token stops working on the server, then here.
    await connection.signOut();
    saveToken(identity.email, null);
    forgetIdentity();
    const url = new URL(location.href);
    location.assign(url.pathname + url.search);
  });
  window.addEventListener("pagehide", () => calls.hangUp());

  connection.start({ ...identity, accessCode, linkCode, token: loadToken(identity.email) });
  redrawList();

  watchPosition({
    intervalMs: config.positionIntervalMs,
    distanceM: config.positionDistanceM,
    onSend: ({ latitude, longitude }) => connection.updateProfile({ latitude, longitude }),
    onStatus: (state, detail) => {
      showGeoStatus(state);
      accuracyM = state === "shared" ? (detail?.accuracyM ?? null) : null;
      mapView?.setAccuracy(accuracyM);
    },
  });
}

setUpLogin(configLoaded, startSession);
registerServiceWorker();
