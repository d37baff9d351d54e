// The connection's registration state machine without a browser: a fake socket in place of
// the WebSocket, frames from the golden fixtures, and the phase checked at every step.

import assert from "node:assert/strict";
import { afterEach, beforeEach, mock, test } from "node:test";
import { Connection } from "../../public/js/connection/connection.js";
import { json } from "./fixtures.js";

const ALICE = { email: "alice@example.com", name: "Alice" };
const error = (code, field) => JSON.stringify({ type: "error", code, message: `the server says ${code}`, field });

/** A connection on a fake socket: `open()`, `receive(text)`, `close()` drive it; `sent` are the frames. */
function connect(start = {}) {
  let on;
  const socket = {
    sent: [],
    open: false,
    everOnline: false,
    online: false,
    stopped: null,
    drops: 0,
    start() {},
    stop(reason) {
      this.stopped = reason;
      this.open = false;
    },
    drop() {
      this.drops += 1;
    },
    abandoned: 0,
    abandon() {
      this.abandoned += 1;
      this.open = false;
      on.onClose();
    },
    retryNow() {},
    send(text) {
      if (!this.open) return false;
      this.sent.push(JSON.parse(text));
      return true;
    },
    markOnline() {
      this.online = true;
      this.everOnline = true;
    },
  };
  const connection = new Connection({
    url: "ws://test/",
    timings: { reconnectBaseMs: 1, reconnectMaxMs: 2, connectTimeoutMs: 10 },
    openSocket: (callbacks) => {
      on = callbacks;
      return socket;
    },
  });
  const events = [];
  for (const name of ["snapshot", "token", "server-error", "registration-refused"]) {
    connection.on(name, (detail) => events.push([name, detail]));
  }
  connection.start({ ...ALICE, ...start });
  return {
    connection,
    socket,
    events,
    open() {
      socket.open = true;
      on.onOpen();
    },
    receive: (text) => on.onMessage(text),
    close() {
      socket.open = false;
      socket.online = false;
      on.onClose();
    },
    /** The frames sent since the last call, by type. */
    takeSent() {
      return socket.sent.splice(0).map((frame) => frame.type);
    },
  };
}

beforeEach(() => mock.timers.enable({ apis: ["setTimeout", "setInterval"] }));
afterEach(() => mock.timers.reset());

test("registers on every socket, with the token of the last welcome instead of the link code", () => {
  const c = connect({ linkCode: "K7QF-9MZT", accessCode: "open sesame" });
  assert.equal(c.connection.phase, "connecting");
  c.open();
  assert.equal(c.connection.phase, "registering");
  const [addUser] = c.socket.sent.splice(0);
  assert.deepEqual(addUser, {
    type: "add-user", ...ALICE, isConnected: true, inCall: false, accessCode: "open sesame", linkCode: "K7QF-9MZT",
  });
  assert.equal(c.connection.sendChat("too early"), false, "nothing but add-user before the welcome");
  c.receive(json("welcome"));
  assert.equal(c.connection.phase, "registered");
  assert.equal(c.socket.online, true);
  assert.deepEqual(c.events.map(([name]) => name), ["token", "snapshot"]);
  assert.equal(c.events[1][1].initial, true);
  assert.deepEqual(c.takeSent(), [], "nothing changed since add-user");

  c.close();
  assert.equal(c.connection.phase, "connecting");
  assert.equal(c.connection.sendChat("offline"), false);
  c.open();
  const [again] = c.socket.sent.splice(0);
  assert.equal(again.token, "v1.YWxpY2U.bWFj");
  assert.equal(again.linkCode, undefined, "a link code works once");
  assert.equal(again.accessCode, "open sesame");
});

test("a profile changed before the welcome is sent after it", () => {
  const c = connect();
  c.open();
  c.takeSent();
  c.connection.updateProfile({ latitude: 48.85, longitude: 2.35 });
  assert.deepEqual(c.takeSent(), [], "not registered yet");
  c.receive(json("welcome"));
  assert.deepEqual(c.socket.sent.splice(0), [
    { type: "update-user", ...ALICE, isConnected: true, inCall: false, latitude: 48.85, longitude: 2.35 },
  ]);
});

