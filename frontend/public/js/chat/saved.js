// What the chat keeps in localStorage, per (server, room, email): the outbox, the history
// cursor and the "send read receipts" setting. Storage can fail (private mode, full): then
// the chat works from memory and says nothing.

const PREFIX = "meetmap.chat";

/**
 * The storage of one user's chat in one room of one server: `read(name)` / `write(name,
 * value)` of JSON values. `storage` is a `localStorage`-like object (tests pass a Map-backed
 * one); `server` the backend's URL.
 */
export class SavedChat {
  #storage;
  #scope;

  constructor(storage, { server, room, email }) {
    this.#storage = storage;
    this.#scope = JSON.stringify([server, room, email]);
  }

  /** The value saved under `name`, or `fallback` when none (or unreadable). */
  read(name, fallback) {
    try {
      const text = this.#storage?.getItem(this.#key(name));
      return text === null || text === undefined ? fallback : JSON.parse(text);
    } catch {
      return fallback;
    }
  }

  /** Saves `value` under `name` (null removes it); false when storage refused. */
  write(name, value) {
    try {
      if (value === null) this.#storage?.removeItem(this.#key(name));
      else this.#storage?.setItem(this.#key(name), JSON.stringify(value));
      return Boolean(this.#storage);
    } catch {
      return false;
    }
  }

  #key(name) {
    return `${PREFIX}.${name}:${this.#scope}`;
  }
}

/** The setting "send read receipts", one per browser (on by default). */
const RECEIPTS_KEY = "meetmap.chat.receipts";

export function loadReceiptsSetting(storage) {
  try {
    return storage?.getItem(RECEIPTS_KEY) !== "off";
  } catch {
    return true;
  }
}

export function saveReceiptsSetting(storage, on) {
  try {
    storage?.setItem(RECEIPTS_KEY, on ? "on" : "off");
  } catch {
    // Kept for this page only.
  }
}
