// Call events in the conversations: a missed call is recorded in the direct conversation
// with the caller ("Missed call from Ann, 14:02", with Call back) and counts as unread
// there until the conversation has been seen. They are this browser's own record (the
// server keeps no calls), kept in localStorage beside the chat's outbox and cursor.
// Pure: no DOM, no socket.

/** How many call events are kept (the oldest go first). */
export const MAX_CALL_EVENTS = 100;
const SAVED_NAME = "calls";

/**
 * The call events of one user in one room: `{ id, conversation, name, kind, at, seen }`
 * where `conversation` is the other person's email, `name` their name then, `kind`
 * `missed` (or `busy`: they called while the user was in another call), `at` epoch ms.
 */
export class CallEvents {
  #saved;
  #events;

  /** `saved`: a `SavedChat` (or anything with `read(name, fallback)` and `write(name, value)`). */
  constructor(saved) {
    this.#saved = saved;
    const kept = saved.read(SAVED_NAME, []);
    this.#events = Array.isArray(kept) ? kept.filter(valid) : [];
  }

  /** Records an event; returns it, or null when it was already recorded (same id). */
  add({ id, conversation, name, kind, at }) {
    const event = { id: String(id), conversation, name, kind, at, seen: false };
    if (!valid(event) || this.#events.some((e) => e.id === event.id)) return null;
    this.#events.push(event);
    this.#events.sort((a, b) => a.at - b.at);
    if (this.#events.length > MAX_CALL_EVENTS) this.#events.splice(0, this.#events.length - MAX_CALL_EVENTS);
    this.#save();
    return event;
  }

  /** The events of a conversation, oldest first (copies). */
  of(conversation) {
    return this.#events.filter((e) => e.conversation === conversation).map((e) => ({ ...e }));
  }

  /** The conversations that have call events, each with the latest name: `[{ conversation, name }]`. */
  conversations() {
    const names = new Map();
    for (const e of this.#events) names.set(e.conversation, e.name);
    return [...names].map(([conversation, name]) => ({ conversation, name }));
  }

  /** How many events of a conversation are not seen yet. */
  unseen(conversation) {
    return this.#events.filter((e) => e.conversation === conversation && !e.seen).length;
  }

  /** Every event of a conversation is seen; true when one was not. */
  markSeen(conversation) {
    let changed = false;
    for (const e of this.#events) {
      if (e.conversation === conversation && !e.seen) {
        e.seen = true;
        changed = true;
      }
    }
    if (changed) this.#save();
    return changed;
  }

  #save() {
    this.#saved.write(SAVED_NAME, this.#events);
  }
}

function valid(e) {
  return (
    e !== null && typeof e === "object" && typeof e.id === "string" && typeof e.conversation === "string" &&
    e.conversation !== "" && typeof e.name === "string" && typeof e.kind === "string" && Number.isFinite(e.at)
  );
}

/**
 * Puts each call event among `items` (the log's message items, in order) before the first
 * message sent after it; the rest go after the stored messages, before the unsent ones.
 */
export function interleave(items, events) {
  const out = [];
  let next = 0;
  for (const item of items) {
    const unsent = !item.message.id;
    while (next < events.length && (unsent || events[next].at < item.message.sentAt)) out.push({ callEvent: events[next++] });
    out.push(item);
  }
  while (next < events.length) out.push({ callEvent: events[next++] });
  return out;
}
