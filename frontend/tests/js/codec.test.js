// The browser's half of the wire contract without a browser: wire/codec.js decodes every
// server frame of the golden fixtures (shared/tests/fixtures/wire.json, which the Rust tests
// pin too) to its event, and writes every frame the browser sends exactly as pinned.

import assert from "node:assert/strict";
import { test } from "node:test";
import * as wire from "../../public/js/wire/codec.js";
import { errorCodes, fixtures } from "./fixtures.js";

const SDP = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
const ALICE = { email: "alice@example.com", name: "Alice", latitude: 48.85, longitude: 2.35, inCall: false };
const BOB = { email: "bob@example.com", name: "Bob", latitude: null, longitude: null, inCall: false };
/** The TURN entry of the fixtures `welcome-turn` and `ice-servers`. */
const TURN = {
  urls: ["turn:turn.example.com:3478?transport=udp", "turns:turn.example.com:443?transport=tcp"],
  username: "1767225600:k3Xw9QpL2mZr",
  credential: "IAvgzP0Q+G1F37ia/T4qq1zFleg=",
};
const nothing = { joined: [], moved: [], left: [] };
const chat = (text, to) => ({
  event: "chat", id: 7, from: ALICE.email, name: "Alice", text, to, sentAt: 1700000000123,
  clientId: null, editedAt: null, deleted: false, delivered: false, read: false,
});
const call = (kind, from, callId = "c-42", more = {}) => ({
  event: "call",
  kind,
  from,
  callId,
  members: [],
  media: null,
  resync: false,
  ...more,
});
const error = (reason, message, more = {}) => ({
  event: "error", reason, message, field: null, clientId: null, refusesLogin: false, answersRequest: false, ...more,
});
const signal = (from, more) => ({ event: "signal", from, callId: null, ...more });

/** A stored message as the app holds it (`readMessage`): every field, the absent ones null or false. */
const stored = (fields) => ({
  to: null, clientId: null, editedAt: null, deleted: false, delivered: false, read: false, ...fields,
});
const LUNCH = { id: 1234, from: ALICE.email, name: "Alice", sentAt: 1764060000000 };
const JUST_YOU = { id: 1235, from: ALICE.email, name: "Alice", text: "Just you", to: BOB.email, sentAt: 1764060001000, clientId: "k3J9-aa02" };
const summary = (fields) => ({ name: null, lastId: 0, lastAt: 0, unread: 0, readUpTo: 0, peerReadUpTo: 0, peerDeliveredUpTo: 0, ...fields });

/** What each server fixture of durable chat decodes to. */
const CHAT_DECODED = {
  "chat-room-stored": { event: "chat", ...stored({ ...LUNCH, text: "Lunch?", clientId: "k3J9-aa01" }) },
  "chats-room-stored": {
    event: "chats",
    messages: [
      stored({ ...LUNCH, text: "Lunch?", clientId: "k3J9-aa01" }),
      stored({ id: 1236, from: BOB.email, name: "Bob", text: "Yes!", sentAt: 1764060002000, clientId: "p0Q7-bb01" }),
    ],
  },
  "chat-direct-stored": { event: "chat", ...stored(JUST_YOU) },
  "chat-edited": { event: "chat", ...stored({ ...LUNCH, text: "Lunch at 1?", editedAt: 1764060060000 }) },
  "chat-deleted": { event: "chat", ...stored({ ...LUNCH, text: "", deleted: true }) },
  "chat-ack": { event: "chat-ack", clientId: "k3J9-aa01", id: 1234, sentAt: 1764060000000, duplicate: false },
  "chat-ack-duplicate": { event: "chat-ack", clientId: "k3J9-aa01", id: 1234, sentAt: 1764060000000, duplicate: true },
  "chat-history-room-page": {
    event: "chat-history",
    conversation: "room",
    messages: [
      stored({ id: 1233, from: BOB.email, name: "Bob", text: "Anyone hungry?", sentAt: 1764059990000 }),
      stored({ ...LUNCH, text: "Lunch?", clientId: "k3J9-aa01" }),
    ],
    more: true,
    cursor: 1240,
  },
  "chat-history-after-all": {
    event: "chat-history",
    conversation: null,
    messages: [stored({ ...JUST_YOU, delivered: true, read: true }), stored({ ...LUNCH, text: "", deleted: true })],
    more: false,
    cursor: 1241,
  },
  "chat-history-empty": { event: "chat-history", conversation: BOB.email, messages: [], more: false, cursor: 0 },
  "chat-receipt-delivered": { event: "chat-receipt", conversation: BOB.email, state: "delivered", upTo: 1235 },
  "chat-receipt-read": { event: "chat-receipt", conversation: BOB.email, state: "read", upTo: 1235 },
  "chat-read-moved": { event: "chat-read", conversation: BOB.email, upTo: 1235 },
  "typing-direct-relayed": { event: "typing", from: ALICE.email, name: "Alice", to: BOB.email },
  "typing-room-relayed": { event: "typing", from: ALICE.email, name: "Alice", to: null },
  "chat-conversations": {
    event: "chat-conversations",
    conversations: [
      summary({ conversation: "room", lastId: 1240, lastAt: 1764060100000, unread: 3, readUpTo: 1237 }),
      summary({
        conversation: BOB.email, name: "Bob", lastId: 1235, lastAt: 1764060001000, readUpTo: 1235,
        peerReadUpTo: 1235, peerDeliveredUpTo: 1235,
      }),
      summary({ conversation: "carol@example.com", name: "Carol" }),
    ],
  },
  "error-rate-limited-chat": error("rateLimited", "too many chat messages: slow down", {
    clientId: "k3J9-aa01", answersRequest: true,
  }),
  "error-unknown-conversation": error("unknownConversation", 'conversation must be "room" or an email of the room', {
    field: "conversation",
  }),
};

