// Awaited: one request that waits for the server's answer (a link code, a sign-out), settled
// once: by the answer, by a failure, or by what its timeout decides.

export class Awaited {
  /** `{ resolve, reject, timer }` while a request waits, else null. */
  #pending = null;

  /** Whether a request is waiting for its answer. */
  get waiting() {
    return this.#pending !== null;
  }

  /**
   * A promise for the answer. After `timeoutMs` without one, `onTimeout()` runs (the request
   * still waiting) and is expected to settle it with `resolve` or `reject`.
   */
  wait(timeoutMs, onTimeout) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(onTimeout, timeoutMs);
      this.#pending = { resolve, reject, timer };
    });
  }

  /** Settles the waiting request with `value`; false when none waits. */
  resolve(value) {
    const pending = this.#take();
    pending?.resolve(value);
    return pending !== null;
  }

  /** Fails the waiting request with `error`; false when none waits. */
  reject(error) {
    const pending = this.#take();
    pending?.reject(error);
    return pending !== null;
  }

  #take() {
    const pending = this.#pending;
    this.#pending = null;
    if (pending) clearTimeout(pending.timer);
    return pending;
  }
}
