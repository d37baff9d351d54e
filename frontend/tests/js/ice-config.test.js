// The calls' ICE configuration without a browser: /config.json's STUN list and policy, the
// TURN entries of the latest welcome or renewal, and relay-only mode without TURN.

import assert from "node:assert/strict";
import { test } from "node:test";
import { Emitter } from "../../public/js/emitter.js";
import { IceConfig } from "../../public/js/calls/ice-config.js";

const STUN = { urls: "stun:stun.example.com:3478" };
const turn = (username) => ({ urls: ["turn:turn.example.com:3478"], username, credential: "c" });

test("TURN entries join the STUN list, the latest replacing the ones before", () => {
  const connection = new Emitter();
  const ice = new IceConfig({ iceServers: [STUN], iceTransportPolicy: "all" }, connection);
  assert.deepEqual(ice.rtcConfiguration(), { iceServers: [STUN], iceTransportPolicy: "all" });
  connection.emit("ice-servers", { iceServers: [turn("1:a")] });
  connection.emit("ice-servers", { iceServers: [turn("2:a")] });
  assert.deepEqual(ice.rtcConfiguration().iceServers, [STUN, turn("2:a")]);
  assert.equal(ice.relayMissing, false, "every candidate is allowed");
});

test("relay-only calls say they need TURN until a welcome brings it", () => {
  const connection = new Emitter();
  const ice = new IceConfig({ iceServers: [STUN], iceTransportPolicy: "relay" }, connection);
  assert.equal(ice.relayMissing, true);
  connection.emit("ice-servers", { iceServers: [turn("1:a")] });
  assert.equal(ice.relayMissing, false);
  assert.equal(ice.rtcConfiguration().iceTransportPolicy, "relay");
  connection.emit("ice-servers", { iceServers: [] });
  assert.equal(ice.relayMissing, true, "a server that stopped giving TURN");
});

test("each renewal is handed on, for the peer connections already open", () => {
  const connection = new Emitter();
  const handed = [];
  const config = { iceServers: [STUN], iceTransportPolicy: "relay" };
  new IceConfig(config, connection, (rtc) => handed.push(rtc));
  connection.emit("ice-servers", { iceServers: [turn("1:a")] });
  connection.emit("ice-servers", { iceServers: [turn("2:b")] });
  assert.deepEqual(handed, [
    { iceServers: [STUN, turn("1:a")], iceTransportPolicy: "relay" },
    { iceServers: [STUN, turn("2:b")], iceTransportPolicy: "relay" },
  ]);
});
