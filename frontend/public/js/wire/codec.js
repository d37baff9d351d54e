// Wire codec: meetmap's frames (docs/PROTOCOL.md) to plain events and back; with its two
// parts (errors.js, chat-frames.js) the only JavaScript that reads or writes their JSON.
// Pure (no DOM, no socket), so `node --test` checks it against the golden frames the Rust
// tests pin (shared/tests/fixtures/wire.json).

import { CHAT_READERS } from "./chat-frames.js";
import { ERROR_CODES, readError } from "./errors.js";

export { ERROR_CODES };
export {
  encodeChat,
  encodeChatConversations,
  encodeChatDelete,
  encodeChatEdit,
  encodeChatHistory,
  encodeChatRead,
  encodeTyping,
} from "./chat-frames.js";

/** The subprotocol that gets a `welcome` and `presence` deltas instead of full lists. */
export const SUBPROTOCOL = "meetmap.v1";

/** Call-control kinds the app uses, and their message types. */
const CALL_TYPES = Object.freeze({
  invite: "call-invite",
  ringing: "call-ringing",
  accept: "call-accept",
  decline: "call-decline",
  busy: "call-busy",
  "hang-up": "hang-up",
});
const CALL_KINDS = Object.fromEntries(Object.entries(CALL_TYPES).map(([k, t]) => [t, k]));

/**
 * One server frame as an event, `{ event, ... }`:
 * - `welcome` `{ self, users, token, iceServers }` (`token` null when there is none;
 *   `iceServers` this connection's TURN entries, `[]` when the server has no TURN);
 * - `ice-servers` `{ iceServers }`: renewed TURN entries, replacing the welcome's;
 * - `user-list` `{ users }`: the full list, for a connection without the subprotocol;
 * - `presence` `{ joined: [user], moved: [{ email, latitude, longitude }], left: [email] }`;
 * - `chat` (a message, see `readMessage` in chat-frames.js), `chats` `{ messages }` (a
 *   commit's room messages, each as a `chat` reads), `chat-ack`
 *   `{ clientId, id, sentAt, duplicate }`, `chat-history` `{ conversation, messages, more,
 *   cursor }`, `chat-receipt` `{ conversation, state, upTo }`, `chat-read`
 *   `{ conversation, upTo }`, `typing` `{ from, name, to }`, `chat-conversations`
 *   `{ conversations }`;
 * - `signal` `{ from, callId, description }` or `{ from, callId, candidate }`;
 * - `call` `{ kind, from, callId, members, media, resync }`, `kind` a key of `CALL_TYPES`;
 * - `device-link` `{ code, expiresAt }`; `signed-out` `{ devices, others }`;
 * - `pong` `{}`: the answer to the heartbeat (`encodePing`);
 * - `error` (see errors.js: `{ reason, message, field, refusesLogin, answersRequest }`);
 * - `invalid` `{ type, problem }`: not JSON, not a typed object, or a frame the app cannot
 *   use (a signal without its description); `unknown` `{ type }`: a type the app does not
 *   read (the seed's `offer`/`answer` broadcasts, a newer server's).
 * A user is `{ email, name, latitude, longitude, inCall }`, with `latitude`/`longitude`
 * null when the user shares no position.
 */
export function decode(text) {
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    return invalid(null, "not JSON");
  }
  if (!message || typeof message !== "object" || typeof message.type !== "string") {
    return invalid(null, "not an object with a string type");
  }
  if (Object.hasOwn(READERS, message.type)) return READERS[message.type](message);
  if (Object.hasOwn(CALL_KINDS, message.type)) return readCall(message);
  return { event: "unknown", type: message.type };
}

const READERS = {
  welcome: (m) => ({
    event: "welcome",
    self: toUser(m.you),
    users: list(m.users).map(toUser),
    token: typeof m.token === "string" && m.token ? m.token : null,
    iceServers: readIceServers(m.iceServers),
  }),
  "ice-servers": (m) => ({ event: "ice-servers", iceServers: readIceServers(m.iceServers) }),
  "update-users": (m) => ({ event: "user-list", users: list(m.users).map(toUser) }),
  presence: (m) => ({
    event: "presence",
    joined: list(m.joined).map(toUser),
    // Each move is `[email, latitude, longitude]`: the compact form of the delta.
    moved: list(m.moved)
      .filter((move) => Array.isArray(move) && typeof move[0] === "string")
      .map(([email, latitude, longitude]) => ({
        email,
        latitude: finite(latitude),
        longitude: finite(longitude),
      }))
      .filter((move) => move.latitude !== null && move.longitude !== null),
    left: list(m.left).filter((email) => typeof email === "string"),
  }),
  ...CHAT_READERS,
  "sdp-offer": (m) => readDescription(m, m.offer),
  "sdp-answer": (m) => readDescription(m, m.answer),
  "new-ice-candidate": (m) => {
    if (!m.candidate || typeof m.candidate !== "object") return invalid(m.type, "no candidate");
    return { event: "signal", from: String(m.from ?? ""), callId: callIdOf(m), candidate: m.candidate };
  },
  "device-link": (m) => {
    if (typeof m.code !== "string") return invalid(m.type, "no code");
    return { event: "device-link", code: m.code, expiresAt: Number(m.expiresAt) || 0 };
  },
  "signed-out": (m) => ({ event: "signed-out", devices: Number(m.devices) || 0, others: m.others === true }),
  pong: () => ({ event: "pong" }),
  error: (m) => readError(m),
};