/** What each server fixture decodes to. */
const DECODED = {
  "update-users": { event: "user-list", users: [ALICE, BOB] },
  "update-users-empty": { event: "user-list", users: [] },
  "update-users-alice": { event: "user-list", users: [ALICE] },
  welcome: { event: "welcome", self: ALICE, users: [ALICE, BOB], token: "v1.YWxpY2U.bWFj", iceServers: [] },
  "welcome-turn": { event: "welcome", self: ALICE, users: [ALICE], token: "v1.YWxpY2U.bWFj", iceServers: [TURN] },
  "ice-servers": { event: "ice-servers", iceServers: [TURN] },
  presence: {
    event: "presence",
    joined: [BOB],
    moved: [{ email: ALICE.email, latitude: 48.86, longitude: 2.36 }],
    left: ["carol@example.com"],
  },
  "presence-moved-only": { event: "presence", ...nothing, moved: [{ email: ALICE.email, latitude: -33.5, longitude: 151 }] },
  "presence-left-only": { event: "presence", ...nothing, left: ["bob@example.com"] },
  "presence-empty": { event: "presence", ...nothing },
  "presence-joined-in-call": { event: "presence", ...nothing, joined: [{ ...ALICE, inCall: true }] },
  "presence-integer-move": { event: "presence", ...nothing, moved: [{ email: "a@b", latitude: 1, longitude: -2 }] },
  "chat-to-room-delivered": chat("salut 👋", null),
  "chat-direct-delivered": chat("hi Bob", "bob@example.com"),
  "chat-escaped-delivered": chat('a "quote" \\ <b>é</b>\n\ttab', null),
  "error-invalid-json": error("invalidJson", "a message must be a JSON object"),
  "error-target-offline": error("targetOffline", "bob@example.com is not online"),
  "error-payload-too-large": error(
    "payloadTooLarge",
    "`offer` without `to` goes to the whole room: at most 16384 bytes, this one has 20000",
  ),
  // A refused name refuses the identity: back to the login form.
  "error-invalid-field": error("invalidField", "name must be 1 to 64 characters", { field: "name", refusesLogin: true }),
  // The seed's broadcasts: not for this app.
  "offer-relayed": { event: "unknown", type: "offer" },
  "offer-relayed-from-stamped": { event: "unknown", type: "offer" },
  "answer-relayed": { event: "unknown", type: "answer" },
  "sdp-offer-relayed": signal(ALICE.email, { description: { type: "offer", sdp: "v=0..." } }),
  "sdp-offer-relayed-untargeted": signal(ALICE.email, { description: { type: "offer", sdp: "v=0..." } }),
  "sdp-answer-relayed": signal(BOB.email, { description: { type: "answer", sdp: "v=0..." } }),
  "ice-candidate-relayed": signal(ALICE.email, {
    candidate: { candidate: "candidate:1 1 UDP 2122260223 192.168.1.2 54321 typ host", sdpMLineIndex: 0, sdpMid: "0" },
  }),
  // The end of candidates: nothing to hand to a peer connection.
  "ice-candidate-relayed-end": { event: "invalid", type: "new-ice-candidate", problem: "no candidate" },
  "call-invite-relayed": call("invite", ALICE.email),
  "call-invite-relayed-group": call("invite", ALICE.email, "c-42", {
    members: [ALICE.email, "carol@example.com"],
    media: { audio: true, video: true },
  }),
  "call-ringing-relayed": call("ringing", BOB.email),
  "call-accept-relayed": call("accept", BOB.email),
  "call-accept-resync-relayed": call("accept", BOB.email, "c-42", { members: [BOB.email, ALICE.email], resync: true }),
  "call-decline-relayed": call("decline", BOB.email),
  "call-busy-relayed": call("busy", BOB.email, null),
  "hang-up-relayed": call("hang-up", ALICE.email),
  ...CHAT_DECODED,
  "device-link": { event: "device-link", code: "K7QF-9MZT", expiresAt: 1764664800000 },
  "signed-out": { event: "signed-out", devices: 1, others: false },
  "signed-out-others": { event: "signed-out", devices: 2, others: true },
  pong: { event: "pong" },
};

