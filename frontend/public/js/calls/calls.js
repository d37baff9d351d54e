// Calls: the call state machine. Ringing (invite, ringing, accept, decline, busy, no
// answer), glare (both calling each other at once ends in one call), group calls as a
// full mesh of up to 6 people, hang-up, and what happens when a participant goes offline
// or the server connection drops (the call goes on: its media flow peer to peer). This module is the way in and the incoming side (the
// call ringing here, glare, busy); the user's own call is `call-session.js`'s. Media and
// peer connections are `webrtc.js`'s, the screen is `call-panel.js`'s, the wire is
// `../connection/`'s; the ringtone, title and system notification are `call-alert.js`'s.
// Dependencies go one way: calls → call-session → group-call, call-media, webrtc; calls →
// call-alert → ringtone, title-flash, call-notification; call-panel and call-status are leaves.

import { CallAlert } from "./call-alert.js";
import { CallPanel } from "./call-panel.js";
import { CallSession } from "./call-session.js";
import { listOf } from "./call-status.js";
import { Emitter } from "../emitter.js";
import { MAX_PARTICIPANTS, isPolite, newCallId } from "./group-call.js";
import { RELAY_MISSING } from "./ice-config.js";
import { notify, quietNotifications } from "../notifications.js";

export { MAX_PARTICIPANTS };
/** How long after the caller's ring timeout an unanswered incoming call is dropped here. */
const INCOMING_GRACE_MS = 5000;

/**
 * Events: `in-call` (boolean: the user is in an accepted call), `changed` (membership or
 * state changed, for views showing who is in a call), `missed` (a call event for the
 * conversation with the caller: `{ id, conversation, name, kind, at }`, `kind` `missed` or
 * `busy`), `open-conversation` (an email: a missed call's notification was clicked).
 */
export class Calls extends Emitter {
  #conn;
  #presence;
  #config;
  #view;
  #alert;
  /** Missed calls by id → the caller's email, for a click on their system notification. */
  #missedFrom = new Map();
  /** The user's own call, placed or accepted. */
  #session;
  /** The call ringing here: `{ from, callId, members, timer }`. */
  #incoming = null;

