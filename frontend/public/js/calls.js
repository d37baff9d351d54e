// Calls: the call state machine. Ringing (invite, ringing, accept, decline, busy, no
// answer), glare (both calling each other at once ends in one call), group calls as a
// full mesh of up to 6 people, hang-up, and what happens when a participant goes offline
// or the server connection drops. Media and peer connections are `webrtc.js`'s, the
// screen is `call-panel.js`'s, the wire is `websocket.js`'s.

import { CallPanel } from "./call-panel.js";
import { Emitter } from "./emitter.js";
import { notify } from "./notifications.js";
import { PeerLink, acquireLocalMedia, releaseLocalMedia } from "./webrtc.js";

/** Everyone in a call, the user included. */
export const MAX_PARTICIPANTS = 6;
/** How long after the caller's ring timeout an unanswered incoming call is dropped here. */
const INCOMING_GRACE_MS = 5000;

function newCallId() {
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** "Bob", "Bob and Carol", "Bob, Carol and Dan". */
function listOf(names) {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/**
 * Events: `in-call` (boolean: the user is in an accepted call), `changed` (membership or
 * state changed, for views showing who is in a call).
 */
export class Calls extends Emitter {
  #conn;
  #presence;
  #config;
  #view;
  /** The current call: `{ id, members: Map<email, { link, state }>, invites: Map<email, { timer, ringing }> }`. */
  #call = null;
  /** The call ringing here: `{ from, callId, members, timer }`. */
  #incoming = null;
  /** A promise of the local media for the current call, and its value once known. */
  #media = null;
  #local = null;
  #muted = false;
  #cameraOff = false;
  #inCall = false;

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
    });
  }

  /** Whether `email` is a participant of the current call. */
  isMember(email) {
    return Boolean(this.#call?.members.has(email));
  }

  /** Whether the user is in an accepted call. */
  get inCall() {
    return this.#inCall;
  }

  /** The user's "Call" button: starts a call, or invites `email` into the current one. */
  call(email) {
    const self = this.#presence.selfEmail;
    if (!email || email === self) return;
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
    const call = this.#call;
    if (call) {
      if (call.members.has(email) || call.invites.has(email)) {
        notify("info", `${name} is already in this call.`);
        return;
      }
      if (1 + call.members.size + call.invites.size >= MAX_PARTICIPANTS) {
        notify("error", `A call holds at most ${MAX_PARTICIPANTS} people.`);
        return;
      }
      this.#invite(email);
      this.#refresh();
      return;
    }
    this.#call = { id: newCallId(), members: new Map(), invites: new Map() };
    this.#startMedia();
    this.#invite(email);
    this.#refresh();
  }

  /** Accepts the ringing call: connects to its every member. */
  accept() {
    const incoming = this.#incoming;
    if (!incoming) return;
    this.#clearIncoming();
    const self = this.#presence.selfEmail;
    if (!this.#presence.has(incoming.from) || !this.#conn.registered) {
      notify("info", `The call from ${this.#name(incoming.from)} is over.`);
      return;
    }
    const others = [...new Set([incoming.from, ...incoming.members])].filter(
      (email) => email !== self && this.#presence.has(email),
    );
    const members = [self, ...others];
    this.#call = { id: incoming.callId, members: new Map(), invites: new Map() };
    this.#startMedia();
    for (const email of others) {
      this.#conn.sendCall("accept", email, { callId: incoming.callId, members });
      this.#addMember(email, { initiator: false });
    }
    this.#refresh();
  }

  decline() {
    const incoming = this.#incoming;
    if (!incoming) return;
    this.#clearIncoming();
    this.#conn.sendCall("decline", incoming.from, { callId: incoming.callId });
  }

  /** Leaves the call (or stops calling): every participant and invitee is told. */
  hangUp() {
    const call = this.#call;
    if (!call) {
      this.#view.hide();
      return;
    }
    for (const email of [...call.members.keys(), ...call.invites.keys()]) {
      this.#conn.sendCall("hang-up", email, { callId: call.id });
    }
    this.#finish("ended", "Call ended");
    this.#view.hide();
  }

  toggleMute() {
    if (!this.#local?.audio) return;
    this.#muted = !this.#muted;
    for (const track of this.#local.stream.getAudioTracks()) track.enabled = !this.#muted;
    this.#showControls();
  }

  toggleCamera() {
    if (!this.#local?.video) return;
    this.#cameraOff = !this.#cameraOff;
    for (const track of this.#local.stream.getVideoTracks()) track.enabled = !this.#cameraOff;
    this.#showControls();
  }

  /** Call control from the server: `{ kind, from, callId, members }`. */
  handleControl({ kind, from, callId, members }) {
    if (!callId) return;
    switch (kind) {
      case "invite":
        this.#onInvite(from, callId, members);
        break;
      case "ringing": {
        const invite = this.#call?.id === callId ? this.#call.invites.get(from) : null;
        if (invite) {
          invite.ringing = true;
          this.#refresh();
        }
        break;
      }
      case "accept":
        this.#onAccept(from, callId);
        break;
      case "decline":
        this.#onRefused(from, callId, "declined", `${this.#name(from)} declined the call`);
        break;
      case "busy":
        this.#onRefused(from, callId, "busy", `${this.#name(from)} is busy (in another call)`);
        break;
      case "hang-up":
        this.#onHangUp(from, callId);
        break;
    }
  }

  /** WebRTC signaling from the server, for a participant of the current call. */
  handleSignal({ from, callId, description, candidate }) {
    const call = this.#call;
    if (!call || (callId && callId !== call.id)) return;
    call.members.get(from)?.link.handleSignal({ description, candidate });
  }

  /** A user (`{ email, name }`) went offline: as if they hung up. */
  handleUserGone({ email, name }) {
    if (this.#incoming?.from === email) this.#missed(`Missed call from ${name} (went offline)`);
    const call = this.#call;
    if (!call) return;
    if (call.invites.has(email)) this.#onRefused(email, call.id, "ended", `${name} went offline`);
    else if (call.members.has(email)) this.#removeMember(email, { notice: `${name} went offline` });
  }

  /**
   * The server connection dropped: nothing can be signaled any more and the others see
   * this user leave, so the call ends here too.
   */
  handleConnectionLost() {
    if (this.#incoming) this.#missed(`Missed call from ${this.#name(this.#incoming.from)} (connection lost)`);
    if (this.#call) this.#finish("failed", "Call ended: the connection to the server was lost");
  }

  #onInvite(from, callId, members) {
    const name = this.#name(from);
    if (this.#incoming?.from === from && this.#incoming.callId === callId) return;
    if (this.#call?.id === callId) return;
    const call = this.#call;
    if (call && call.members.size === 0 && call.invites.has(from)) {
      // Glare: we are calling each other. The polite side (the higher email) drops its
      // own attempt and takes the other's; the other side ignores the polite one's invite.
      if (this.#polite(from)) {
        for (const [email, invite] of call.invites) {
          clearTimeout(invite.timer);
          if (email !== from) this.#conn.sendCall("hang-up", email, { callId: call.id });
        }
        this.#call = null;
        this.#incoming = { from, callId, members, timer: null };
        this.accept();
      }
      return;
    }
    if (call || this.#incoming) {
      this.#conn.sendCall("busy", from, { callId });
      notify("call", `${name} tried to call you while you were busy`);
      return;
    }
    const self = this.#presence.selfEmail;
    const others = members.filter((email) => email !== self && email !== from);
    this.#incoming = {
      from,
      callId,
      members: others,
      timer: setTimeout(
        () => this.#missed(`Missed call from ${name}`),
        this.#config.ringTimeoutMs + INCOMING_GRACE_MS,
      ),
    };
    this.#conn.sendCall("ringing", from, { callId });
    const detail = others.length ? `with ${listOf(others.map((e) => this.#name(e)))}` : "";
    this.#view.showIncoming(name, detail);
    notify("call", `Incoming call from ${name}`);
  }

  #onAccept(from, callId) {
    const call = this.#call;
    if (!call || call.id !== callId) {
      // A late answer to a call that is over here: tell them, so they do not wait.
      this.#conn.sendCall("hang-up", from, { callId });
      return;
    }
    if (call.members.has(from)) return;
    const invite = call.invites.get(from);
    if (invite) {
      clearTimeout(invite.timer);
      call.invites.delete(from);
    }
    if (1 + call.members.size >= MAX_PARTICIPANTS) {
      this.#conn.sendCall("hang-up", from, { callId });
      return;
    }
    // Whoever receives an accept makes the offer: the caller to the callee, and every
    // member to a newcomer (who sent its accept to each of them).
    this.#addMember(from, { initiator: true });
    if (!invite) notify("call", `${this.#name(from)} joined the call`);
    this.#refresh();
  }

  #onRefused(from, callId, state, text) {
    const call = this.#call;
    const invite = call?.id === callId ? call.invites.get(from) : null;
    if (!invite) return;
    clearTimeout(invite.timer);
    call.invites.delete(from);
    if (call.members.size === 0 && call.invites.size === 0) {
      this.#finish(state, text);
    } else {
      notify("call", text);
      this.#refresh();
    }
  }

  #onHangUp(from, callId) {
    const name = this.#name(from);
    if (this.#incoming?.from === from && this.#incoming.callId === callId) {
      this.#missed(`Missed call from ${name}`);
      return;
    }
    const call = this.#call;
    if (!call || call.id !== callId) return;
    if (call.invites.has(from)) this.#onRefused(from, callId, "ended", `${name} is not in the call`);
    else if (call.members.has(from)) this.#removeMember(from, { notice: `${name} left the call` });
  }

  #noAnswer(callId, email) {
    const call = this.#call;
    if (!call || call.id !== callId || !call.invites.has(email)) return;
    // Stop the ringing over there.
    this.#conn.sendCall("hang-up", email, { callId });
    this.#onRefused(email, callId, "no-answer", `No answer from ${this.#name(email)}`);
  }

  #invite(email) {
    const call = this.#call;
    const members = [this.#presence.selfEmail, ...call.members.keys()];
    const sent = this.#conn.sendCall("invite", email, {
      callId: call.id,
      members,
      media: { audio: true, video: true },
    });
    if (!sent) {
      notify("error", "Not connected to the server: cannot call now.");
      if (call.members.size === 0 && call.invites.size === 0) {
        this.#finish("failed", "Call failed: not connected to the server");
      }
      return;
    }
    const timer = setTimeout(() => this.#noAnswer(call.id, email), this.#config.ringTimeoutMs);
    call.invites.set(email, { timer, ringing: false });
  }

  #addMember(email, { initiator }) {
    const call = this.#call;
    const name = this.#name(email);
    const link = new PeerLink({
      iceServers: this.#config.iceServers,
      polite: this.#polite(email),
      initiator,
      media: this.#media,
      send: (signal) => this.#conn.sendSignal(email, call.id, signal),
    });
    const member = { link, state: "new" };
    call.members.set(email, member);
    this.#view.addTile(email, name);
    link.on("stream", (stream) => this.#view.setTileStream(email, stream));
    link.on("state", (state) => {
      member.state = state;
      this.#view.setTileState(email, state);
      this.#refresh();
    });
    link.on("failed", () => {
      if (this.#call !== call) return;
      this.#conn.sendCall("hang-up", email, { callId: call.id });
      this.#removeMember(email, {
        notice: `Could not connect to ${name} (network problem)`,
        state: "failed",
        final: `Call failed: could not connect to ${name} (network problem)`,
      });
    });
  }

  /**
   * Drops a participant. `notice` is shown when the call goes on; when nobody is left the
   * call ends with `state` and the `final` text (by default "Call ended: <notice>").
   */
  #removeMember(email, { notice, state = "ended", final = `Call ended: ${notice}` }) {
    const call = this.#call;
    const member = call?.members.get(email);
    if (!member) return;
    member.link.close();
    call.members.delete(email);
    this.#view.removeTile(email);
    if (call.members.size === 0 && call.invites.size === 0) {
      this.#finish(state, final);
    } else {
      notify("call", notice);
      this.#refresh();
    }
  }

  /** Ends the current call here with a final `state`, releasing everything. */
  #finish(state, text) {
    const call = this.#call;
    this.#call = null;
    if (call) {
      for (const { link } of call.members.values()) link.close();
      for (const { timer } of call.invites.values()) clearTimeout(timer);
    }
    this.#view.clearTiles();
    this.#view.setInvites([]);
    this.#releaseMedia();
    this.#view.setStatus(state, text);
    this.#setInCall(false);
    this.emit("changed", {});
  }

  #missed(text) {
    this.#clearIncoming();
    notify("call", text);
  }

  #clearIncoming() {
    clearTimeout(this.#incoming?.timer);
    this.#incoming = null;
    this.#view.hideIncoming();
  }

  #startMedia() {
    if (this.#media) return;
    this.#muted = false;
    this.#cameraOff = false;
    this.#view.setMediaNote("Asking for your camera and microphone…");
    this.#showControls();
    const pending = acquireLocalMedia();
    this.#media = pending;
    pending.then((local) => {
      if (this.#media !== pending) {
        releaseLocalMedia(local);
        return;
      }
      this.#local = local;
      this.#view.setLocalStream(local.stream);
      this.#view.setMediaNote(local.note);
      this.#showControls();
    });
  }

  #releaseMedia() {
    this.#media = null;
    releaseLocalMedia(this.#local);
    this.#local = null;
    this.#view.setLocalStream(null);
    this.#view.setMediaNote(null);
  }

  #showControls() {
    this.#view.setControls({
      muted: this.#muted,
      cameraOff: this.#cameraOff,
      hasAudio: Boolean(this.#local?.audio),
      hasVideo: Boolean(this.#local?.video),
    });
  }

  /** Redraws the panel from the current call. */
  #refresh() {
    const call = this.#call;
    if (!call) return;
    const names = (emails) => listOf(emails.map((email) => this.#name(email)));
    const invites = [...call.invites];
    if (call.members.size > 0) {
      const members = [...call.members];
      const connected = members.filter(([, m]) => m.state === "connected").map(([e]) => e);
      const connecting = members.filter(([, m]) => m.state !== "connected").map(([e]) => e);
      const parts = [];
      if (connected.length) parts.push(`In call with ${names(connected)}`);
      if (connecting.length) parts.push(`connecting to ${names(connecting)}…`);
      const text = parts.join(", ");
      this.#view.setStatus("in-call", text.charAt(0).toUpperCase() + text.slice(1));
      this.#view.setInvites(
        invites.map(([email, invite]) => ({ email, name: this.#name(email), ringing: invite.ringing })),
      );
      this.#setInCall(true);
    } else {
      const ringing = invites.some(([, invite]) => invite.ringing);
      const who = names(invites.map(([email]) => email));
      this.#view.setStatus(ringing ? "ringing" : "calling", `${ringing ? "Ringing" : "Calling"} ${who}…`);
      this.#view.setInvites([]);
      this.#setInCall(false);
    }
    this.emit("changed", {});
  }

  #setInCall(inCall) {
    if (this.#inCall === inCall) return;
    this.#inCall = inCall;
    this.emit("in-call", inCall);
  }

  /** The polite peer of a pair is the one whose email sorts higher. */
  #polite(other) {
    return this.#presence.selfEmail > other;
  }

  #name(email) {
    return this.#presence.get(email)?.name ?? email;
  }
}