const unplaced = (who) => ({ email: who.email, name: who.name, latitude: null, longitude: null, inCall: false });
/** An RTCSessionDescription or RTCIceCandidate: what `toJSON()` gives is what is sent. */
const rtc = (json) => ({ ...json, toJSON: () => json, ignored: "not sent" });

/** How the browser writes each frame it sends (`browser: true` fixtures). */
const ENCODED = {
  "chat-to-room": () => wire.encodeChat("salut tout le monde 👋"),
  "call-ringing": () => wire.encodeCall("ringing", ALICE.email, { callId: "c-42" }),
  "call-accept": () => wire.encodeCall("accept", ALICE.email, { callId: "c-42" }),
  "hang-up": () => wire.encodeCall("hang-up", BOB.email, { callId: "c-42" }),
  "link-device": () => wire.encodeLinkDevice(),
  "sign-out": () => wire.encodeSignOut(),
  ping: () => wire.encodePing(),
  "browser-add-user": () => wire.encodeAddUser(unplaced(ALICE)),
  "browser-add-user-placed-with-token": () =>
    wire.encodeAddUser({ ...ALICE }, { accessCode: "", token: "v1.YWxpY2U.bWFj", linkCode: "" }),
  "browser-add-user-with-codes": () =>
    wire.encodeAddUser(unplaced(BOB), { accessCode: "open sesame", token: null, linkCode: "K7QF-9MZT" }),
  "browser-update-user-moved-in-call": () =>
    wire.encodeUpdateUser({ ...ALICE, latitude: 48.86, longitude: 2.36, inCall: true }),
  "browser-chat-direct": () => wire.encodeChat("hi Bob", BOB.email),
  "browser-sdp-offer": () =>
    wire.encodeSignal(BOB.email, "c-42", { description: rtc({ type: "offer", sdp: SDP }) }),
  "browser-sdp-answer": () =>
    wire.encodeSignal(ALICE.email, "c-42", { description: { type: "answer", sdp: SDP } }),
  "browser-ice-candidate": () =>
    wire.encodeSignal(BOB.email, "c-42", {
      candidate: rtc({
        candidate: "candidate:1 1 UDP 2122260223 192.168.1.2 54321 typ host",
        sdpMid: "0",
        sdpMLineIndex: 0,
        usernameFragment: "f00d",
      }),
    }),
  "browser-call-invite": () =>
    wire.encodeCall("invite", BOB.email, { callId: "c-42", members: [ALICE.email], media: { audio: true, video: true } }),
  "browser-call-accept-group": () =>
    wire.encodeCall("accept", ALICE.email, { callId: "c-42", members: [BOB.email, ALICE.email, "carol@example.com"] }),
  "browser-call-accept-resync": () =>
    wire.encodeCall("accept", ALICE.email, { callId: "c-42", members: [BOB.email, ALICE.email], resync: true }),
  "browser-call-decline": () => wire.encodeCall("decline", ALICE.email, { callId: "c-42" }),
  "browser-call-busy": () => wire.encodeCall("busy", ALICE.email, { callId: "c-42" }),
  "browser-chat-room-with-client-id": () => wire.encodeChat("Lunch?", null, "k3J9-aa01"),
  "browser-chat-direct-with-client-id": () => wire.encodeChat("Just you", BOB.email, "k3J9-aa02"),
  "browser-chat-history-before": () => wire.encodeChatHistory({ conversation: "room", before: 1234, limit: 50 }),
  "browser-chat-history-after": () => wire.encodeChatHistory({ after: 1180 }),
  "browser-chat-history-direct-latest": () => wire.encodeChatHistory({ conversation: BOB.email }),
  "browser-chat-edit": () => wire.encodeChatEdit(1234, "Lunch at 1?"),
  "browser-chat-delete": () => wire.encodeChatDelete(1234),
  "browser-chat-read": () => wire.encodeChatRead(BOB.email, 1240, true),
  "browser-chat-read-no-receipt": () => wire.encodeChatRead(BOB.email, 1240, false),
  "browser-typing-direct": () => wire.encodeTyping(BOB.email),
  "browser-typing-room": () => wire.encodeTyping(null),
  "browser-chat-conversations": () => wire.encodeChatConversations(),
};

