// History: what the page asks the server for and when. After every welcome, every change
// since the cursor (the row id the last answer covered, kept in localStorage); the latest
// page of a conversation the first time it is shown; older pages when the user scrolls up.
// One request per conversation at a time; the answers say what to upsert.

/** Messages per page asked for (the server's default; at most 200). */
export const PAGE_SIZE = 50;
/** Changes per catch-up page, and how many pages one welcome follows at most. */
export const CATCH_UP_PAGE = 200;
export const MAX_CATCH_UP_PAGES = 20;

const CURSOR = "cursor";
/** The key of the one catch-up request (`conversation` absent on the wire). */
const ALL = "";

export class History {
  #saved;
  #send;
  #cursor;
  /** conversation (or ALL) → `{ kind: "after" | "latest" | "before", after }` */
  #pending = new Map();
  #catchUpPages = 0;
  /** Whether every change up to the cursor is held: live messages may then move it. */
  #caughtUp = false;

  /** `saved`: a SavedChat; `send(query)`: sends a `chat-history` (false when it could not). */
  constructor(saved, send) {
    this.#saved = saved;
    this.#send = send;
    const cursor = saved.read(CURSOR, null);
    this.#cursor = Number.isSafeInteger(cursor) ? cursor : null;
  }

  get cursor() {
    return this.#cursor;
  }

  /** Whether a page of `conversation` is on its way. */
  loading(conversation) {
    return this.#pending.has(conversation);
  }

  /** Registered anew: catches up from the cursor (the answers of before the drop are lost). */
  welcome() {
    this.#pending.clear();
    this.#caughtUp = false;
    this.#catchUpPages = 0;
    if (this.#cursor !== null) this.#ask(ALL, { kind: "after", after: this.#cursor }, { after: this.#cursor, limit: CATCH_UP_PAGE });
    else this.#caughtUp = true;
  }

  /** The socket dropped: nothing is on its way any more. */
  dropped() {
    this.#pending.clear();
    this.#caughtUp = false;
  }

  /**
   * A page request was refused (`unknown-conversation`, `unknown-message`: the error names
   * none): every page on its way is given up. Returns the conversations whose older page
   * was refused (paging back there stops: asking again would be refused again).
   */
  refused() {
    const older = [];
    for (const [key, request] of [...this.#pending]) {
      if (request.kind === "after") continue;
      this.#pending.delete(key);
      if (request.kind === "before") older.push(key);
    }
    return older;
  }

  /** Asks for the latest page of `conversation`. */
  loadLatest(conversation) {
    if (this.#pending.has(conversation)) return false;
    return this.#ask(conversation, { kind: "latest" }, { conversation, limit: PAGE_SIZE });
  }

  /** Asks for the page just older than message `before` of `conversation`. */
  loadOlder(conversation, before) {
    if (this.#pending.has(conversation)) return false;
    return this.#ask(conversation, { kind: "before" }, { conversation, before, limit: PAGE_SIZE });
  }

  /** A live message arrived: once caught up, the cursor follows it. */
  live(message) {
    if (this.#caughtUp && message.editedAt === null && !message.deleted) this.#advance(message.id);
  }

  /**
   * A `chat-history` answer. Returns `{ kind, conversation, messages, more, after }` for
   * the chat to apply (`after`: the cursor a catch-up started from), or null when no request
   * of this page waits for it.
   */
  answer({ conversation, messages, more, cursor }) {
    const key = conversation ?? ALL;
    const request = this.#pending.get(key);
    if (!request) return null;
    this.#pending.delete(key);
    if (request.kind === "after") {
      if (cursor !== null) this.#advance(cursor);
      this.#catchUpPages += 1;
      if (more && this.#catchUpPages < MAX_CATCH_UP_PAGES) {
        this.#ask(ALL, { kind: "after", after: this.#cursor }, { after: this.#cursor, limit: CATCH_UP_PAGE });
      } else {
        this.#caughtUp = true;
      }
    } else if (this.#cursor === null && cursor !== null) {
      // A page from nothing: later catch-ups start from the store's latest row then.
      this.#advance(cursor);
      this.#caughtUp = true;
    }
    return { kind: request.kind, conversation: conversation ?? null, messages, more, after: request.after ?? null };
  }

  #ask(key, request, query) {
    this.#pending.set(key, request);
    const sent = this.#send(query);
    if (sent === false) this.#pending.delete(key);
    return sent !== false;
  }

  #advance(cursor) {
    if (this.#cursor !== null && cursor <= this.#cursor) return;
    this.#cursor = cursor;
    this.#saved.write(CURSOR, cursor);
  }
}
