// The conversation model: the room and each direct conversation, with its messages by id
// (upserted: a new message, an edit and a delete are one shape), what the user has read,
// what the other person received and read, and the unread count. Pure: no DOM, no socket.

/** The room's conversation key (on the wire too); a direct one's is the other's email. */
export const ROOM = "room";

/** The conversation `message` belongs to, seen by `self`. */
export function conversationOf(message, self) {
  if (message.to === null) return ROOM;
  return message.from === self ? message.to : message.from;
}

/** One conversation's state; only `Conversations` touches it. */
function blank(key, name) {
  return {
    key,
    name,
    messages: new Map(),
    readUpTo: 0,
    peerReadUpTo: 0,
    peerDeliveredUpTo: 0,
    lastId: 0,
    lastAt: 0,
    /** Unread messages the server counted that this page does not hold. */
    unheldUnread: 0,
    /** Up to which id the server's count covers. */
    countedUpTo: 0,
    /** Whether its latest page was asked for on this page (its log is then contiguous). */
    loaded: false,
    /** Whether paging back reached its first message. */
    beginning: false,
  };
}

export class Conversations {
  #self;
  #byKey = new Map([[ROOM, blank(ROOM, null)]]);

  constructor(self) {
    this.#self = self;
  }

  /** Sets who "self" is (the welcome's email). */
  setSelf(email) {
    this.#self = email;
  }

