// The outbox: messages written but not yet acked by the server, in the order written, kept
// in localStorage (saved.js) so that a reload or a dropped socket loses none. Each has its
// own client id, so a resend after a reconnect is never stored twice (the server acks a
// repeat as a duplicate). A refused one stays, marked failed, until retried or deleted.

/**
 * A client id: a UUIDv7 (RFC 9562), 36 characters of `[0-9a-f-]` within the server's
 * `[A-Za-z0-9_-]{1,64}`. Its first 48 bits are the time in milliseconds, so that the ids
 * of messages sent one after another sort together in the server's dedupe index (a
 * random one would land on a page of its own there).
 */
export function newClientId(now = Date.now()) {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = Math.max(0, Math.floor(now));
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = (bytes[6] & 0x0f) | 0x70; // version 7
  bytes[8] = (bytes[8] & 0x3f) | 0x80; // the RFC's variant
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
}

const SAVED_NAME = "outbox";

/**
 * An entry: `{ clientId, text, to, createdAt, failure }`, `to` null for the room,
 * `failure` null or `{ reason, message }` (the server's refusal).
 */
export class Outbox {
  #saved;
  #entries;
  /** Whether the last save reached storage (false: kept in memory only). */
  #persisted = true;

  /** `saved`: a SavedChat (or anything with `read`/`write`). */
  constructor(saved) {
    this.#saved = saved;
    this.#entries = [];
    this.#refresh();
  }

  /**
   * Storage is the truth while it works: other tabs of the same user share this outbox,
   * so every change starts from what is stored (else one tab's save drops the other's).
   */
  #refresh() {
    if (this.#persisted) this.#entries = this.#saved.read(SAVED_NAME, []).filter(isEntry);
  }

  /** Adds a message to send; returns its entry. */
  add(text, to, { clientId = newClientId(), now = Date.now() } = {}) {
    this.#refresh();
    const entry = { clientId, text, to: to || null, createdAt: now, failure: null };
    this.#entries.push(entry);
    this.#save();
    return { ...entry };
  }

  /** Whether the last change reached localStorage (else it survives reconnects, not reloads). */
  get persisted() {
    return this.#persisted;
  }

  has(clientId) {
    this.#refresh();
    return this.#entries.some((e) => e.clientId === clientId);
  }

  get(clientId) {
    this.#refresh();
    const entry = this.#entries.find((e) => e.clientId === clientId);
    return entry ? { ...entry } : null;
  }

  /** Every entry, in the order written. */
  all() {
    this.#refresh();
    return this.#entries.map((e) => ({ ...e }));
  }

  /** The entries to (re)send: not failed, in the order written. */
  pending() {
    return this.all().filter((e) => e.failure === null);
  }

  /** The server stored it: removed; returns the entry, or null when it was not here. */
  ack(clientId) {
    const entry = this.get(clientId);
    if (entry) this.remove(clientId);
    return entry;
  }

  /** The server refused it: kept, marked failed with the reason. */
  fail(clientId, reason, message) {
    this.#refresh();
    const entry = this.#entries.find((e) => e.clientId === clientId);
    if (!entry) return false;
    entry.failure = { reason, message };
    this.#save();
    return true;
  }

  /** To be sent again: no longer failed. Returns the entry, or null. */
  retry(clientId) {
    this.#refresh();
    const entry = this.#entries.find((e) => e.clientId === clientId);
    if (!entry) return null;
    entry.failure = null;
    this.#save();
    return { ...entry };
  }

  /** Forgets an entry (deleted by the user, or acked). */
  remove(clientId) {
    this.#refresh();
    const before = this.#entries.length;
    this.#entries = this.#entries.filter((e) => e.clientId !== clientId);
    if (this.#entries.length !== before) this.#save();
  }

  #save() {
    this.#persisted = this.#saved.write(SAVED_NAME, this.#entries);
  }
}

function isEntry(e) {
  return (
    e &&
    typeof e.clientId === "string" &&
    typeof e.text === "string" &&
    (e.to === null || typeof e.to === "string") &&
    (e.failure === null || (typeof e.failure === "object" && typeof e.failure.reason === "string"))
  );
}
