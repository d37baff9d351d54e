// Connection: the user's one connection to the backend. It registers the user on every
// (re)connect (reconnecting-socket.js reopens the socket after drops), keeps where the
// registration is in one state value, links and signs out devices, and hands the app the
// codec's events (wire/codec.js); the rest of the app calls its methods, never JSON.

import { Emitter } from "../emitter.js";
import * as wire from "../wire/codec.js";
import { Awaited } from "./awaited.js";
import { Heartbeat } from "./heartbeat.js";
import { ReconnectingSocket } from "./reconnecting-socket.js";

/** How long `linkDevice()` waits for the server's `device-link`. */
const LINK_TIMEOUT_MS = 10000;
/** How long `signOut()` waits for `signed-out` before it closes the socket anyway. */
const SIGN_OUT_TIMEOUT_MS = 3000;

/**
 * The connection to the backend. Its `phase`, one value:
 * - `closed`: not started, or stopped for good (logged out, signed out);
 * - `connecting`: no socket open (the first attempt, or waiting to retry after a drop);
 * - `registering`: a socket is open and its `add-user` sent, not yet welcomed;
 * - `registered`: welcomed; frames can be sent;
 * - `refused`: the server refused who the user says they are, or what they proved.
 *
 * Events:
 * - `status` `{ state, retryInMs }`: `state` is `connecting` (first attempt), `online`
 *   (registered), `reconnecting` (after a drop) or `offline` (stopped, or the browser is
 *   offline).
 * - `snapshot` `{ self, users, initial }`: everyone online in the room, replacing what was
 *   known; `initial` is true for the first one after (re)registering.
 * - `presence` `{ joined, moved, left }`, `chat`, `chat-ack`, `chat-history`,
 *   `chat-receipt`, `chat-read`, `chat-conversations`, `typing`, `signal`, `call`: the
 *   codec's events of the same names (see `decode` in wire/codec.js).
 * - `server-error` `{ reason, message, field, clientId }`: a frame of ours was refused
 *   (`reason` names the error, e.g. `targetOffline`; see wire/errors.js); `clientId` names
 *   the refused chat message, when it was one (else absent).
 * - `registration-refused` `{ reason, message }`: the server refused the identity or what
 *   proves it (`accessDenied`, `emailClaimed`, `invalidLinkCode`, ...); no more retries.
 * - `token` `{ token }`: the session token of the last welcome, to keep; null to forget.
 * - `ice-servers` `{ iceServers }`: this connection's TURN entries, from each welcome
 *   (`[]` without TURN) and each renewal.
 */
export class Connection extends Emitter {
  /** The socket, reopened after drops. */
  #link;
  #phase = "closed";
  /** `{ email, name, latitude, longitude, inCall }`, kept for every registration. */
  #profile = null;
  /**
   * What proves the user when registering: the access code as typed at login, the session
   * token (of the last welcome, or remembered), and a link code from another device, sent
   * until a `welcome` gives a token.
   */
  #proof = { accessCode: "", token: null, linkCode: "" };
  /** The profile as it was sent in the last `add-user`, to catch changes made before `welcome`. */
  #registeredAs = "";
  #linkRequest = new Awaited();
  #signOutRequest = new Awaited();
  /** Proves the registered socket alive; an unanswered ping abandons it for a new one. */
  #heartbeat;

