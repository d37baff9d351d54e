// Typing hints: sending ours at most every few seconds while the input changes, and
// showing others' ("Bob is typing…") until their message arrives or they go quiet.

/** At most one hint per conversation this often while typing. */
export const TYPING_SEND_EVERY_MS = 3000;
/** A hint shows this long unless a new one comes. */
export const TYPING_SHOWN_MS = 5000;

/** When to send our own hint: `shouldSend(conversation)` on each change of the input. */
export class TypingSender {
  #lastSent = new Map();
  #now;

  constructor(now = () => Date.now()) {
    this.#now = now;
  }

  /** Whether to send a hint for `conversation` now (and, if so, counts it as sent). */
  shouldSend(conversation) {
    const now = this.#now();
    const last = this.#lastSent.get(conversation);
    if (last !== undefined && now - last < TYPING_SEND_EVERY_MS) return false;
    this.#lastSent.set(conversation, now);
    return true;
  }

  /** Our message went: the next keystroke is news again. */
  sent(conversation) {
    this.#lastSent.delete(conversation);
  }
}

/** Who is typing where; `onChange(conversation)` when that changes. */
export class TypingShown {
  /** conversation → email → `{ name, timer }` */
  #typing = new Map();
  #onChange;
  #clock;

  constructor(onChange, clock = globalThis) {
    this.#onChange = onChange;
    this.#clock = clock;
  }

  /** `email` (`name`) is typing in `conversation`. */
  heard(conversation, email, name) {
    const here = this.#typing.get(conversation) ?? new Map();
    this.#typing.set(conversation, here);
    const previous = here.get(email);
    if (previous) this.#clock.clearTimeout(previous.timer);
    const timer = this.#clock.setTimeout(() => this.stopped(conversation, email), TYPING_SHOWN_MS);
    here.set(email, { name, timer });
    if (!previous) this.#onChange(conversation);
  }

  /** `email` stopped (their message arrived, or the hint ran out). */
  stopped(conversation, email) {
    const here = this.#typing.get(conversation);
    const entry = here?.get(email);
    if (!entry) return;
    this.#clock.clearTimeout(entry.timer);
    here.delete(email);
    this.#onChange(conversation);
  }

  /** What to show under the log of `conversation`, or "" when nobody types. */
  text(conversation) {
    const names = [...(this.#typing.get(conversation)?.values() ?? [])].map((e) => e.name);
    if (names.length === 0) return "";
    if (names.length === 1) return `${names[0]} is typing…`;
    if (names.length === 2) return `${names[0]} and ${names[1]} are typing…`;
    return "Several people are typing…";
  }
}
