// Call session: the call the user is in or is placing. Ringing people into it (and giving
// up on them after the ring timeout), members joining and leaving its mesh, hang-up, the
// end of the call, the panel's status line, and the re-sync after the server connection
// dropped and came back (each side says "still in this call with you"). The call ringing here, glare and busy are
// `calls.js`'s; this module answers its questions and tells it what changed by events.

import { Emitter } from "../emitter.js";
import { CallMedia } from "./call-media.js";
import { describeCall } from "./call-status.js";
import { GroupCall, MAX_PARTICIPANTS, isPolite } from "./group-call.js";
import { IceConfig } from "./ice-config.js";
import { notify } from "../notifications.js";
import { PeerLink } from "./webrtc.js";

/**
 * Events: `in-call` (boolean: the user is in an accepted call), `changed` (membership or
 * state changed).
 */
export class CallSession extends Emitter {
  #conn;
  #presence;
  #config;
  #view;
  #media;
  /** The ICE servers (STUN from /config.json, TURN from the welcome) and policy. */
  #ice;
  /** The current call (a `GroupCall`), or null. */
  #call = null;
  #inCall = false;
  /** Hang-ups that could not be sent (the server connection was down): `{ email, callId }`. */
  #unsentHangUps = [];

  /** `view`: the `CallPanel`. */
  constructor({ connection, presence, config, view }) {
    super();
    this.#conn = connection;
    this.#presence = presence;
    this.#config = config;
    this.#view = view;
    this.#ice = new IceConfig(config, connection, (rtc) => this.#call?.setIceConfiguration(rtc));
    this.#media = new CallMedia(view, (state) => this.#call?.sendMediaState(state));
  }

  /** Relay-only calls, and no TURN server to relay them: a call cannot connect. */
  get relayMissing() {
    return this.#ice.relayMissing;
  }

  /** Whether there is a current call (placed or accepted). */
  get active() {
    return this.#call !== null;
  }

  /** Whether the user is in an accepted call. */
  get inCall() {
    return this.#inCall;
  }

  /** Whether `callId` is the current call's. */
  isCall(callId) {
    return this.#call?.id === callId;
  }