const server = fixtures.filter((f) => f.direction === "server");
const browser = fixtures.filter((f) => f.direction === "client" && f.browser);

test("every server fixture decodes to its event", () => {
  for (const { name, json } of server) {
    assert.ok(Object.hasOwn(DECODED, name), `no expected event for the server fixture ${name}`);
    assert.deepEqual(wire.decode(json), DECODED[name], name);
  }
  assert.deepEqual(Object.keys(DECODED).sort(), server.map((f) => f.name).sort(), "events without a fixture");
});

test("the codec writes every frame the browser sends exactly as pinned", () => {
  for (const { name, json } of browser) {
    assert.ok(Object.hasOwn(ENCODED, name), `no encoding for the browser fixture ${name}`);
    const text = ENCODED[name]();
    assert.deepEqual(JSON.parse(text), JSON.parse(json), name);
    assert.equal(text, json, `${name}: same fields, not the same text (key order?)`);
  }
  assert.deepEqual(Object.keys(ENCODED).sort(), browser.map((f) => f.name).sort(), "encodings without a fixture");
  assert.ok(browser.length >= 18, `${browser.length} browser fixtures`);
});

test("the codec knows every error code the server sends, each by its own reason", () => {
  assert.deepEqual([...wire.ERROR_CODES].sort(), [...errorCodes].sort());
  const reasons = errorCodes.map((code) => wire.decode(JSON.stringify({ type: "error", code, message: "m" })).reason);
  assert.ok(!reasons.includes("unknown"), reasons.join(" "));
  assert.equal(new Set(reasons).size, reasons.length, "two codes share a reason");
  for (const fixture of fixtures.filter((f) => f.code)) {
    assert.ok(wire.ERROR_CODES.includes(fixture.code), `${fixture.name}: ${fixture.code}`);
  }
  const newer = wire.decode('{"type":"error","code":"from-a-newer-server","message":"m"}');
  assert.equal(newer.reason, "unknown");
  assert.equal(newer.refusesLogin, false);
});

test("login refusals and request answers are told apart", () => {
  const read = (code, field) => wire.decode(JSON.stringify({ type: "error", code, message: "m", field }));
  for (const code of ["email-mismatch", "access-denied", "email-in-use", "invalid-token", "email-claimed",
    "email-confusable", "invalid-link-code", "too-many-attempts"]) {
    assert.equal(read(code).refusesLogin, true, code);
    assert.equal(read(code).answersRequest, false, code);
  }
  for (const code of ["no-device", "not-registered", "rate-limited", "internal"]) {
    assert.equal(read(code).answersRequest, true, code);
    assert.equal(read(code).refusesLogin, false, code);
  }
  for (const field of ["email", "name", "room", "accessCode", "token", "linkCode"]) {
    assert.equal(read("invalid-field", field).refusesLogin, true, field);
  }
  assert.equal(read("invalid-field", "text").refusesLogin, false);
  assert.equal(read("target-offline").refusesLogin, false);
});

