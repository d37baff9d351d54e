// Chat frames (docs/PROTOCOL.md, "chat" and the `chat-…` types) to plain events and back:
// the part of the wire codec (codec.js) that reads and writes durable chat.

/**
 * One chat message as the app holds it: `{ id, from, name, text, to, sentAt, clientId,
 * editedAt, deleted, delivered, read }` (`to` null for the room; `clientId`, `editedAt`
 * null when absent; the flags false). Used for live `chat` frames and history pages alike.
 */
export function readMessage(m) {
  return {
    id: Number(m?.id),
    from: String(m?.from ?? ""),
    name: String(m?.name ?? m?.from ?? ""),
    text: String(m?.text ?? ""),
    to: typeof m?.to === "string" ? m.to : null,
    sentAt: Number(m?.sentAt) || Date.now(),
    clientId: typeof m?.clientId === "string" ? m.clientId : null,
    editedAt: wholeOrNull(m?.editedAt),
    deleted: m?.deleted === true,
    delivered: m?.delivered === true,
    read: m?.read === true,
  };
}

/** The messages of a `chats` frame or a history page: those with an id, read. */
function readMessages(value) {
  return list(value)
    .filter((x) => x && typeof x === "object" && wholeOrNull(x.id) !== null)
    .map(readMessage);
}

/** The readers of the server's chat frames, by type (see `decode` in codec.js). */
export const CHAT_READERS = {
  chat: (m) => ({ event: "chat", ...readMessage(m) }),
  // A commit's room messages in one frame: each read as a `chat` is.
  chats: (m) => ({ event: "chats", messages: readMessages(m.messages) }),
  "chat-ack": (m) => {
    if (typeof m.clientId !== "string" || wholeOrNull(m.id) === null) return invalid(m.type, "no clientId or id");
    return { event: "chat-ack", clientId: m.clientId, id: m.id, sentAt: Number(m.sentAt) || Date.now(), duplicate: m.duplicate === true };
  },
  "chat-history": (m) => ({
    event: "chat-history",
    conversation: typeof m.conversation === "string" ? m.conversation : null,
    messages: readMessages(m.messages),
    more: m.more === true,
    cursor: wholeOrNull(m.cursor),
  }),
  "chat-receipt": (m) => {
    if (typeof m.conversation !== "string" || wholeOrNull(m.upTo) === null) return invalid(m.type, "no conversation or upTo");
    if (m.state !== "delivered" && m.state !== "read") return invalid(m.type, "unknown state");
    return { event: "chat-receipt", conversation: m.conversation, state: m.state, upTo: m.upTo };
  },
  "chat-read": (m) => {
    if (typeof m.conversation !== "string" || wholeOrNull(m.upTo) === null) return invalid(m.type, "no conversation or upTo");
    return { event: "chat-read", conversation: m.conversation, upTo: m.upTo };
  },
  typing: (m) => {
    if (typeof m.from !== "string") return invalid(m.type, "no sender");
    return { event: "typing", from: m.from, name: String(m.name ?? m.from), to: typeof m.to === "string" ? m.to : null };
  },
  "chat-conversations": (m) => ({
    event: "chat-conversations",
    conversations: list(m.conversations)
      .filter((c) => c && typeof c.conversation === "string")
      .map(readSummary),
  }),
};

/**
 * One entry of `chat-conversations`: `{ conversation, name, lastId, lastAt, unread,
 * readUpTo, peerReadUpTo, peerDeliveredUpTo }` (`name` null for the room; the marks 0
 * when absent).
 */
function readSummary(c) {
  return {
    conversation: c.conversation,
    name: typeof c.name === "string" ? c.name : null,
    lastId: wholeOrNull(c.lastId) ?? 0,
    lastAt: wholeOrNull(c.lastAt) ?? 0,
    unread: wholeOrNull(c.unread) ?? 0,
    readUpTo: wholeOrNull(c.readUpTo) ?? 0,
    peerReadUpTo: wholeOrNull(c.peerReadUpTo) ?? 0,
    peerDeliveredUpTo: wholeOrNull(c.peerDeliveredUpTo) ?? 0,
  };
}

/** A chat message to the room, or to one user with `to`; `clientId` asks for an ack. */
export function encodeChat(text, to, clientId) {
  const frame = { type: "chat", text };
  if (to) frame.to = to;
  if (clientId) frame.clientId = clientId;
  return JSON.stringify(frame);
}

/**
 * A history request: `{ conversation, after, before, limit }`, each left out when not set
 * (`after` alone: every change since that cursor; `before`: the page older than that id;
 * neither: the latest page).
 */
export function encodeChatHistory({ conversation, after, before, limit } = {}) {
  const frame = { type: "chat-history" };
  if (conversation) frame.conversation = conversation;
  if (after !== undefined && after !== null) frame.after = after;
  if (before !== undefined && before !== null) frame.before = before;
  if (limit) frame.limit = limit;
  return JSON.stringify(frame);
}

/** A new text for one's own message `id`. */
export function encodeChatEdit(id, text) {
  return JSON.stringify({ type: "chat-edit", id, text });
}

/** Deletes one's own message `id`. */
export function encodeChatDelete(id) {
  return JSON.stringify({ type: "chat-delete", id });
}

/** Everything up to message `upTo` of `conversation` was seen; `receipt` tells the sender. */
export function encodeChatRead(conversation, upTo, receipt) {
  return JSON.stringify({ type: "chat-read", conversation, upTo, receipt: Boolean(receipt) });
}

/** "I am typing", in the room (`to` null) or to one user. */
export function encodeTyping(to) {
  return JSON.stringify(to ? { type: "typing", to } : { type: "typing" });
}

/** Asks for the list of the user's conversations in the room. */
export function encodeChatConversations() {
  return JSON.stringify({ type: "chat-conversations" });
}

function wholeOrNull(value) {
  return Number.isSafeInteger(value) ? value : null;
}

function list(value) {
  return Array.isArray(value) ? value : [];
}

function invalid(type, problem) {
  return { event: "invalid", type, problem };
}