test("a stale token is forgotten and the registration tried once more without it", () => {
  const c = connect({ token: "v1.old.token" });
  c.open();
  assert.equal(c.socket.sent.splice(0)[0].token, "v1.old.token");
  c.receive(error("invalid-token"));
  assert.equal(c.connection.phase, "registering");
  assert.deepEqual(c.events, [["token", { token: null }]]);
  const [retry] = c.socket.sent.splice(0);
  assert.equal(retry.type, "add-user");
  assert.equal(retry.token, undefined);
  c.receive(error("invalid-token"));
  assert.equal(c.connection.phase, "refused", "without a token, the refusal is final");
});

test("a refused identity ends the connection for good", () => {
  for (const [code, field, reason] of [
    ["email-claimed", undefined, "emailClaimed"],
    ["access-denied", undefined, "accessDenied"],
    ["invalid-field", "name", "invalidField"],
  ]) {
    const c = connect();
    c.open();
    c.receive(error(code, field));
    assert.equal(c.connection.phase, "refused", code);
    assert.equal(c.socket.stopped, "logged out");
    assert.deepEqual(c.events, [["registration-refused", { reason, message: `the server says ${code}` }]]);
  }
  const c = connect();
  c.open();
  c.receive(error("invalid-field", "text"));
  assert.equal(c.connection.phase, "registering", "not about the identity");
  assert.equal(c.events[0][0], "server-error");
});

test("too many attempts sends a new user to the login form, a signed-in one back to retrying", () => {
  const fresh = connect();
  fresh.open();
  fresh.receive(error("too-many-attempts"));
  assert.equal(fresh.connection.phase, "refused");

  const back = connect();
  back.open();
  back.receive(json("welcome"));
  back.close();
  back.open();
  back.receive(error("too-many-attempts"));
  assert.equal(back.socket.drops, 1);
  assert.equal(back.connection.phase, "registering", "the socket's close comes next");
  assert.ok(!back.events.some(([name]) => name === "registration-refused"));
});

test("refused frames reach the app by reason, never by code", () => {
  const c = connect();
  c.open();
  c.receive(json("welcome"));
  c.events.length = 0;
  c.receive(json("error-target-offline"));
  assert.deepEqual(c.events, [
    ["server-error", { reason: "targetOffline", message: "bob@example.com is not online", field: null }],
  ]);
  assert.equal(c.connection.phase, "registered");
});

test("linkDevice resolves with the code, or fails by reason", async () => {
  const c = connect();
  await assert.rejects(c.connection.linkDevice(), { reason: "offline" });
  c.open();
  c.receive(json("welcome"));
  c.takeSent();
  const asked = c.connection.linkDevice();
  assert.deepEqual(c.takeSent(), ["link-device"]);
  await assert.rejects(c.connection.linkDevice(), { reason: "busy" });
  c.receive(json("device-link"));
  assert.deepEqual(await asked, { code: "K7QF-9MZT", expiresAt: 1764664800000 });

  const refused = c.connection.linkDevice();
  c.receive(error("no-device"));
  await assert.rejects(refused, { reason: "noDevice" });
  const lost = c.connection.linkDevice();
  c.close();
  await assert.rejects(lost, { reason: "offline" });
  c.open();
  c.receive(json("welcome"));
  const late = c.connection.linkDevice();
  mock.timers.tick(10000);
  await assert.rejects(late, { reason: "timeout" });
});

test("signOut forgets the token and closes for good once the server confirms", async () => {
  const c = connect();
  assert.equal(await c.connection.signOut(), false, "not registered: nothing to ask");
  assert.equal(c.connection.phase, "closed");

  const d = connect();
  d.open();
  d.receive(json("welcome"));
  d.takeSent();
  d.events.length = 0;
  const signedOut = d.connection.signOut();
  assert.deepEqual(d.takeSent(), ["sign-out"]);
  d.receive(json("signed-out"));
  assert.equal(await signedOut, true);
  assert.deepEqual(d.events, [["token", { token: null }]]);
  assert.equal(d.connection.phase, "closed");
  assert.equal(d.socket.stopped, "logged out");

  const e = connect();
  e.open();
  e.receive(json("welcome"));
  const unanswered = e.connection.signOut();
  mock.timers.tick(3000);
  assert.equal(await unanswered, false);
  assert.equal(e.connection.phase, "closed");
});

test("without the subprotocol, the first list naming the user registers it", () => {
  const c = connect();
  c.open();
  c.receive(json("update-users-empty"));
  assert.equal(c.connection.phase, "registering", "the user is not in it yet");
  c.receive(json("update-users-alice"));
  assert.equal(c.connection.phase, "registered");
  c.receive(json("update-users"));
  const snapshots = c.events.filter(([name]) => name === "snapshot").map(([, s]) => [s.initial, s.users.length]);
  assert.deepEqual(snapshots, [[true, 1], [false, 2]]);
});