function readDescription(m, description) {
  if (!description || typeof description.sdp !== "string") return invalid(m.type, "no sdp");
  return {
    event: "signal",
    from: String(m.from ?? ""),
    callId: callIdOf(m),
    description: { type: description.type, sdp: description.sdp },
  };
}

function readCall(m) {
  if (typeof m.from !== "string") return invalid(m.type, "no sender");
  return {
    event: "call",
    kind: CALL_KINDS[m.type],
    from: m.from,
    callId: callIdOf(m),
    members: list(m.members).filter((email) => typeof email === "string"),
    media: m.media && typeof m.media === "object" ? m.media : null,
    resync: m.resync === true,
  };
}

/** The TURN entries RTCPeerConnection can take: `urls` strings, a username and a credential. */
function readIceServers(servers) {
  return list(servers)
    .filter((s) => typeof s?.username === "string" && typeof s.credential === "string")
    .map((s) => ({ urls: list(s.urls).filter((url) => typeof url === "string"), username: s.username, credential: s.credential }))
    .filter((s) => s.urls.length > 0);
}

function invalid(type, problem) {
  return { event: "invalid", type, problem };
}

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

function list(value) {
  return Array.isArray(value) ? value : [];
}

function callIdOf(m) {
  return typeof m.callId === "string" ? m.callId : null;
}

/**
 * The registering frame: the profile (`{ email, name, latitude, longitude, inCall }`), then
 * the access code, session token and link code that are set.
 */
export function encodeAddUser(profile, { accessCode = "", token = null, linkCode = "" } = {}) {
  const frame = { type: "add-user", ...profileFields(profile) };
  if (accessCode) frame.accessCode = accessCode;
  if (token) frame.token = token;
  if (linkCode) frame.linkCode = linkCode;
  return JSON.stringify(frame);
}

/** The profile as an `update-user`: the same text for the same profile. */
export function encodeUpdateUser(profile) {
  return JSON.stringify({ type: "update-user", ...profileFields(profile) });
}

function profileFields({ email, name, latitude, longitude, inCall }) {
  const fields = { email, name, isConnected: true, inCall: Boolean(inCall) };
  if (typeof latitude === "number" && typeof longitude === "number") {
    fields.latitude = latitude;
    fields.longitude = longitude;
  }
  return fields;
}

/**
 * WebRTC signaling to `to` for call `callId`: `{ description }` (an offer or an answer,
 * an RTCSessionDescription or a plain object) or `{ candidate }`. Null for anything else.
 */
export function encodeSignal(to, callId, { description, candidate }) {
  if (description?.type === "offer") {
    return JSON.stringify({ type: "sdp-offer", to, callId, offer: plain(description) });
  }
  if (description?.type === "answer") {
    return JSON.stringify({ type: "sdp-answer", to, callId, answer: plain(description) });
  }
  if (candidate) {
    return JSON.stringify({ type: "new-ice-candidate", to, callId, candidate: plain(candidate) });
  }
  return null;
}

/**
 * Call control `kind` (a key of `CALL_TYPES`) to `to` about call `callId`, with the group's
 * `members` (emails) and the `media` offered where they apply; `resync` marks an `accept`
 * that says "still in this call with you" after the server connection came back.
 */
export function encodeCall(kind, to, { callId, members, media, resync } = {}) {
  const type = Object.hasOwn(CALL_TYPES, kind) ? CALL_TYPES[kind] : null;
  if (!type) throw new Error(`unknown call control ${kind}`);
  const frame = { type, to, callId };
  if (members) frame.members = members;
  if (media) frame.media = media;
  if (resync) frame.resync = true;
  return JSON.stringify(frame);
}

/** Asks for a one-time code that signs another device in (`device-link` answers). */
export function encodeLinkDevice() {
  return JSON.stringify({ type: "link-device" });
}

/** The heartbeat: the server answers `pong` at once, proving the link alive both ways. */
export function encodePing() {
  return JSON.stringify({ type: "ping" });
}

/** Signs this device out (`signed-out` answers). */
export function encodeSignOut() {
  return JSON.stringify({ type: "sign-out" });
}

/** A JSON-ready copy of an RTCSessionDescription or RTCIceCandidate (or a plain object). */
function plain(value) {
  return typeof value?.toJSON === "function" ? value.toJSON() : { ...value };
}
