// Call timer: how long the call has lasted (#call-timer, "4:05", "1:02:03"), from the first
// moment the user was in it with someone until it ends.

const TICK_MS = 1000;

/** "0:07", "4:05", "1:02:03" for a duration in ms. */
export function formatDuration(ms) {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = String(total % 60).padStart(2, "0");
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, "0")}:${seconds}` : `${minutes}:${seconds}`;
}

export class CallTimer {
  #node;
  #startedAt = null;
  #timer = null;

  /** `node`: the #call-timer element. */
  constructor(node) {
    this.#node = node;
  }

  /** Starts counting, unless it already counts. */
  start() {
    if (this.#startedAt !== null) return;
    this.#startedAt = Date.now();
    this.#node.hidden = false;
    this.#show();
    this.#timer = setInterval(() => this.#show(), TICK_MS);
  }

  /** Stops counting; the last duration stays shown until `reset()`. */
  stop() {
    clearInterval(this.#timer);
    this.#timer = null;
    this.#startedAt = null;
  }

  reset() {
    this.stop();
    this.#node.hidden = true;
    this.#node.textContent = "";
  }

  #show() {
    this.#node.textContent = formatDuration(Date.now() - this.#startedAt);
  }
}
