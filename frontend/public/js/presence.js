// Presence: who is online in the room, kept from the server's snapshots and deltas, and
// told to the map, the online list, the chat and the calls as fine-grained changes; and
// when each position was last sent (as this page received it), for "updated N min ago".

import { Emitter } from "./emitter.js";

/**
 * The room's online users by email.
 *
 * Events (each `quiet` when it comes from a snapshot rather than a live change, so no
 * "joined"/"left" notification is shown for it):
 * - `upsert` `{ user, previous, quiet }`: a user appeared (`previous` null) or changed.
 * - `remove` `{ user, quiet }`: a user went offline.
 * - `changed` `{}`: after every batch, for views that redraw as a whole.
 */
export class Presence extends Emitter {
  #users = new Map();
  #selfEmail = null;
  /** email → when this page last received that user's position (ms of `#now`). */
  #positionAt = new Map();
  #now;

  /** `now` is the clock positions are timed with (tests pass their own). */
  constructor({ now = () => Date.now() } = {}) {
    super();
    this.#now = now;
  }

  get selfEmail() {
    return this.#selfEmail;
  }

  get(email) {
    return this.#users.get(email) ?? null;
  }

  has(email) {
    return this.#users.has(email);
  }

  /**
   * When this page last received `email`'s position: a `moved` (also one that repeats the
   * same place: the user's app says it is still there), a join, or a snapshot naming a
   * new place. A snapshot or rename that repeats the known place keeps the time, so a
   * reconnect does not make an old position look fresh. Null without a position.
   */
  positionAt(email) {
    return this.#positionAt.get(email) ?? null;
  }

  /** Everyone online, self first, then by name and email. */
  all() {
    return [...this.#users.values()].sort((a, b) => {
      if (a.email === this.#selfEmail) return -1;
      if (b.email === this.#selfEmail) return 1;
      return a.name.localeCompare(b.name) || a.email.localeCompare(b.email);
    });
  }

  /** Replaces the whole state with a snapshot; users missing from it are removed. */
  reset({ self, users, initial }) {
    this.#selfEmail = self.email;
    const next = new Map(users.map((u) => [u.email, u]));
    next.set(self.email, next.get(self.email) ?? self);
    for (const [email, user] of this.#users) {
      if (!next.has(email)) {
        this.#users.delete(email);
        this.#positionAt.delete(email);
        this.emit("remove", { user, quiet: initial });
      }
    }
    for (const user of next.values()) this.#upsert(user, initial);
    this.emit("changed", {});
  }

  /**
   * Applies a delta; every part is idempotent. `changed` follows only a real change: a
   * position sent again (the same place) only renews its time.
   */
  apply({ joined, moved, left }) {
    let changed = false;
    for (const user of joined) changed = this.#upsert(user, false) || changed;
    for (const { email, latitude, longitude } of moved) {
      const user = this.#users.get(email);
      if (!user) continue;
      this.#positionAt.set(email, this.#now());
      changed = this.#upsert({ ...user, latitude, longitude }, false) || changed;
    }
    for (const email of left) {
      const user = this.#users.get(email);
      if (!user) continue;
      this.#users.delete(email);
      this.#positionAt.delete(email);
      this.emit("remove", { user, quiet: false });
      changed = true;
    }
    if (changed) this.emit("changed", {});
  }

  /** Whether the user is new or changed (an `upsert` was emitted). */
  #upsert(user, quiet) {
    const previous = this.#users.get(user.email) ?? null;
    if (user.latitude === null || user.longitude === null) this.#positionAt.delete(user.email);
    else if (!previous || !samePlace(previous, user) || !this.#positionAt.has(user.email)) {
      this.#positionAt.set(user.email, this.#now());
    }
    if (previous && sameUser(previous, user)) return false;
    this.#users.set(user.email, user);
    this.emit("upsert", { user, previous, quiet });
    return true;
  }
}

function samePlace(a, b) {
  return a.latitude === b.latitude && a.longitude === b.longitude;
}

function sameUser(a, b) {
  return a.name === b.name && samePlace(a, b) && a.inCall === b.inCall;
}
