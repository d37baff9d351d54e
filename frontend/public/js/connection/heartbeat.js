// Heartbeat: the connection proved alive both ways. While registered, a `ping` goes out
// every interval and the server answers `pong`; when nothing at all comes back within the
// timeout of one, the link is dead (a silent network loss: no FIN, no close frame) and is
// dropped for a new one. Browsers cannot send WebSocket pings nor see the server's.

/** Between two pings. */
export const HEARTBEAT_INTERVAL_MS = 2000;
/** How long a ping waits for any frame before the link counts as dead. */
export const HEARTBEAT_TIMEOUT_MS = 4000;

/**
 * `send()` sends a ping (false when it could not), `onDead()` runs once when one went
 * unanswered. A dead link is noticed at most interval + timeout after it died (6 s).
 */
export class Heartbeat {
  #send;
  #onDead;
  #intervalMs;
  #timeoutMs;
  #ticker = null;
  /** Set while a ping waits for its answer. */
  #deadline = null;

  constructor({ send, onDead, intervalMs = HEARTBEAT_INTERVAL_MS, timeoutMs = HEARTBEAT_TIMEOUT_MS }) {
    this.#send = send;
    this.#onDead = onDead;
    this.#intervalMs = intervalMs;
    this.#timeoutMs = timeoutMs;
  }

  /** Starts beating (again, from now). */
  start() {
    this.stop();
    this.#ticker = setInterval(() => this.#beat(), this.#intervalMs);
  }

  /** A frame came: the link is alive, the ping waiting (if any) is answered. */
  heard() {
    clearTimeout(this.#deadline);
    this.#deadline = null;
  }

  stop() {
    clearInterval(this.#ticker);
    this.#ticker = null;
    this.heard();
  }

  #beat() {
    // One ping at a time: a late timer (a throttled tab) never counts a fresh one as lost.
    if (this.#deadline !== null || !this.#send()) return;
    this.#deadline = setTimeout(() => {
      this.stop();
      this.#onDead();
    }, this.#timeoutMs);
  }
}
