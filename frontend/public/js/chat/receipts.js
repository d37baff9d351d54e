// Read markers: what the user has seen, told to the server (`chat-read`) once the reading
// settles, one frame per conversation however many messages scrolled by.

/** How long the seen marker waits for more before it is sent. */
export const READ_DEBOUNCE_MS = 500;

export class ReadMarkers {
  /** conversation → the highest id seen, not yet sent */
  #unsent = new Map();
  #timer = null;
  #send;
  #clock;

  /** `send(conversation, upTo)`: sends one marker (false when it could not leave). */
  constructor(send, clock = globalThis) {
    this.#send = send;
    this.#clock = clock;
  }

  /** Everything up to `upTo` in `conversation` was seen. */
  seen(conversation, upTo) {
    if (upTo <= (this.#unsent.get(conversation) ?? 0)) return;
    this.#unsent.set(conversation, upTo);
    if (this.#timer === null) {
      this.#timer = this.#clock.setTimeout(() => this.flush(), READ_DEBOUNCE_MS);
    }
  }

  /** Sends every waiting marker now; those that could not leave wait for the next flush. */
  flush() {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    for (const [conversation, upTo] of [...this.#unsent]) {
      if (this.#send(conversation, upTo) !== false) this.#unsent.delete(conversation);
    }
  }
}