test("chat frames reach the app as their events; a refused message is the chat's, even while a code is asked", async () => {
  const c = connect();
  c.open();
  c.receive(json("welcome"));
  c.takeSent();
  const seen = [];
  for (const name of ["chat", "chat-ack", "chat-history", "chat-receipt", "chat-read", "chat-conversations", "typing"]) {
    c.connection.on(name, (detail) => seen.push([name, detail]));
  }
  for (const fixture of ["chat-room-stored", "chat-ack", "chat-history-empty", "chat-receipt-read", "chat-read-moved",
    "chat-conversations", "typing-room-relayed", "chats-room-stored"]) {
    c.receive(json(fixture));
  }
  assert.deepEqual(seen.map(([name]) => name), ["chat", "chat-ack", "chat-history", "chat-receipt", "chat-read", "chat-conversations", "typing",
    "chat", "chat"]);
  assert.deepEqual(seen.slice(-2).map(([, m]) => [m.id, m.text]), [[1234, "Lunch?"], [1236, "Yes!"]], "a chats frame is its chats, in order");
  assert.equal(seen[1][1].clientId, "k3J9-aa01");
  assert.equal("event" in seen[0][1], false, "the event's name is not in its detail");

  const code = c.connection.linkDevice();
  c.receive(json("error-rate-limited-chat"));
  assert.deepEqual(c.events.at(-1), ["server-error", {
    reason: "rateLimited", message: "too many chat messages: slow down", field: null, clientId: "k3J9-aa01",
  }]);
  c.receive(json("device-link"));
  assert.equal((await code).code, "K7QF-9MZT", "the link request still waited for its own answer");

  assert.equal(c.connection.sendChat("Lunch?", null, "k3J9-aa01"), true);
  assert.equal(c.connection.requestChatHistory({ after: 1180 }), true);
  assert.equal(c.connection.markChatRead("room", 3, false), true);
  assert.equal(c.connection.editChat(1, "x"), true);
  assert.equal(c.connection.deleteChat(1), true);
  assert.equal(c.connection.sendTyping(null), true);
  assert.equal(c.connection.requestChatConversations(), true);
  assert.deepEqual(c.takeSent(), ["link-device", "chat", "chat-history", "chat-read", "chat-edit", "chat-delete", "typing", "chat-conversations"]);
});

test("a registered connection pings; an answered ping keeps it, an unanswered one abandons it", () => {
  const c = connect();
  c.open();
  c.receive(json("welcome"));
  c.takeSent();
  mock.timers.tick(2000);
  assert.deepEqual(c.takeSent(), ["ping"]);
  c.receive(json("pong"));
  // Any frame answers: the next ping goes out on time, and nothing is abandoned.
  mock.timers.tick(2000);
  assert.deepEqual(c.takeSent(), ["ping"]);
  c.receive(json("chat-to-room-delivered"));
  mock.timers.tick(2000);
  assert.deepEqual(c.takeSent(), ["ping"]);
  assert.equal(c.socket.abandoned, 0);
  // Silence: no second ping while one waits, and the link is let go after the timeout.
  mock.timers.tick(2000);
  assert.deepEqual(c.takeSent(), []);
  mock.timers.tick(2000);
  assert.equal(c.socket.abandoned, 1);
  assert.equal(c.connection.phase, "connecting");
  // No ping on a link that is gone, until the next one is welcomed.
  mock.timers.tick(10000);
  assert.deepEqual(c.takeSent(), []);
  c.open();
  c.receive(json("welcome"));
  c.takeSent();
  mock.timers.tick(2000);
  assert.deepEqual(c.takeSent(), ["ping"]);
  c.connection.stop();
  mock.timers.tick(10000);
  assert.equal(c.socket.abandoned, 1);
});

test("each welcome and each renewal hands the connection's TURN entries on", () => {
  const c = connect();
  const handed = [];
  c.connection.on("ice-servers", ({ iceServers }) => handed.push(iceServers.map((s) => s.username)));
  c.open();
  c.receive(json("welcome-turn"));
  c.receive(json("ice-servers"));
  c.close();
  c.open();
  c.receive(json("welcome"));
  assert.deepEqual(handed, [["1767225600:k3Xw9QpL2mZr"], ["1767225600:k3Xw9QpL2mZr"], []],
    "a welcome without TURN clears the entries of the one before");
});
