// WebSocket client: the only module that knows meetmap's wire format (docs/PROTOCOL.md).
// It keeps one connection to the backend (subprotocol meetmap.v1, reopened after drops by
// reconnecting-socket.js), registers the user on every (re)connect, links and signs out
// devices, and turns frames into events with plain app objects; the rest of the app calls
// its methods, never JSON.

import { Emitter } from "../emitter.js";
import { ReconnectingSocket } from "./reconnecting-socket.js";

const SUBPROTOCOL = "meetmap.v1";
/** How long `linkDevice()` waits for the server's `device-link`. */
const LINK_TIMEOUT_MS = 10000;
/** How long `signOut()` waits for `signed-out` before it closes the socket anyway. */
const SIGN_OUT_TIMEOUT_MS = 3000;

/**
 * The refusals of a first `add-user` that end the session (back to the login form): who
 * the user says they are, or what they proved, is not accepted. `too-many-attempts` is
 * one too, except on a reconnect (see `#receiveError`).
 */
const REFUSAL_CODES = [
  "email-mismatch",
  "access-denied",
  "email-in-use",
  "invalid-token",
  "email-claimed",
  "email-confusable",
  "invalid-link-code",
  "too-many-attempts",
];
/** The fields of `add-user` whose `invalid-field` refuses the identity. */
const IDENTITY_FIELDS = ["email", "name", "room", "accessCode", "token", "linkCode"];
/** The errors that answer a `link-device` or a `sign-out` (a seed-like connection, ...). */
const REQUEST_ERRORS = ["no-device", "not-registered", "rate-limited", "internal"];

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
 * - `registration-refused` `{ code, message }`: the server refused the identity or what
 *   proves it (one of `REFUSAL_CODES`: the access code, `access-denied`; an email held by
 *   another device, `email-claimed` or `email-in-use`; a bad link code...); no more
 *   retries.
 * - `token` `{ token }`: the session token of the last welcome, to keep; null to forget.
 */
export class Connection extends Emitter {
  /** The socket, reopened after drops. */
  #link;
  #profile = null;
  /** The deployment's access code as typed at login, if any; sent when registering. */
  #accessCode = "";
  /** The session token: proves on a reconnect or in another tab that this is the user. */
  #token = null;
  /** A link code from another device of the user's, sent until a `welcome` gives a token. */
  #linkCode = "";
  /** The `linkDevice()` waiting for its `device-link`: `{ resolve, reject, timer }`. */
  #pendingLink = null;
  /** The `signOut()` waiting for `signed-out` or the close: `{ resolve, timer }`. */
  #signingOut = null;
  /** The profile fields of the last `add-user`, to catch changes made before `welcome`. */
  #registeredAs = "";
  #registered = false;
  #state = "offline";

  constructor({ url, reconnectMaxMs }) {
    super();
    this.#link = new ReconnectingSocket({
      url,
      protocol: SUBPROTOCOL,
      reconnectMaxMs,
      onOpen: () => {
        this.#registeredAs = JSON.stringify(this.#profileFields());
        this.#sendAddUser();
      },
      onMessage: (data) => this.#receive(data),
      onClose: () => {
        this.#registered = false;
        this.#settleRequests();
        if (this.#signingOut) this.#finishSignOut(false);
      },
      onState: (state, retryInMs) => {
        this.#state = state;
        this.emit("status", { state, retryInMs });
      },
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
   * Connects as `{ email, name }` and stays connected until `stop()`; `accessCode`,
   * `token` (a remembered session token) and `linkCode` (from another device) are sent
   * when registering.
   */
  start({ email, name, accessCode = "", token = null, linkCode = "" }) {
    this.#profile = { email, name, latitude: null, longitude: null, inCall: false };
    this.#accessCode = accessCode;
    this.#token = token;
    this.#linkCode = linkCode;
    this.#link.start();
  }

  /** Closes the connection for good (log out); pending frames are flushed first. */
  stop() {
    this.#registered = false;
    this.#link.stop("logged out");
    this.#settleRequests();
    if (this.#signingOut) this.#finishSignOut(false);
  }

  /**
   * Asks the server for a one-time code that signs another device in as this user.
   * Resolves with `{ code, expiresAt }` (milliseconds since the epoch, by the server's
   * clock); rejects with an `Error` (its `code` the server's, when it refused).
   */
  linkDevice() {
    if (this.#pendingLink) return Promise.reject(failure("busy", "A code is already on its way."));
    if (!this.#send({ type: "link-device" })) {
      return Promise.reject(failure("offline", "Not connected to the server."));
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pendingLink = null;
        reject(failure("timeout", "The server did not answer."));
      }, LINK_TIMEOUT_MS);
      this.#pendingLink = { resolve, reject, timer };
    });
  }

  /**
   * Signs this device out (its token stops working everywhere) and closes the connection
   * for good. Resolves with true once the server confirmed (`signed-out`), false when it
   * could not be asked or the socket closed first.
   */
  signOut() {
    const asked = !this.#signingOut && this.#send({ type: "sign-out" });
    if (!asked) {
      this.stop();
      return Promise.resolve(false);
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.#finishSignOut(false), SIGN_OUT_TIMEOUT_MS);
      this.#signingOut = { resolve, timer };
    });
  }

