// WebSocket client: the only module that knows meetmap's wire format (docs/PROTOCOL.md).
// It keeps one connection to the backend (subprotocol meetmap.v1), registers the user on
// every (re)connect, reconnects with jittered exponential backoff, and turns frames into
// events with plain app objects; the rest of the app calls its methods, never JSON.

import { Emitter } from "./emitter.js";

const SUBPROTOCOL = "meetmap.v1";
/** First reconnection delay; it doubles per failed attempt up to `reconnectMaxMs`. */
const RECONNECT_BASE_MS = 500;
/** A socket that neither opens nor registers within this time is dropped and retried. */
const CONNECT_TIMEOUT_MS = 10000;

/** Call-control kinds the app uses, and their message types. */
const CALL_TYPES = {
  invite: "call-invite",
  ringing: "call-ringing",
  accept: "call-accept",
  decline: "call-decline",
  busy: "call-busy",
  "hang-up": "hang-up",
};
const CALL_KINDS = Object.fromEntries(Object.entries(CALL_TYPES).map(([k, t]) => [t, k]));

/**
 * One user as the app sees it: `{ email, name, latitude, longitude, inCall }`, with
 * `latitude`/`longitude` null when the user shares no position.
 */
function toUser(wire) {
  const latitude = finite(wire?.latitude);
  const longitude = finite(wire?.longitude);
  const hasPosition = latitude !== null && longitude !== null;
  return {
    email: String(wire?.email ?? ""),
    name: String(wire?.name ?? wire?.email ?? ""),
    latitude: hasPosition ? latitude : null,
    longitude: hasPosition ? longitude : null,
    inCall: wire?.inCall === true,
  };
}