  /**
   * `url`: the backend's WebSocket URL; `timings`: the socket's (`reconnectBaseMs`,
   * `reconnectMaxMs`, `connectTimeoutMs`, see reconnecting-socket.js), and optionally the
   * heartbeat's (`heartbeatIntervalMs`, `heartbeatTimeoutMs`, see heartbeat.js). `openSocket`
   * (for tests) builds the socket from its callbacks instead of a `ReconnectingSocket`.
   */
  constructor({ url, timings, openSocket = (on) => new ReconnectingSocket({ url, timings, ...on }) }) {
    super();
    this.#heartbeat = new Heartbeat({
      send: () => this.#send(wire.encodePing()),
      onDead: () => {
        console.warn("meetmap: the server stopped answering; reconnecting");
        this.#link.abandon();
      },
      intervalMs: timings.heartbeatIntervalMs,
      timeoutMs: timings.heartbeatTimeoutMs,
    });
    this.#link = openSocket({
      protocol: wire.SUBPROTOCOL,
      onOpen: () => this.#register(),
      onMessage: (text) => this.#receive(wire.decode(text)),
      onClose: () => this.#dropped(),
      onState: (state, retryInMs) => this.emit("status", { state, retryInMs }),
    });
  }

  /** Where the connection is (see the class). */
  get phase() {
    return this.#phase;
  }

  /** Whether frames can be sent now: the socket is open and the user registered. */
  get registered() {
    return this.#phase === "registered";
  }

  /**
   * Connects as `{ email, name }` and stays connected until `stop()`; `accessCode`,
   * `token` (a remembered session token) and `linkCode` (from another device) are sent
   * when registering.
   */
  start({ email, name, accessCode = "", token = null, linkCode = "" }) {
    this.#profile = { email, name, latitude: null, longitude: null, inCall: false };
    this.#proof = { accessCode, token, linkCode };
    this.#phase = "connecting";
    this.#link.start();
  }

  /** Closes the connection for good (log out); pending frames are flushed first. */
  stop() {
    this.#end("closed", "logged out");
  }

  /**
   * Asks the server for a one-time code that signs another device in as this user.
   * Resolves with `{ code, expiresAt }` (milliseconds since the epoch, by the server's
   * clock); rejects with an `Error` whose `reason` says why (`busy`, `offline`, `timeout`,
   * or the server's: `noDevice`, `rateLimited`, ...).
   */
  linkDevice() {
    if (this.#linkRequest.waiting) return Promise.reject(failure("busy", "A code is already on its way."));
    if (!this.#send(wire.encodeLinkDevice())) {
      return Promise.reject(failure("offline", "Not connected to the server."));
    }
    return this.#linkRequest.wait(LINK_TIMEOUT_MS, () =>
      this.#linkRequest.reject(failure("timeout", "The server did not answer.")),
    );
  }

  /**
   * Signs this device out (its token stops working everywhere) and closes the connection
   * for good. Resolves with true once the server confirmed (`signed-out`), false when it
   * could not be asked or the socket closed first.
   */
  signOut() {
    const asked = !this.#signOutRequest.waiting && this.#send(wire.encodeSignOut());
    if (!asked) {
      this.stop();
      return Promise.resolve(false);
    }
    return this.#signOutRequest.wait(SIGN_OUT_TIMEOUT_MS, () => this.#finishSignOut(false));
  }

  /** Tries again at once when waiting between attempts (a click on the status). */
  retryNow() {
    this.#link.retryNow();
  }

  /**
   * Updates what the server knows of the user: `latitude`/`longitude` (together) and/or
   * `inCall`. Kept for the next registration, and sent now when registered.
   */
  updateProfile(changes) {
    if (!this.#profile) return;
    Object.assign(this.#profile, changes);
    this.#send(wire.encodeUpdateUser(this.#profile));
  }

  /**
   * Sends a chat message to the room, or to one user with `to`; with `clientId` the server
   * acks it (`chat-ack`) or names it in its refusal. False when offline.
   */
  sendChat(text, to, clientId) {
    return this.#send(wire.encodeChat(text, to, clientId));
  }

  /** Asks for chat history: `{ conversation, after, before, limit }` (see wire/chat-frames.js). */
  requestChatHistory(query) {
    return this.#send(wire.encodeChatHistory(query));
  }

  /** Asks for the user's conversations in the room (`chat-conversations` answers). */
  requestChatConversations() {
    return this.#send(wire.encodeChatConversations());
  }

  /** Replaces the text of one's own message `id`. */
  editChat(id, text) {
    return this.#send(wire.encodeChatEdit(id, text));
  }

  /** Deletes one's own message `id`. */
  deleteChat(id) {
    return this.#send(wire.encodeChatDelete(id));
  }

  /** Everything up to message `upTo` of `conversation` was seen; `receipt` tells its sender. */
  markChatRead(conversation, upTo, receipt) {
    return this.#send(wire.encodeChatRead(conversation, upTo, receipt));
  }

  /** "I am typing", to the room (`to` null) or to one user. */
  sendTyping(to) {
    return this.#send(wire.encodeTyping(to));
  }

  /**
   * Sends WebRTC signaling to `to` for call `callId`: `{ description }` (an offer or an
   * answer) or `{ candidate }`. False when offline.
   */
  sendSignal(to, callId, signal) {
    const frame = wire.encodeSignal(to, callId, signal);
    return frame !== null && this.#send(frame);
  }

  /**
   * Sends call control `kind` (`invite`, `ringing`, `accept`, `decline`, `busy`,
   * `hang-up`) to `to` about call `callId`, with the group's `members` (emails) and the
   * `media` offered where they apply. False when offline.
   */
  sendCall(kind, to, details = {}) {
    return this.#send(wire.encodeCall(kind, to, details));
  }

  /** A socket opened: registers on it, with the profile and what proves the user. */
  #register() {
    this.#phase = "registering";
    this.#registeredAs = wire.encodeUpdateUser(this.#profile);
    this.#link.send(wire.encodeAddUser(this.#profile, this.#proof));
  }

  /** The socket closed: what waited for an answer on it fails, and a new one follows. */
  #dropped() {
    this.#heartbeat.stop();
    if (this.#phase === "registering" || this.#phase === "registered") this.#phase = "connecting";
    this.#linkRequest.reject(failure("offline", "The connection to the server was lost."));
    if (this.#signOutRequest.waiting) this.#finishSignOut(false);
  }

  /** Ends the connection for good in `phase` (`closed` or `refused`). */
  #end(phase, reason) {
    this.#phase = phase;
    this.#heartbeat.stop();
    this.#link.stop(reason);
    this.#linkRequest.reject(failure("offline", "The connection to the server was lost."));
    this.#signOutRequest.resolve(false);
  }

  /** Ends a `signOut()`: says whether the server confirmed it, and stops for good. */
  #finishSignOut(confirmed) {
    this.#signOutRequest.resolve(confirmed);
    this.stop();
  }

  #send(frame) {
    return this.registered && this.#link.send(frame);
  }

  /** Welcomed: sends what changed in the profile since `add-user`. */
  #becomeRegistered() {
    this.#phase = "registered";
    this.#link.markOnline();
    this.#heartbeat.start();
    const update = wire.encodeUpdateUser(this.#profile);
    if (update !== this.#registeredAs) this.#send(update);
  }

  #receive(frame) {
    // Any frame proves the link alive, the `pong` the heartbeat asked for or another.
    this.#heartbeat.heard();
    const { event, ...detail } = frame;
    switch (event) {
      case "welcome":
        if (frame.token) {
          this.#proof.token = frame.token;
          // The device is proven by its token from now on; the code worked once.
          this.#proof.linkCode = "";
          this.emit("token", { token: frame.token });
        }
        this.#becomeRegistered();
        // Every welcome: a reconnect to a server without TURN leaves no stale entries.
        this.emit("ice-servers", { iceServers: frame.iceServers });
        this.emit("snapshot", { self: frame.self, users: frame.users, initial: true });
        break;
      case "user-list": {
        // Only when the server did not take the subprotocol: full lists, no welcome.
        const self = frame.users.find((user) => user.email === this.#profile?.email);
        if (!self) break;
        const initial = !this.registered;
        if (initial) this.#becomeRegistered();
        this.emit("snapshot", { self, users: frame.users, initial });
        break;
      }
      case "presence":
      case "chat":
      case "chat-ack":
      case "chat-history":
      case "chat-receipt":
      case "chat-read":
      case "chat-conversations":
      case "typing":
      case "signal":
      case "call":
      case "ice-servers":
        this.emit(event, detail);
        break;
      case "chats":
        // One frame for a commit's room messages: the app sees each as its own `chat`.
        for (const message of frame.messages) this.emit("chat", message);
        break;
      case "device-link":
        this.#linkRequest.resolve({ code: frame.code, expiresAt: frame.expiresAt });
        break;
      case "signed-out":
        // The token no longer works: forget it, here and for the other tabs.
        this.#forgetToken();
        this.#finishSignOut(true);
        break;
      case "error":
        this.#receiveError(frame);
        break;
      // `pong` said all it had to by coming; `invalid` and `unknown` frames (the seed's `offer`/`answer` broadcasts...) are not ours.
    }
  }

  #receiveError(error) {
    if (this.#phase === "registering" && this.#refusedRegistration(error)) return;
    if (error.clientId) {
      // A refused chat message of ours (rate-limited, too long...): the chat's to handle.
      this.emit("server-error", { reason: error.reason, message: error.message, field: error.field, clientId: error.clientId });
      return;
    }
    if (error.answersRequest && this.#signOutRequest.waiting) {
      this.#finishSignOut(false);
      return;
    }
    if (error.answersRequest && this.#linkRequest.reject(failure(error.reason, error.message))) return;
    this.emit("server-error", { reason: error.reason, message: error.message, field: error.field });
  }

  /** An error answering `add-user`: handled (true) when it is about the registration. */
  #refusedRegistration({ reason, message, refusesLogin }) {
    if (reason === "invalidToken" && this.#proof.token) {
      // A stale token (expired, signed out, or from before the server's secret changed):
      // forget it and register once more without it on the same socket. If the email is
      // someone's device's, that gives `emailClaimed` (or `emailInUse`) next.
      this.#forgetToken();
      this.#register();
      return true;
    }
    if (reason === "tooManyAttempts" && this.#link.everOnline) {
      // Someone else on this network guessed wrong: a signed-in user keeps trying to come
      // back (waiting costs no attempt) rather than being sent to the login form.
      this.#link.drop();
      return true;
    }
    if (!refusesLogin) return false;
    this.emit("registration-refused", { reason, message });
    this.#end("refused", "logged out");
    return true;
  }

  #forgetToken() {
    this.#proof.token = null;
    this.emit("token", { token: null });
  }
}

/** An `Error` with a machine-readable `reason`, for the promises of `Connection`. */
function failure(reason, message) {
  return Object.assign(new Error(message), { reason });
}