  /** The conversation keys for the list: the room first, then the latest active first. */
  keys() {
    const direct = [...this.#byKey.values()].filter((c) => c.key !== ROOM);
    direct.sort((a, b) => b.lastId - a.lastId || (a.name ?? a.key).localeCompare(b.name ?? b.key));
    return [ROOM, ...direct.map((c) => c.key)];
  }

  has(key) {
    return this.#byKey.has(key);
  }

  /** Adds a direct conversation (picked from the people list) if it is not listed yet. */
  ensure(key, name = null) {
    let c = this.#byKey.get(key);
    if (!c) {
      c = blank(key, name);
      this.#byKey.set(key, c);
    } else if (name && key !== ROOM) {
      c.name = name;
    }
    return key;
  }

  /** The name shown for a direct conversation (the other's last known name), or null. */
  nameOf(key) {
    return this.#byKey.get(key)?.name ?? null;
  }

  /**
   * Adds or replaces a message (by `id`). Returns `{ conversation, added }`, `added` true
   * when this page did not hold the message before.
   */
  upsert(message) {
    const key = this.ensure(conversationOf(message, this.#self));
    const c = this.#byKey.get(key);
    const mine = message.from === this.#self;
    if (!mine && key !== ROOM) c.name = message.name;
    const added = !c.messages.has(message.id);
    c.messages.set(message.id, { ...message });
    if (message.id > c.lastId) {
      c.lastId = message.id;
      c.lastAt = message.sentAt;
    }
    if (mine && message.delivered) c.peerDeliveredUpTo = Math.max(c.peerDeliveredUpTo, message.id);
    if (mine && message.read) c.peerReadUpTo = Math.max(c.peerReadUpTo, message.id);
    // A message the server's count already covered is now held: not counted twice.
    if (added && !mine && message.id > c.readUpTo && message.id <= c.countedUpTo && c.unheldUnread > 0) {
      c.unheldUnread -= 1;
    }
    return { conversation: key, added };
  }

  /**
   * Forgets the messages older than `id` (a latest page with more before it: what was held
   * below it is not contiguous with it, and paging back brings it again).
   */
  dropOlderThan(key, id) {
    const c = this.#byKey.get(key);
    for (const held of [...(c?.messages.keys() ?? [])]) if (held < id) c.messages.delete(held);
  }

  /** Whether the page holds message `id` of conversation `key`. */
  holds(key, id) {
    return this.#byKey.get(key)?.messages.has(id) ?? false;
  }

  /** The message `id` wherever it is, or null. */
  find(id) {
    for (const c of this.#byKey.values()) {
      const m = c.messages.get(id);
      if (m) return { conversation: c.key, message: { ...m } };
    }
    return null;
  }

  /** A conversation's messages in ascending id order. */
  messages(key) {
    const c = this.#byKey.get(key);
    if (!c) return [];
    return [...c.messages.values()].sort((a, b) => a.id - b.id).map((m) => ({ ...m }));
  }

  /** The smallest and largest ids held, or null when it holds none. */
  oldestId(key) {
    const ids = [...(this.#byKey.get(key)?.messages.keys() ?? [])];
    return ids.length ? Math.min(...ids) : null;
  }

  newestId(key) {
    const ids = [...(this.#byKey.get(key)?.messages.keys() ?? [])];
    return ids.length ? Math.max(...ids) : null;
  }

  /** The largest id of a message from someone else, or 0. */
  newestFromOthers(key) {
    let newest = 0;
    for (const m of this.#byKey.get(key)?.messages.values() ?? []) {
      if (m.from !== this.#self && m.id > newest) newest = m.id;
    }
    return newest;
  }

  /** Unread messages of a conversation: from others, after what the user has read. */
  unread(key) {
    const c = this.#byKey.get(key);
    if (!c) return 0;
    let count = c.unheldUnread;
    for (const m of c.messages.values()) {
      if (m.from !== this.#self && m.id > c.readUpTo && !m.deleted) count += 1;
    }
    return count;
  }

  totalUnread() {
    let total = 0;
    for (const key of this.#byKey.keys()) total += this.unread(key);
    return total;
  }

  /** Moves the read marker forward to `upTo`; true when it moved. */
  markRead(key, upTo) {
    const c = this.#byKey.get(key);
    if (!c || upTo <= c.readUpTo) return false;
    c.readUpTo = upTo;
    if (upTo >= c.countedUpTo) c.unheldUnread = 0;
    return true;
  }

  readUpTo(key) {
    return this.#byKey.get(key)?.readUpTo ?? 0;
  }

  /** A `chat-receipt`: the other person received (`delivered`) or read messages up to `upTo`. */
  receipt(key, state, upTo) {
    const c = this.#byKey.get(key);
    if (!c) return;
    if (state === "read") c.peerReadUpTo = Math.max(c.peerReadUpTo, upTo);
    c.peerDeliveredUpTo = Math.max(c.peerDeliveredUpTo, upTo);
  }

  /** What the sender sees of their own message: `sent`, `delivered` or `read`. */
  stateOf(key, message) {
    const c = this.#byKey.get(key);
    if (!c || key === ROOM || message.from !== this.#self) return "sent";
    if (message.read || message.id <= c.peerReadUpTo) return "read";
    if (message.delivered || message.id <= c.peerDeliveredUpTo) return "delivered";
    return "sent";
  }

  /** The server's list (`chat-conversations`): names, markers and unread counts. */
  applySummaries(summaries) {
    for (const s of summaries) {
      const key = this.ensure(s.conversation, s.name);
      const c = this.#byKey.get(key);
      c.readUpTo = Math.max(c.readUpTo, s.readUpTo);
      c.peerReadUpTo = Math.max(c.peerReadUpTo, s.peerReadUpTo);
      c.peerDeliveredUpTo = Math.max(c.peerDeliveredUpTo, s.peerDeliveredUpTo, s.peerReadUpTo);
      if (s.lastId > c.lastId) {
        c.lastId = s.lastId;
        c.lastAt = s.lastAt;
      }
      let held = 0;
      for (const m of c.messages.values()) {
        if (m.from !== this.#self && m.id > c.readUpTo && m.id <= s.lastId && !m.deleted) held += 1;
      }
      c.countedUpTo = s.lastId;
      c.unheldUnread = Math.max(0, s.unread - held);
    }
  }

  /** Loading state: the latest page asked for, and whether paging back reached the start. */
  markLoaded(key) {
    this.#byKey.get(this.ensure(key)).loaded = true;
  }

  isLoaded(key) {
    return this.#byKey.get(key)?.loaded ?? false;
  }

  markBeginning(key) {
    this.#byKey.get(this.ensure(key)).beginning = true;
  }

  atBeginning(key) {
    return this.#byKey.get(key)?.beginning ?? false;
  }
}
