// Group call: one call's people. The members, each with a peer link and a video tile (the
// full mesh), and the invitees not answered yet, each with a no-answer timer. What to do
// when someone joins, leaves or does not answer is `call-session.js`'s.

/** Everyone in a call, the user included. */
export const MAX_PARTICIPANTS = 6;

/** A call id no other call shares: the time and a random part. */
export function newCallId() {
  return `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
}

/** Whether the user (`self`) is the polite peer towards `other`: the one whose email sorts higher. */
export function isPolite(self, other) {
  return self > other;
}

export class GroupCall {
  #id;
  /** The other participants: email → `{ link, state }` (`state`: the link's, "new" at first). */
  #members = new Map();
  /** The people rung into the call who have not answered: email → `{ timer, ringing }`. */
  #invites = new Map();
  #view;

  /** `view`: the `CallPanel` holding the members' video tiles. */
  constructor(id, view) {
    this.#id = id;
    this.#view = view;
  }

  /** The call's id, the same on every participant's side. */
  get id() {
    return this.#id;
  }

  /** Whether nobody but the user is in the call or being rung into it. */
  get empty() {
    return this.#members.size === 0 && this.#invites.size === 0;
  }

  /** How many others are in the call (not counting those being rung). */
  get memberCount() {
    return this.#members.size;
  }

  /** Everyone in the call, the user and those being rung included. */
  get headcount() {
    return 1 + this.#members.size + this.#invites.size;
  }

  hasMember(email) {
    return this.#members.has(email);
  }

  isInvited(email) {
    return this.#invites.has(email);
  }

  /** The other members' emails, in the order they joined. */
  memberEmails() {
    return [...this.#members.keys()];
  }

  /** The emails of those being rung, in the order they were. */
  inviteEmails() {
    return [...this.#invites.keys()];
  }

  /** The members and their links' states: `[{ email, state }]`. */
  memberStates() {
    return [...this.#members].map(([email, { state }]) => ({ email, state }));
  }

  /** Those being rung, and whether their phone rings yet: `[{ email, ringing }]`. */
  invites() {
    return [...this.#invites].map(([email, { ringing }]) => ({ email, ringing }));
  }

  /** Starts ringing `email`: `onNoAnswer()` runs if they have not answered in `timeoutMs`. */
  addInvite(email, timeoutMs, onNoAnswer) {
    const timer = setTimeout(onNoAnswer, timeoutMs);
    this.#invites.set(email, { timer, ringing: false });
  }

  /** `email`'s phone rings; false when they are not being rung. */
  markRinging(email) {
    const invite = this.#invites.get(email);
    if (!invite) return false;
    invite.ringing = true;
    return true;
  }

  /** Stops ringing `email`; false when they were not being rung. */
  removeInvite(email) {
    const invite = this.#invites.get(email);
    if (!invite) return false;
    clearTimeout(invite.timer);
    this.#invites.delete(email);
    return true;
  }

  /** Adds `email`'s peer `link` and video tile; `onState()` runs after each link state change. */
  addMember(email, name, link, onState) {
    const member = { link, state: "new" };
    this.#members.set(email, member);
    this.#view.addTile(email, name);
    link.on("stream", (stream) => this.#view.setTileStream(email, stream));
    link.on("state", (state) => {
      member.state = state;
      this.#view.setTileState(email, state);
      onState();
    });
    link.on("remote-media", (media) => this.#view.setTileMedia(email, media));
  }

  /** Tells every member what the user's media are now (`{ muted, cameraOff }`). */
  sendMediaState(state) {
    for (const { link } of this.#members.values()) link.sendMediaState(state);
  }

  /** Fresh TURN credentials (an `RTCConfiguration`) for every member's link. */
  setIceConfiguration(rtc) {
    for (const { link } of this.#members.values()) link.setIceConfiguration(rtc);
  }

  /** The server connection is back: each link (or `email`'s) signals what it could not meanwhile. */
  resume(email = null) {
    for (const [member, { link }] of this.#members) if (email === null || member === email) link.resume();
  }

  /** Closes `email`'s link and drops their tile; false when they were not a member. */
  removeMember(email) {
    const member = this.#members.get(email);
    if (!member) return false;
    member.link.close();
    this.#members.delete(email);
    this.#view.removeTile(email);
    return true;
  }

  /** Hands `{ description, candidate }` from `email` to their link, if they are a member. */
  signal(email, signal) {
    this.#members.get(email)?.link.handleSignal(signal);
  }

  /** Closes every link and stops every no-answer timer; the tiles are the caller's to clear. */
  close() {
    for (const { link } of this.#members.values()) link.close();
    for (const { timer } of this.#invites.values()) clearTimeout(timer);
  }
}