test("text that is not a typed JSON object is an invalid event, an unknown type an unknown one", () => {
  for (const text of ["not json", "", "{", "[]", "null", "42", '"x"', '{"type":5}', "{}"]) {
    assert.equal(wire.decode(text).event, "invalid", text);
  }
  for (const type of ["users-list", "offer", "answer", "constructor", "toString", "__proto__", "hasOwnProperty"]) {
    assert.deepEqual(wire.decode(JSON.stringify({ type })), { event: "unknown", type }, type);
  }
});

test("unusable parts of a frame are left out, never passed on", () => {
  const moved = '[["a@b",1],[null,1,2],["a@b","1",2],{"email":"a@b"},["a@b",1,2]]';
  const delta = wire.decode(`{"type":"presence","moved":${moved},"left":["x@y",5,null],"joined":"no"}`);
  assert.deepEqual(delta, { event: "presence", joined: [], moved: [{ email: "a@b", latitude: 1, longitude: 2 }], left: ["x@y"] });
  assert.equal(wire.decode('{"type":"sdp-offer","from":"a@b","offer":{"type":"offer"}}').event, "invalid");
  assert.equal(wire.decode('{"type":"call-invite","callId":"c-1"}').event, "invalid");
  assert.equal(wire.decode('{"type":"device-link","code":5}').event, "invalid");
  const half = wire.decode('{"type":"welcome","you":{"email":"a@b","latitude":1},"users":{}}');
  assert.deepEqual(half, {
    event: "welcome",
    self: { email: "a@b", name: "a@b", latitude: null, longitude: null, inCall: false },
    users: [],
    token: null,
    iceServers: [],
  });
  const odd = wire.decode(JSON.stringify({
    type: "ice-servers",
    iceServers: [{ urls: "turn:a" }, { urls: [5], username: "u", credential: "c" }, { ...TURN, urls: [TURN.urls[0], 7] }, 3],
  }));
  assert.deepEqual(odd, { event: "ice-servers", iceServers: [{ ...TURN, urls: [TURN.urls[0]] }] });
});

test("chat frames the app cannot use are invalid events, never half-read", () => {
  for (const text of [
    '{"type":"chat-ack","id":5}',
    '{"type":"chat-ack","clientId":"k","id":"5"}',
    '{"type":"chat-receipt","conversation":"b@x","state":"seen","upTo":5}',
    '{"type":"chat-receipt","conversation":"b@x","state":"read"}',
    '{"type":"chat-read","upTo":5}',
    '{"type":"typing","to":"b@x"}',
  ]) {
    assert.equal(wire.decode(text).event, "invalid", text);
  }
  const page = wire.decode('{"type":"chat-history","messages":[{"id":1,"text":"a"},{"text":"no id"},null,5],"cursor":"x"}');
  assert.deepEqual(page.messages.map((m) => m.id), [1]);
  assert.equal(page.cursor, null);
  assert.equal(page.more, false);
  const list = wire.decode('{"type":"chat-conversations","conversations":[{"conversation":"room","unread":-1.5},{"name":"x"},7]}');
  assert.deepEqual(list.conversations.map((c) => [c.conversation, c.unread]), [["room", 0]]);
});

test("encoders refuse what is not a frame", () => {
  assert.equal(wire.encodeSignal(BOB.email, "c-42", {}), null);
  assert.equal(wire.encodeSignal(BOB.email, "c-42", { description: { type: "rollback", sdp: "" } }), null);
  assert.throws(() => wire.encodeCall("ring", BOB.email, { callId: "c-42" }), /unknown call control/);
  assert.throws(() => wire.encodeCall("toString", BOB.email, { callId: "c-42" }), /unknown call control/);
});

test("the same profile is the same update-user text, a changed one another", () => {
  const profile = { ...ALICE };
  assert.equal(wire.encodeUpdateUser(profile), wire.encodeUpdateUser({ ...ALICE }));
  assert.notEqual(wire.encodeUpdateUser(profile), wire.encodeUpdateUser({ ...ALICE, inCall: true }));
  assert.equal(JSON.parse(wire.encodeUpdateUser({ ...ALICE, latitude: null })).latitude, undefined, "half a position is none");
});