function finite(value) {
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function stringList(value) {
  return Array.isArray(value) ? value.filter((v) => typeof v === "string") : [];
}

/**
 * The connection to the backend.
 *
 * Events:
 * - `status` `{ state, retryInMs }`: `state` is `connecting` (first attempt), `online`
 *   (registered), `reconnecting` (after a drop) or `offline` (stopped, or the browser is
 *   offline).
 * - `snapshot` `{ self, users, initial }`: everyone online in the room, replacing what was
 *   known; `initial` is true for the first one after (re)registering.
 * - `presence` `{ joined: [user], moved: [{ email, latitude, longitude }], left: [email] }`
 *   (the server sends each move as `[email, latitude, longitude]`).
 * - `chat` `{ id, from, name, text, to, sentAt }` (`to` null for the room).
 * - `signal` `{ from, callId, description }` or `{ from, callId, candidate }`.
 * - `call` `{ kind, from, callId, members, media }`, `kind` one of `invite`, `ringing`,
 *   `accept`, `decline`, `busy`, `hang-up`.
 * - `server-error` `{ code, message, field }`: a frame of ours was refused.
 * - `registration-refused` `{ code, message }`: the server refused the identity (or the
 *   access code, `access-denied`, or the email is online elsewhere, `email-in-use`); no
 *   more retries.
 * - `token` `{ token }`: the session token of the last welcome, to keep; null to forget.
 */
export class Connection extends Emitter {
  #url;
  #reconnectMaxMs;
  #socket = null;
  #profile = null;
  /** The deployment's access code as typed at login, if any; sent when registering. */
  #accessCode = "";
  /** The session token: proves on a reconnect or in another tab that this is the user. */
  #token = null;
  /** The profile fields of the last `add-user`, to catch changes made before `welcome`. */
  #registeredAs = "";
  #registered = false;
  #stopped = true;
  #attempt = 0;
  #everOnline = false;
  #retryTimer = null;
  #connectTimer = null;
  #state = "offline";

  constructor({ url, reconnectMaxMs }) {
    super();
    this.#url = url;
    this.#reconnectMaxMs = Math.max(RECONNECT_BASE_MS, reconnectMaxMs || 10000);
    window.addEventListener("online", () => this.#wake());
    window.addEventListener("offline", () => {
      if (!this.#stopped && !this.#registered) this.#setState("offline");
    });
  }

  get state() {
    return this.#state;
  }

  /** Whether frames can be sent now: the socket is open and the user registered. */
  get registered() {
    return this.#registered;
  }

  /**
   * Connects as `{ email, name }` and stays connected until `stop()`; `accessCode` and
   * `token` (a remembered session token) are sent when registering.
   */
  start({ email, name, accessCode = "", token = null }) {
    this.#profile = { email, name, latitude: null, longitude: null, inCall: false };
    this.#accessCode = accessCode;
    this.#token = token;
    this.#stopped = false;
    this.#attempt = 0;
    this.#open();
  }

  /** Closes the connection for good (log out); pending frames are flushed first. */
  stop() {
    this.#stopped = true;
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#connectTimer);
    const socket = this.#socket;
    this.#socket = null;
    this.#registered = false;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, "logged out");
    }
    this.#setState("offline");
  }

  /** Tries again at once when waiting between attempts (a click on the status). */
  retryNow() {
    this.#wake();
  }

  /**
   * Updates what the server knows of the user: `latitude`/`longitude` (together) and/or
   * `inCall`. Kept for the next registration, and sent now when connected.
   */
  updateProfile(changes) {
    if (!this.#profile) return;
    Object.assign(this.#profile, changes);
    if (this.#registered) this.#send({ type: "update-user", ...this.#profileFields() });
  }

  /** Sends a chat message to the room, or to one user with `to`; false when offline. */
  sendChat(text, to) {
    const message = { type: "chat", text };
    if (to) message.to = to;
    return this.#send(message);
  }

  /**
   * Sends WebRTC signaling to `to` for call `callId`: `{ description }` (an offer or an
   * answer) or `{ candidate }`. False when offline.
   */
  sendSignal(to, callId, { description, candidate }) {
    if (description?.type === "offer") {
      return this.#send({ type: "sdp-offer", to, callId, offer: plain(description) });
    }
    if (description?.type === "answer") {
      return this.#send({ type: "sdp-answer", to, callId, answer: plain(description) });
    }
    if (candidate) {
      return this.#send({ type: "new-ice-candidate", to, callId, candidate: plain(candidate) });
    }
    return false;
  }

  /**
   * Sends call control `kind` (see `CALL_TYPES`) to `to` about call `callId`, with the
   * group's `members` (emails) and the `media` offered where they apply. False when offline.
   */
  sendCall(kind, to, { callId, members, media } = {}) {
    const type = CALL_TYPES[kind];
    if (!type) throw new Error(`unknown call control ${kind}`);
    const message = { type, to, callId };
    if (members) message.members = members;
    if (media) message.media = media;
    return this.#send(message);
  }

  #profileFields() {
    const { email, name, latitude, longitude, inCall } = this.#profile;
    const fields = { email, name, isConnected: true, inCall: Boolean(inCall) };
    if (latitude !== null && longitude !== null) {
      fields.latitude = latitude;
      fields.longitude = longitude;
    }
    return fields;
  }

  #open() {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    if (this.#stopped) return;
    this.#setState(this.#everOnline ? "reconnecting" : "connecting");
    let socket;
    try {
      socket = new WebSocket(this.#url, SUBPROTOCOL);
    } catch (err) {
      console.warn("meetmap: cannot open the WebSocket", err);
      this.#scheduleRetry();
      return;
    }
    this.#socket = socket;
    this.#connectTimer = setTimeout(() => {
      if (this.#socket === socket && !this.#registered) socket.close();
    }, CONNECT_TIMEOUT_MS);
    socket.onopen = () => {
      if (this.#socket !== socket) return;
      this.#registeredAs = JSON.stringify(this.#profileFields());
      this.#sendAddUser(socket);
    };
    socket.onmessage = (event) => {
      if (this.#socket === socket) this.#receive(event.data);
    };
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      clearTimeout(this.#connectTimer);
      this.#socket = null;
      this.#registered = false;
      this.#scheduleRetry();
    };
    // A failed socket always closes next; `onclose` does the work. Without this handler
    // the browser still logs the failure, which the app cannot prevent.
    socket.onerror = () => {};
  }

  /** The registering frame: the profile, with the access code and token when there are. */
  #sendAddUser(socket) {
    const frame = { type: "add-user", ...this.#profileFields() };
    if (this.#accessCode) frame.accessCode = this.#accessCode;
    if (this.#token) frame.token = this.#token;
    socket.send(JSON.stringify(frame));
  }

  #scheduleRetry() {
    if (this.#stopped) return;
    const cap = Math.min(this.#reconnectMaxMs, RECONNECT_BASE_MS * 2 ** this.#attempt);
    this.#attempt += 1;
    // "Equal jitter": half fixed, half random, so clients that dropped together spread out.
    const delay = Math.round(cap / 2 + Math.random() * (cap / 2));
    const offline = navigator.onLine === false;
    this.#setState(offline ? "offline" : this.#everOnline ? "reconnecting" : "connecting", delay);
    this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  #wake() {
    if (this.#stopped || this.#socket || !this.#retryTimer) return;
    this.#open();
  }

  #setState(state, retryInMs = null) {
    this.#state = state;
    this.emit("status", { state, retryInMs });
  }

  #send(message) {
    if (!this.#registered || this.#socket?.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(JSON.stringify(message));
    return true;
  }

  /** Marks the connection registered, and sends what changed since `add-user`. */
  #becomeOnline() {
    this.#registered = true;
    this.#everOnline = true;
    this.#attempt = 0;
    clearTimeout(this.#connectTimer);
    this.#setState("online");
    const fields = this.#profileFields();
    if (JSON.stringify(fields) !== this.#registeredAs) this.#send({ type: "update-user", ...fields });
  }

  #receive(data) {
    let message;
    try {
      message = JSON.parse(data);
    } catch {
      return;
    }
    if (!message || typeof message !== "object" || typeof message.type !== "string") return;
    switch (message.type) {
      case "welcome":
        if (typeof message.token === "string" && message.token) {
          this.#token = message.token;
          this.emit("token", { token: message.token });
        }
        this.#becomeOnline();
        this.emit("snapshot", {
          self: toUser(message.you),
          users: Array.isArray(message.users) ? message.users.map(toUser) : [],
          initial: true,
        });
        break;
      case "update-users": {
        // Only when the server did not take the subprotocol: full lists, no welcome.
        const users = Array.isArray(message.users) ? message.users.map(toUser) : [];
        const self = users.find((u) => u.email === this.#profile?.email);
        if (!self) break;
        const initial = !this.#registered;
        if (initial) this.#becomeOnline();
        this.emit("snapshot", { self, users, initial });
        break;
      }
      case "presence":
        this.emit("presence", {
          joined: Array.isArray(message.joined) ? message.joined.map(toUser) : [],
          // Each move is `[email, latitude, longitude]`: the compact form of the delta.
          moved: (Array.isArray(message.moved) ? message.moved : [])
            .filter((m) => Array.isArray(m) && typeof m[0] === "string")
            .map(([email, latitude, longitude]) => ({
              email,
              latitude: finite(latitude),
              longitude: finite(longitude),
            }))
            .filter((m) => m.latitude !== null && m.longitude !== null),
          left: stringList(message.left),
        });
        break;
      case "chat":
        this.emit("chat", {
          id: Number(message.id),
          from: String(message.from ?? ""),
          name: String(message.name ?? message.from ?? ""),
          text: String(message.text ?? ""),
          to: typeof message.to === "string" ? message.to : null,
          sentAt: Number(message.sentAt) || Date.now(),
        });
        break;
      case "sdp-offer":
      case "sdp-answer": {
        const description = message.type === "sdp-offer" ? message.offer : message.answer;
        if (description && typeof description.sdp === "string") {
          this.emit("signal", {
            from: String(message.from ?? ""),
            callId: typeof message.callId === "string" ? message.callId : null,
            description: { type: description.type, sdp: description.sdp },
          });
        }
        break;
      }
      case "new-ice-candidate":
        if (message.candidate && typeof message.candidate === "object") {
          this.emit("signal", {
            from: String(message.from ?? ""),
            callId: typeof message.callId === "string" ? message.callId : null,
            candidate: message.candidate,
          });
        }
        break;
      case "error":
        this.#receiveError(message);
        break;
      default:
        if (CALL_KINDS[message.type] && typeof message.from === "string") {
          this.emit("call", {
            kind: CALL_KINDS[message.type],
            from: message.from,
            callId: typeof message.callId === "string" ? message.callId : null,
            members: stringList(message.members),
            media: message.media && typeof message.media === "object" ? message.media : null,
          });
        }
      // Anything else (the seed's `offer`/`answer` broadcasts, `users-list`) is not ours.
    }
  }

  #receiveError(message) {
    const error = {
      code: String(message.code ?? ""),
      message: String(message.message ?? "the server refused a message"),
      field: typeof message.field === "string" ? message.field : null,
    };
    if (!this.#registered && error.code === "invalid-token" && this.#token && this.#socket) {
      // A stale token (expired, or from before the server's secret changed): forget it
      // and register once more without it on the same socket.
      this.#token = null;
      this.emit("token", { token: null });
      this.#sendAddUser(this.#socket);
      return;
    }
    const refusedIdentity =
      !this.#registered &&
      (["email-mismatch", "access-denied", "email-in-use", "invalid-token"].includes(error.code) ||
        (error.code === "invalid-field" &&
          ["email", "name", "room", "accessCode", "token"].includes(error.field)));
    if (refusedIdentity) {
      this.emit("registration-refused", { code: error.code, message: error.message });
      this.stop();
      return;
    }
    this.emit("server-error", error);
  }
}

/** A JSON-ready copy of an RTCSessionDescription or RTCIceCandidate (or a plain object). */
function plain(value) {
  return typeof value?.toJSON === "function" ? value.toJSON() : { ...value };
}
