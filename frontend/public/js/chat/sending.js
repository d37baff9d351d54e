// Sending: new messages through the outbox (kept until acked, resent after every welcome,
// in order, at the pacer's rate), automatic retries of what the server was too busy for,
// failures kept with their reason, and edits and deletes waiting for the server's word.

import { Outbox } from "./outbox.js";
import { Pacer } from "./pacer.js";

/** How long a rate-limited or not-stored message waits before it is sent again. */
export const RETRY_DELAY_MS = 2000;
/** Refusals that mean "later": the message is sent again by itself. */
const TRY_AGAIN = new Set(["rateLimited", "storeUnavailable", "internal"]);
/** Refusals that mean "after the next welcome". */
const AFTER_WELCOME = new Set(["notRegistered"]);

export class Sending {
  #conn;
  #outbox;
  #pacer;
  /** clientId → timer of its automatic retry */
  #retrying = new Map();
  /** Edits and deletes sent and not yet seen done: `{ id, kind }`, oldest first. */
  #changes = [];
  #onChange;

  /** `onChange()` after anything the log shows of the outbox changed. */
  constructor({ connection, saved, onChange, pacer = new Pacer() }) {
    this.#conn = connection;
    this.#outbox = new Outbox(saved);
    this.#pacer = pacer;
    this.#onChange = onChange;
  }

  /** Queues a chat frame (`send` returns whether it left) behind the others, at the chat rate. */
  pace(send) {
    this.#pacer.push(send);
  }

  /** A new message: in the outbox first, then sent. Returns its entry. */
  send(text, to) {
    const entry = this.#outbox.add(text, to);
    this.#transmit(entry);
    this.#onChange();
    return entry;
  }

  /** The unsent messages of a conversation (`to` null for the room), with their state. */
  unsent(to) {
    return this.#outbox
      .all()
      .filter((e) => e.to === to)
      .map((e) => ({ entry: e, state: e.failure ? "failed" : this.#retrying.has(e.clientId) ? "retrying" : "sending" }));
  }

  /** Registered anew: everything unacked goes again, in order. */
  welcome() {
    for (const entry of this.#outbox.pending()) this.#transmit(entry);
  }

  /** The socket dropped: the paced frames are asked again after the next welcome. */
  dropped() {
    this.#pacer.clear();
    this.#changes = [];
  }

  /** The server stored `clientId` (an ack, or its own message delivered): the entry, or null. */
  stored(clientId) {
    this.#stopRetry(clientId);
    const entry = this.#outbox.ack(clientId);
    if (entry) this.#onChange();
    return entry;
  }

  /** A refusal naming `clientId`: retried later, or kept as failed. True when it was ours. */
  refused(clientId, reason, message) {
    if (!this.#outbox.has(clientId)) return false;
    if (AFTER_WELCOME.has(reason)) return true;
    if (TRY_AGAIN.has(reason)) {
      this.#stopRetry(clientId);
      this.#retrying.set(
        clientId,
        setTimeout(() => {
          const entry = this.#outbox.get(clientId);
          if (entry && !entry.failure) this.#transmit(entry);
        }, RETRY_DELAY_MS),
      );
    } else {
      this.#outbox.fail(clientId, reason, message);
    }
    this.#onChange();
    return true;
  }

  /** The user's Retry on a failed message. */
  retry(clientId) {
    const entry = this.#outbox.retry(clientId);
    if (entry) this.#transmit(entry);
    this.#onChange();
  }

  /** The user's Delete on an unsent message. */
  discard(clientId) {
    this.#stopRetry(clientId);
    this.#outbox.remove(clientId);
    this.#onChange();
  }

  /** Sends an edit (`text`) or a delete (`text` null) of one's own message `id`; false offline. */
  change(id, text) {
    if (!this.#conn.registered) return false;
    const kind = text === null ? "delete" : "edit";
    this.#changes.push({ id, kind });
    this.pace(() => (kind === "edit" ? this.#conn.editChat(id, text) : this.#conn.deleteChat(id)));
    return true;
  }

  /** Message `id` came back edited or deleted: its change is done. */
  changed(id) {
    this.#changes = this.#changes.filter((c) => c.id !== id);
  }

  /** A refusal without a client id: the oldest waiting edit or delete's, if one waits. */
  takeRefusedChange() {
    return this.#changes.shift() ?? null;
  }

  #transmit(entry) {
    this.pace(() => this.#conn.sendChat(entry.text, entry.to, entry.clientId));
  }

  #stopRetry(clientId) {
    clearTimeout(this.#retrying.get(clientId));
    this.#retrying.delete(clientId);
  }
}