  constructor({ connection, presence, config }) {
    super();
    this.#conn = connection;
    this.#presence = presence;
    this.#config = config;
    this.#view = new CallPanel({
      hangUp: () => this.hangUp(),
      toggleMute: () => this.toggleMute(),
      toggleCamera: () => this.toggleCamera(),
      accept: () => this.accept(),
      decline: () => this.decline(),
      invite: (email) => this.call(email),
      candidates: () => this.#addable(),
    });
    this.#alert = new CallAlert({
      accept: (callId) => this.#incoming?.callId === callId && this.accept(),
      decline: (callId) => this.#incoming?.callId === callId && this.decline(),
      open: (callId) => this.#openFromNotification(callId),
    });
    this.#session = new CallSession({ connection, presence, config, view: this.#view });
    this.#session.on("changed", (detail) => {
      quietNotifications("call", this.#session.active);
      this.emit("changed", detail);
    });
    this.#session.on("in-call", (inCall) => this.emit("in-call", inCall));
  }

  /** Whether `email` is a participant of the current call. */
  isMember(email) {
    return this.#session.isMember(email);
  }

  /** Whether the user is in a call or placing one. */
  get active() {
    return this.#session.active;
  }

  /** Whether the user is in an accepted call. */
  get inCall() {
    return this.#session.inCall;
  }

  /** The call panel shown whole again, not as a bar (a phone's Call tab brings it back). */
  showWhole() {
    this.#view.setMinimised(false);
  }

  /** The ringtone's state, for the tests (see `Ringtone.state`). */
  ringtoneState() {
    return this.#alert.ringtoneState();
  }

  /** The user's "Call" button: starts a call, or invites `email` into the current one. */
  call(email) {
    const self = this.#presence.selfEmail;
    if (!email || email === self) return;
    this.#alert.askPermission();
    const name = this.#name(email);
    if (!this.#presence.has(email)) {
      notify("error", `${name} is not online.`);
      return;
    }
    if (this.#incoming) {
      if (this.#incoming.from === email) this.accept();
      else notify("info", "Answer or decline the incoming call first.");
      return;
    }
    if (!this.#conn.registered) {
      notify("error", "Not connected to the server: cannot call now.");
      return;
    }
    if (this.#session.relayMissing) {
      notify("error", RELAY_MISSING);
      return;
    }
    const session = this.#session;
    if (session.active) {
      if (session.includes(email)) {
        notify("info", `${name} is already in this call.`);
        return;
      }
      if (session.headcount >= MAX_PARTICIPANTS) {
        notify("error", `A call holds at most ${MAX_PARTICIPANTS} people.`);
        return;
      }
    } else {
      session.start(newCallId());
    }
    session.invite(email);
    session.refresh();
  }

  /** Accepts the ringing call: connects to its every member. */
  accept() {
    const incoming = this.#incoming;
    if (!incoming) return;
    this.#alert.askPermission();
    this.#clearIncoming();
    const self = this.#presence.selfEmail;
    if (!this.#presence.has(incoming.from) || !this.#conn.registered) {
      notify("info", `The call from ${this.#name(incoming.from)} is over.`);
      return;
    }
    if (this.#session.relayMissing) {
      notify("error", RELAY_MISSING);
      this.#conn.sendCall("decline", incoming.from, { callId: incoming.callId });
      return;
    }
    const others = [...new Set([incoming.from, ...incoming.members])].filter(
      (email) => email !== self && this.#presence.has(email),
    );
    const members = [self, ...others];
    this.#session.start(incoming.callId);
    for (const email of others) {
      this.#conn.sendCall("accept", email, { callId: incoming.callId, members });
      this.#session.addMember(email, { initiator: false });
    }
    this.#session.refresh();
  }

  decline() {
    const incoming = this.#incoming;
    if (!incoming) return;
    this.#clearIncoming();
    this.#conn.sendCall("decline", incoming.from, { callId: incoming.callId });
  }

  /** Leaves the call (or stops calling): every participant and invitee is told. */
  hangUp() {
    this.#session.hangUp();
  }

  toggleMute() {
    this.#session.toggleMute();
  }

  toggleCamera() {
    this.#session.toggleCamera();
  }

  /** Call control from the server: `{ kind, from, callId, members }`. */
  handleControl({ kind, from, callId, members, resync }) {
    if (!callId) return;
    const session = this.#session;
    switch (kind) {
      case "invite":
        this.#onInvite(from, callId, members);
        break;
      case "ringing":
        session.handleRinging(from, callId);
        break;
      case "accept":
        if (resync) session.handleResync(from, callId);
        else session.handleAccept(from, callId);
        break;
      case "decline":
        session.handleRefused(from, callId, "declined", `${this.#name(from)} declined the call`);
        break;
      case "busy":
        session.handleRefused(from, callId, "busy", `${this.#name(from)} is busy (in another call)`);
        break;
      case "hang-up":
        if (this.#incoming?.from === from && this.#incoming.callId === callId) {
          this.#missed("");
        } else {
          session.handleHangUp(from, callId);
        }
        break;
    }
  }

  /** WebRTC signaling from the server, for a participant of the current call. */
  handleSignal(signal) {
    this.#session.handleSignal(signal);
  }

  /** A user (`{ email, name }`) went offline: as if they hung up. */
  handleUserGone({ email, name }) {
    if (this.#incoming?.from === email) this.#missed(` (${name} went offline)`);
    this.#session.handleUserGone(email, name);
  }

  /**
   * The server connection dropped. A call ringing here cannot be answered; the user's own
   * call goes on (its media do not pass through the server) until the connection is back.
   */
  handleConnectionLost() {
    if (this.#incoming) this.#missed(" (the connection was lost)");
    this.#session.signalingLost();
  }

  /** The server connection is back (registered again): the call is put in sync again. */
  handleConnectionBack() {
    this.#session.resync();
  }

  #onInvite(from, callId, members) {
    const name = this.#name(from);
    if (this.#incoming?.from === from && this.#incoming.callId === callId) return;
    const session = this.#session;
    if (session.isCall(callId)) return;
    if (session.isPlacingTo(from)) {
      // Glare: we are calling each other. The polite side (the higher email) drops its
      // own attempt and takes the other's; the other side ignores the polite one's invite.
      if (isPolite(this.#presence.selfEmail, from)) {
        this.#session.yieldTo(from);
        this.#incoming = { from, callId, members, timer: null };
        this.accept();
      }
      return;
    }
    if (session.active || this.#incoming) {
      this.#conn.sendCall("busy", from, { callId });
      this.emit("missed", { id: callId, conversation: from, name, kind: "busy", at: Date.now() });
      notify("call", `${name} tried to call you while you were busy`);
      return;
    }
    const self = this.#presence.selfEmail;
    const others = members.filter((email) => email !== self && email !== from);
    this.#incoming = {
      from,
      callId,
      members: others,
      timer: setTimeout(() => this.#missed(""), this.#config.ringTimeoutMs + INCOMING_GRACE_MS),
    };
    this.#conn.sendCall("ringing", from, { callId });
    const detail = others.length ? `with ${listOf(others.map((e) => this.#name(e)))}` : "";
    quietNotifications("ringing", true);
    this.#view.showIncoming(name, detail);
    this.#alert.ring(callId, name, detail);
  }

  /** The call ringing here ended unanswered (`why`: "" or " (…)"): recorded with the caller. */
  #missed(why) {
    const { from, callId } = this.#incoming;
    const name = this.#name(from);
    this.#clearIncoming();
    const text = `Missed call from ${name}${why}`;
    this.#missedFrom.set(callId, from);
    this.emit("missed", { id: callId, conversation: from, name, kind: "missed", at: Date.now() });
    this.#alert.missed(callId, text);
    notify("call", text, { key: `missed:${from}`, onClick: () => this.emit("open-conversation", from) });
  }

  #clearIncoming() {
    clearTimeout(this.#incoming?.timer);
    this.#incoming = null;
    this.#view.hideIncoming();
    this.#alert.stop();
    quietNotifications("ringing", false);
  }

  /** A system notification was clicked: the call ringing, or a missed call's conversation. */
  #openFromNotification(callId) {
    window.focus();
    const from = this.#missedFrom.get(callId);
    if (from) this.emit("open-conversation", from);
  }

  /** Who "Add to call" offers: the people online, not the user, not in the call or rung. */
  #addable() {
    const self = this.#presence.selfEmail;
    return this.#presence
      .all()
      .filter((user) => user.email !== self && !this.#session.includes(user.email))
      .map(({ email, name }) => ({ email, name }));
  }

  #name(email) {
    return this.#presence.get(email)?.name ?? email;
  }
}