  /** Ends a `signOut()`: says whether the server confirmed it, and stops for good. */
  #finishSignOut(confirmed) {
    const pending = this.#signingOut;
    this.#signingOut = null;
    if (pending) {
      clearTimeout(pending.timer);
      pending.resolve(confirmed);
    }
    this.stop();
  }

  /** Tries again at once when waiting between attempts (a click on the status). */
  retryNow() {
    this.#link.retryNow();
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

  /** The registering frame: the profile, with the access code, token and link code. */
  #sendAddUser() {
    const frame = { type: "add-user", ...this.#profileFields() };
    if (this.#accessCode) frame.accessCode = this.#accessCode;
    if (this.#token) frame.token = this.#token;
    if (this.#linkCode) frame.linkCode = this.#linkCode;
    this.#link.send(JSON.stringify(frame));
  }

  /** Fails a `linkDevice()` still waiting: its socket is gone. */
  #settleRequests() {
    if (this.#pendingLink) {
      clearTimeout(this.#pendingLink.timer);
      this.#pendingLink.reject(failure("offline", "The connection to the server was lost."));
      this.#pendingLink = null;
    }
  }

  #send(message) {
    return this.#registered && this.#link.send(JSON.stringify(message));
  }

  /** Marks the connection registered, and sends what changed since `add-user`. */
  #becomeOnline() {
    this.#registered = true;
    this.#link.markOnline();
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
          // The device is proven by its token from now on; the code worked once.
          this.#linkCode = "";
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
      case "device-link":
        if (this.#pendingLink && typeof message.code === "string") {
          const { resolve, timer } = this.#pendingLink;
          clearTimeout(timer);
          this.#pendingLink = null;
          resolve({ code: message.code, expiresAt: Number(message.expiresAt) || 0 });
        }
        break;
      case "signed-out":
        // The token no longer works: forget it, here and for the other tabs.
        this.#token = null;
        this.emit("token", { token: null });
        this.#finishSignOut(true);
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
    if (!this.#registered && error.code === "invalid-token" && this.#token) {
      // A stale token (expired, signed out, or from before the server's secret changed):
      // forget it and register once more without it on the same socket. If the email is
      // someone's device's, that gives `email-claimed` (or `email-in-use`) next.
      this.#token = null;
      this.emit("token", { token: null });
      this.#sendAddUser();
      return;
    }
    if (!this.#registered && error.code === "too-many-attempts" && this.#link.everOnline) {
      // Someone else on this network guessed wrong: a signed-in user keeps trying to come
      // back (waiting costs no attempt) rather than being sent to the login form.
      this.#link.drop();
      return;
    }
    const refusedIdentity =
      !this.#registered &&
      (REFUSAL_CODES.includes(error.code) ||
        (error.code === "invalid-field" && IDENTITY_FIELDS.includes(error.field)));
    if (refusedIdentity) {
      this.emit("registration-refused", { code: error.code, message: error.message });
      this.stop();
      return;
    }
    if (this.#signingOut && REQUEST_ERRORS.includes(error.code)) {
      this.#finishSignOut(false);
      return;
    }
    if (this.#pendingLink && REQUEST_ERRORS.includes(error.code)) {
      const { reject, timer } = this.#pendingLink;
      clearTimeout(timer);
      this.#pendingLink = null;
      reject(failure(error.code, error.message));
      return;
    }
    this.emit("server-error", error);
  }
}

/** An `Error` with a machine-readable `code`, for the promises of `Connection`. */
function failure(code, message) {
  return Object.assign(new Error(message), { code });
}

/** A JSON-ready copy of an RTCSessionDescription or RTCIceCandidate (or a plain object). */
function plain(value) {
  return typeof value?.toJSON === "function" ? value.toJSON() : { ...value };
}
