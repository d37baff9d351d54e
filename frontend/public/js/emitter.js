// Emitter: the small event emitter the app's modules use to tell each other what happened.

/** Named events with plain-object details; a throwing handler never stops the others. */
export class Emitter {
  #handlers = new Map();

  /** Calls `handler(detail)` on every `type` event; returns a function that unsubscribes. */
  on(type, handler) {
    if (!this.#handlers.has(type)) this.#handlers.set(type, new Set());
    this.#handlers.get(type).add(handler);
    return () => this.#handlers.get(type)?.delete(handler);
  }

  emit(type, detail) {
    for (const handler of [...(this.#handlers.get(type) ?? [])]) {
      try {
        handler(detail);
      } catch (err) {
        console.error(`meetmap: a "${type}" handler failed`, err);
      }
    }
  }
}
