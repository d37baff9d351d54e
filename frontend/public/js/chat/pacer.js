// The pacer: chat frames (messages, history requests, read markers, edits) leave in order
// at most at the server's chat rate, so that a resent outbox or a catch-up never earns
// `rate-limited` strikes. A frame that cannot leave now waits its turn; dropping the
// socket clears the queue (everything in it is asked again after the next welcome).

/**
 * Below the server's chat bucket (5 frames/s, a burst of 10: docs/SECURITY.md), with room
 * for the frames another part of the page sends meanwhile.
 */
export const CHAT_PACE = Object.freeze({ perSecond: 4, burst: 8 });

export class Pacer {
  #perMs;
  #burst;
  #tokens;
  #last;
  #queue = [];
  #timer = null;
  #now;
  #setTimer;
  #clearTimer;

  /** `clock`: `{ now, setTimeout, clearTimeout }` (tests pass a fake one). */
  constructor({ perSecond, burst } = CHAT_PACE, clock = globalThis) {
    this.#perMs = perSecond / 1000;
    this.#burst = burst;
    this.#tokens = burst;
    this.#now = () => (clock.now ? clock.now() : Date.now());
    this.#setTimer = (fn, ms) => clock.setTimeout(fn, ms);
    this.#clearTimer = (t) => clock.clearTimeout(t);
    this.#last = this.#now();
  }

  /** Queues `send` (a function returning whether the frame left); runs it in turn. */
  push(send) {
    this.#queue.push(send);
    this.#drain();
  }

  /** How many frames wait. */
  get waiting() {
    return this.#queue.length;
  }

  /** Forgets every waiting frame (the socket dropped). */
  clear() {
    this.#queue = [];
    if (this.#timer !== null) this.#clearTimer(this.#timer);
    this.#timer = null;
  }

  #drain() {
    this.#refill();
    while (this.#queue.length && this.#tokens >= 1) {
      const send = this.#queue.shift();
      if (send() !== false) this.#tokens -= 1;
    }
    if (this.#queue.length && this.#timer === null) {
      const waitMs = Math.ceil((1 - this.#tokens) / this.#perMs);
      this.#timer = this.#setTimer(() => {
        this.#timer = null;
        this.#drain();
      }, waitMs);
    }
  }

  #refill() {
    const now = this.#now();
    this.#tokens = Math.min(this.#burst, this.#tokens + (now - this.#last) * this.#perMs);
    this.#last = now;
  }
}