  /** Whether `email` is a participant of the current call. */
  isMember(email) {
    return Boolean(this.#call?.hasMember(email));
  }

  /** Whether `email` is in the current call or being rung into it. */
  includes(email) {
    return Boolean(this.#call && (this.#call.hasMember(email) || this.#call.isInvited(email)));
  }

  /** Everyone in the current call, the user and those being rung included (0 without one). */
  get headcount() {
    return this.#call?.headcount ?? 0;
  }

  /** Whether the user is placing a call that rings `email` and nobody has answered yet. */
  isPlacingTo(email) {
    return Boolean(this.#call && this.#call.memberCount === 0 && this.#call.isInvited(email));
  }

  toggleMute() {
    this.#media.toggleMute();
  }

  toggleCamera() {
    this.#media.toggleCamera();
  }

  /** Makes the call `callId` the current one and asks for the camera and microphone. */
  start(callId) {
    this.#call = new GroupCall(callId, this.#view);
    this.#media.start();
  }

  /**
   * Glare: gives up the call being placed (nobody has answered it) for `from`'s call to
   * the user. The other invitees are told it is over; the panel and the camera and
   * microphone stay, for the call that takes its place.
   */
  yieldTo(from) {
    const call = this.#call;
    for (const email of call.inviteEmails()) {
      if (email !== from) this.#conn.sendCall("hang-up", email, { callId: call.id });
    }
    call.close();
    this.#call = null;
  }

  /** Rings `email` into the current call. */
  invite(email) {
    const call = this.#call;
    const members = [this.#presence.selfEmail, ...call.memberEmails()];
    const sent = this.#conn.sendCall("invite", email, {
      callId: call.id,
      members,
      media: { audio: true, video: true },
    });
    if (!sent) {
      notify("error", "Not connected to the server: cannot call now.");
      if (call.empty) this.end("failed", "Call failed: not connected to the server");
      return;
    }
    call.addInvite(email, this.#config.ringTimeoutMs, () => this.#noAnswer(call.id, email));
  }

  /** `from`'s phone rings for the call `callId`. */
  handleRinging(from, callId) {
    if (this.isCall(callId) && this.#call.markRinging(from)) this.refresh();
  }

  /** `from` accepted the call `callId`: an invitee answering, or a newcomer joining. */
  handleAccept(from, callId) {
    const call = this.#call;
    if (!call || call.id !== callId) {
      // A late answer to a call that is over here: tell them, so they do not wait.
      this.#conn.sendCall("hang-up", from, { callId });
      return;
    }
    if (call.hasMember(from)) return;
    const invited = call.removeInvite(from);
    if (1 + call.memberCount >= MAX_PARTICIPANTS) {
      this.#conn.sendCall("hang-up", from, { callId });
      return;
    }
    // Whoever receives an accept makes the offer: the caller to the callee, and every
    // member to a newcomer (who sent its accept to each of them).
    this.addMember(from, { initiator: true });
    if (!invited) this.#view.note(`${this.#name(from)} joined the call`);
    this.refresh();
  }

  /** The invitee `from` will not come (`state`: why, `text`: what the user is told). */
  handleRefused(from, callId, state, text) {
    const call = this.#call;
    if (call?.id !== callId || !call.removeInvite(from)) return;
    this.#endIfEmpty(state, text, text);
  }

  /** `from` hung up the call `callId`, or stopped ringing into it. */
  handleHangUp(from, callId) {
    const call = this.#call;
    if (!call || call.id !== callId) return;
    const name = this.#name(from);
    if (call.isInvited(from)) this.handleRefused(from, callId, "ended", `${name} is not in the call`);
    else if (call.hasMember(from)) this.#removeMember(from, { notice: `${name} left the call` });
  }

  /** `email` (named `name`) went offline: as if they hung up. */
  handleUserGone(email, name) {
    const call = this.#call;
    if (!call) return;
    if (call.isInvited(email)) this.handleRefused(email, call.id, "ended", `${name} went offline`);
    else if (call.hasMember(email)) this.#removeMember(email, { notice: `${name} went offline` });
  }

  /** WebRTC signaling for a participant of the current call. */
  handleSignal({ from, callId, description, candidate }) {
    const call = this.#call;
    if (!call || (callId && callId !== call.id)) return;
    call.signal(from, { description, candidate });
  }

  /** Connects to `email`: a peer link in the mesh; the `initiator` makes the offer. */
  addMember(email, { initiator }) {
    const call = this.#call;
    const name = this.#name(email);
    const link = new PeerLink({
      rtc: this.#ice.rtcConfiguration(),
      polite: isPolite(this.#presence.selfEmail, email),
      initiator,
      media: this.#media.pending,
      send: (signal) => this.#conn.sendSignal(email, call.id, signal),
    });
    call.addMember(email, name, link, () => this.refresh());
    link.sendMediaState(this.#media.state);
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

  /** Leaves the call (or stops calling): every participant and invitee is told. */
  hangUp() {
    const call = this.#call;
    if (!call) {
      this.#view.hide();
      return;
    }
    for (const email of [...call.memberEmails(), ...call.inviteEmails()]) this.#hangUpOn(email, call.id);
    this.end("ended", "Call ended");
    this.#view.hide();
  }

  /** The server connection dropped: the call goes on, and the panel says so. */
  signalingLost() {
    if (this.#call) this.#view.note("Reconnecting to the server: the call goes on");
  }

  /**
   * The server connection is back: hang-ups that could not be sent go now, every member is
   * told the user is still in the call with them (a member who is not answers `hang-up`),
   * and each link makes again what it could not signal meanwhile (an ICE restart).
   */
  resync() {
    for (const { email, callId } of this.#unsentHangUps.splice(0)) this.#hangUpOn(email, callId);
    const call = this.#call;
    if (!call) return;
    const members = [this.#presence.selfEmail, ...call.memberEmails()];
    for (const email of call.memberEmails()) {
      this.#conn.sendCall("accept", email, { callId: call.id, members, resync: true });
    }
    call.resume();
  }

  /**
   * `from` says it is still in call `callId` with the user, back from a reconnect: what was
   * signaled to it meanwhile may have gone to its lost connection, so its link makes again
   * what is unanswered. When the user is not in that call with `from`, `from` is told.
   */
  handleResync(from, callId) {
    if (this.#call?.hasMember(from) && this.#call.id === callId) this.#call.resume(from);
    else this.#hangUpOn(from, callId);
  }

  /** Ends the current call here with a final `state`, releasing everything. */
  end(state, text) {
    const call = this.#call;
    this.#call = null;
    call?.close();
    this.#view.clearTiles();
    this.#view.setInvites([]);
    this.#media.release();
    this.#view.setStatus(state, text);
    this.#setInCall(false);
    this.emit("changed", {});
  }

  /** Redraws the panel from the current call. */
  refresh() {
    const call = this.#call;
    if (!call) return;
    const { state, text, invites, inCall } = describeCall(call, (email) => this.#name(email));
    this.#view.setStatus(state, text);
    this.#view.setInvites(invites);
    this.#view.setCanAdd(call.headcount < MAX_PARTICIPANTS);
    this.#setInCall(inCall);
    this.emit("changed", {});
  }

  #noAnswer(callId, email) {
    const call = this.#call;
    if (!call || call.id !== callId || !call.isInvited(email)) return;
    // Stop the ringing over there.
    this.#conn.sendCall("hang-up", email, { callId });
    this.handleRefused(email, callId, "no-answer", `No answer from ${this.#name(email)}`);
  }

  /**
   * Drops a participant. `notice` is shown when the call goes on; when nobody is left the
   * call ends with `state` and the `final` text (by default "Call ended: <notice>").
   */
  #removeMember(email, { notice, state = "ended", final = `Call ended: ${notice}` }) {
    if (!this.#call?.removeMember(email)) return;
    this.#endIfEmpty(state, final, notice);
  }

  /** After someone left: with nobody left the call ends (`state`, `final`), else `notice` is shown. */
  #endIfEmpty(state, final, notice) {
    if (this.#call.empty) {
      this.end(state, final);
    } else {
      this.#view.note(notice);
      this.refresh();
    }
  }

  /** Sends `hang-up` for `callId` to `email`, or keeps it for when the server is back. */
  #hangUpOn(email, callId) {
    if (!this.#conn.sendCall("hang-up", email, { callId })) this.#unsentHangUps.push({ email, callId });
  }

  #setInCall(inCall) {
    if (this.#inCall === inCall) return;
    this.#inCall = inCall;
    this.emit("in-call", inCall);
  }

  #name(email) {
    return this.#presence.get(email)?.name ?? email;
  }
}
