// Where people are as this page knows it: the distance from you and how long ago each
// position was updated, in words, and whether it is stale (older than twice the position
// interval, so a live app would have sent a newer one). Pure but for the presence and the
// clock it is given; the list and the map both show what `describe` says.

import { distanceM } from "../position.js";

/** A position older than this many position intervals is drawn as stale. */
export const STALE_INTERVALS = 2;
/** The quickest and slowest the ages on screen are refreshed. */
const MIN_REFRESH_MS = 500;
const MAX_REFRESH_MS = 10_000;
/** Below this age a position is "updated just now". */
const JUST_NOW_MS = 10_000;

/** How often ages and staleness are redrawn for a position interval of `intervalMs`. */
export function refreshEveryMs(intervalMs) {
  return Math.min(MAX_REFRESH_MS, Math.max(MIN_REFRESH_MS, Math.round(intervalMs / 2)));
}

/** A distance in metres in words: "8 m", "350 m", "1.2 km", "344 km". */
export function formatDistance(metres) {
  if (!Number.isFinite(metres)) return "";
  if (metres < 1000) return `${Math.max(0, Math.round(metres))} m`;
  if (metres < 10_000) return `${(metres / 1000).toFixed(1)} km`;
  return `${Math.round(metres / 1000).toLocaleString("en")} km`;
}

/**
 * An age in milliseconds in words: "updated just now" (younger than `justNowMs`),
 * "updated 40 s ago", "updated 3 min ago".
 */
export function formatAge(ms, justNowMs = JUST_NOW_MS) {
  if (!Number.isFinite(ms)) return "";
  if (ms < justNowMs) return "updated just now";
  const seconds = Math.floor(ms / 1000);
  if (seconds < 60) return `updated ${seconds} s ago`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `updated ${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `updated ${hours} h ago`;
  return `updated ${Math.floor(hours / 24)} days ago`;
}

/**
 * What is said of each person's position. `presence` is the room's Presence (users and
 * `positionAt(email)`), `intervalMs` the position interval, `now` the clock.
 */
export class Places {
  #presence;
  #intervalMs;
  #now;

  constructor(presence, { intervalMs, now = () => Date.now() }) {
    this.#presence = presence;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  get staleAfterMs() {
    return STALE_INTERVALS * this.#intervalMs;
  }

  /**
   * `{ hasPosition, distanceM, distance, age, stale, summary }` for `email`: the distance
   * from the user (null for the user and while the user has no position), the age in
   * words, whether it is stale, and both in one line for the list and the popups.
   */
  describe(email) {
    const user = this.#presence.get(email);
    if (!hasPosition(user)) return NOWHERE;
    const selfEmail = this.#presence.selfEmail;
    const self = this.#presence.get(selfEmail);
    const metres = email !== selfEmail && hasPosition(self) ? distanceM(self, user) : null;
    const at = this.#presence.positionAt(email);
    const ageMs = at === null ? null : Math.max(0, this.#now() - at);
    const distance = metres === null ? "" : formatDistance(metres);
    // A stale position is never "just now", however short the interval.
    const age = ageMs === null ? "" : formatAge(ageMs, Math.min(JUST_NOW_MS, this.staleAfterMs));
    const stale = ageMs !== null && ageMs > this.staleAfterMs;
    const summary = [distance && `${distance} away`, age].filter(Boolean).join(" · ");
    return { hasPosition: true, distanceM: metres, distance, age, stale, summary };
  }
}

const NOWHERE = Object.freeze({
  hasPosition: false,
  distanceM: null,
  distance: "",
  age: "",
  stale: false,
  summary: "",
});

export function hasPosition(user) {
  return Boolean(user) && user.latitude !== null && user.longitude !== null;
}
