// Chat: the conversations (the room and each direct one) with their own logs, unread
// counts, history, typing hints and read receipts, wired to the connection's chat events.
// The parts: conversations.js (the model), sending.js (outbox, pacing, retries),
// history.js (cursor and pages), receipts.js, typing.js, call-events.js (missed calls);
// the views: conversation-list.js,
// log-view.js (message-view.js), composer.js.

import { notify } from "../notifications.js";
import { byId, showUnread } from "../ui.js";
import { CallEvents, interleave } from "./call-events.js";
import { ConversationList } from "./conversation-list.js";
import { Composer } from "./composer.js";
import { Conversations, ROOM, conversationOf } from "./conversations.js";
import { History } from "./history.js";
import { LogView } from "./log-view.js";
import { ReadMarkers } from "./receipts.js";
import { SavedChat, loadReceiptsSetting, saveReceiptsSetting } from "./saved.js";
import { Sending } from "./sending.js";
import { TypingSender, TypingShown } from "./typing.js";

const PREVIEW_CHARS = 80;
/** Direct conversations with unread messages whose latest page a welcome loads at once. */
const PRELOAD_UNREAD = 5;
/** Refusals of an edit or a delete, which name no message. */
const CHANGE_REFUSALS = new Set(["editWindowClosed", "notYourMessage", "unknownMessage", "invalidField", "rateLimited"]);
/** Refusals of a history request, which name none either. */
const PAGE_REFUSALS = new Set(["unknownConversation", "unknownMessage"]);

export class Chat {
  /** `{ email, name }` of the user, the welcome's once welcomed. */
  #self;
  #conn;
  #presence;
  #roomName;
  #model;
  #sending;
  #history;
  #reads;
  #typingOut = new TypingSender();
  #typingIn;
  #open = ROOM;
  #receipts;
  #list;
  #log;
  #composer;
  #callEvents;

  /** Called when a conversation is opened (a phone brings the chat to the front). */
  #onOpen;
  /** Whether the chat is on screen (a phone shows one view at a time). */
  #isShown;

  /**
   * `email`, `name`: the user as logged in (until the welcome says); `server`: the backend's
   * URL (with the room and email, it scopes what is kept in localStorage); `onCallBack(email)`:
   * a missed call's "Call back".
   */
  constructor({
    connection, presence, roomName, email, name, server, storage = globalThis.localStorage,
    onOpen = () => {}, isShown = () => true, onCallBack,
  }) {
    this.#onOpen = onOpen;
    this.#isShown = isShown;
    this.#self = { email, name };
    this.#conn = connection;
    this.#presence = presence;
    this.#roomName = roomName;
    this.#model = new Conversations(email);
    const saved = new SavedChat(storage, { server, room: roomName, email });
    this.#callEvents = new CallEvents(saved);
    for (const { conversation, name: peer } of this.#callEvents.conversations()) this.#model.ensure(conversation, peer);
    this.#sending = new Sending({ connection, saved, onChange: () => this.#render() });
    this.#history = new History(saved, (query) => this.#sending.pace(() => connection.requestChatHistory(query)));
    this.#reads = new ReadMarkers((conversation, upTo) => {
      this.#sending.pace(() => connection.markChatRead(conversation, upTo, this.#receipts));
    });
    this.#typingIn = new TypingShown((conversation) => conversation === this.#open && this.#renderTyping());
    this.#setUpReceipts(storage);
    this.#list = new ConversationList(byId("chat-conversations"), (key) => this.open(key));
    this.#log = new LogView(byId("chat-log"), {
      onRetry: (m) => this.#sending.retry(m.clientId),
      onDiscard: (m) => this.#sending.discard(m.clientId),
      onEdit: (m) => this.#composer.startEdit(m),
      onDelete: (m) => this.#change(m.id, null),
      onTop: () => this.#pageBack(),
      onScroll: () => this.#markSeen(),
      onCallBack: (event) => onCallBack?.(event.conversation),
    });
    this.#composer = new Composer({
      onSend: (text) => this.#send(text),
      onEdit: (id, text) => this.#change(id, text),
      onInput: () => this.#typed(),
    });
    this.#listen(connection);
    document.addEventListener("visibilitychange", () => this.#markSeen());
    window.addEventListener("focus", () => this.#markSeen());
    this.#render();
  }

  /** Unread messages in a conversation (`"room"` or an email), its unseen missed calls included. */
  unreadFor(conversation) {
    return this.#model.unread(conversation) + this.#callEvents.unseen(conversation);
  }

  totalUnread() {
    return this.#model.keys().reduce((total, key) => total + this.unreadFor(key), 0);
  }

  /**
   * Records a call event (`{ id, conversation, name, kind, at }`, see call-events.js) in the
   * conversation with that person; unread until it is seen.
   */
  recordCall(event) {
    if (!this.#callEvents.add(event)) return;
    this.#model.ensure(event.conversation, event.name);
    this.#render();
  }

  /** Opens a conversation (`"room"` or an email: one picked from the people list is added). */
  open(conversation) {
    if (conversation !== ROOM) this.#model.ensure(conversation, this.#presence.get(conversation)?.name ?? null);
    this.#onOpen(conversation);
    this.#open = conversation;
    if (!this.#model.isLoaded(conversation) && this.#conn.registered) this.#history.loadLatest(conversation);
    this.#render();
    this.#renderTyping();
    this.#composer.focus();
  }

  /** The header's envelope: the first conversation with unread messages, else the open one. */
  openUnread() {
    this.open(this.#model.keys().find((key) => this.#model.unread(key) > 0) ?? this.#open);
  }

  /** The chat came on screen (a phone's Chat tab): what its log shows is read. */
  seen() {
    this.#markSeen();
  }

  /** Presence changed (up to every tick): names and online marks in the list only. */
  syncPeople() {
    this.#renderBadges();
  }

  /** A server refusal: handled (true) when it was about chat. */
  refused({ reason, message, clientId }) {
    if (clientId) return this.#sending.refused(clientId, reason, message) || true;
    if (!CHANGE_REFUSALS.has(reason) && !PAGE_REFUSALS.has(reason)) return false;
    const change = CHANGE_REFUSALS.has(reason) ? this.#sending.takeRefusedChange() : null;
    if (!change) {
      if (!PAGE_REFUSALS.has(reason)) return false;
      for (const key of this.#history.refused()) this.#model.markBeginning(key);
      this.#render();
      return true;
    }
    this.#composer.showError(`Could not ${change.kind} the message: ${message}`);
    return true;
  }

  #listen(conn) {
    conn.on("snapshot", ({ self, initial }) => initial && this.#welcomed(self));
    conn.on("status", ({ state }) => {
      if (state === "online") return;
      this.#sending.dropped();
      this.#history.dropped();
    });
    conn.on("chat", (message) => this.#receive(message));
    conn.on("chat-ack", ({ clientId, id, sentAt }) => this.#acked(clientId, id, sentAt));
    conn.on("chat-history", (page) => this.#page(page));
    conn.on("chat-conversations", ({ conversations }) => this.#listed(conversations));
    conn.on("chat-receipt", ({ conversation, state, upTo }) => {
      this.#model.receipt(conversation, state, upTo);
      this.#render();
    });
    conn.on("chat-read", ({ conversation, upTo }) => {
      this.#model.markRead(conversation, upTo);
      this.#render();
    });
    conn.on("typing", ({ from, name, to }) => {
      if (from !== this.#self.email) this.#typingIn.heard(to ? from : ROOM, from, name);
    });
  }

  /** Every welcome: the list of conversations, what was missed, the outbox again. */
  #welcomed(self) {
    this.#self = { email: self.email, name: self.name };
    this.#model.setSelf(self.email);
    this.#sending.pace(() => this.#conn.requestChatConversations());
    // The catch-up first: a welcome forgets the requests of the connection before.
    this.#history.welcome();
    for (const key of new Set([ROOM, this.#open])) {
      if (!this.#model.isLoaded(key)) this.#history.loadLatest(key);
    }
    this.#sending.welcome();
  }

  #receive(message) {
    const mine = message.from === this.#self.email;
    if (mine && message.clientId) this.#sending.stored(message.clientId);
    if (message.editedAt !== null || message.deleted) this.#sending.changed(message.id);
    const { conversation, added } = this.#model.upsert(message);
    this.#history.live(message);
    this.#typingIn.stopped(conversation, message.from);
    this.#render();
    if (!added || mine || message.deleted) return;
    // A conversation on screen needs no notification, wherever its log is scrolled.
    if (conversation === this.#open && this.#onScreen()) return;
    const text = message.text.length > PREVIEW_CHARS ? `${message.text.slice(0, PREVIEW_CHARS)}…` : message.text;
    notify("message", `${message.name}${message.to ? " (to you)" : ""}: ${text}`, {
      key: `message:${conversation}`,
      onClick: () => this.open(conversation),
    });
  }

  #acked(clientId, id, sentAt) {
    const entry = this.#sending.stored(clientId);
    if (!entry) return;
    const key = entry.to ?? ROOM;
    if (this.#model.holds(key, id)) return;
    const { email, name } = this.#self;
    this.#model.upsert({
      id, from: email, name, text: entry.text, to: entry.to, sentAt, clientId,
      editedAt: null, deleted: false, delivered: false, read: false,
    });
    this.#render();
  }

  #page(page) {
    const answer = this.#history.answer(page);
    if (!answer) return;
    const { kind, conversation, messages, more, after } = answer;
    const self = this.#self.email;
    for (const message of messages) {
      const key = conversationOf(message, self);
      // A catch-up brings old messages edited since: only those held are news.
      if (kind === "after" && message.id <= after && !this.#model.holds(key, message.id)) continue;
      if (message.from === self && message.clientId) this.#sending.stored(message.clientId);
      this.#model.upsert(message);
    }
    if (kind === "latest") {
      this.#model.markLoaded(conversation);
      if (more && messages.length) this.#model.dropOlderThan(conversation, messages[0].id);
    }
    if (kind !== "after" && !more) this.#model.markBeginning(conversation);
    this.#render();
  }

  #listed(summaries) {
    this.#model.applySummaries(summaries);
    const unread = summaries.filter((s) => s.conversation !== ROOM && s.unread > 0);
    for (const s of unread.slice(0, PRELOAD_UNREAD)) {
      if (!this.#model.isLoaded(s.conversation)) this.#history.loadLatest(s.conversation);
    }
    this.#render();
  }

  #send(text) {
    const to = this.#open === ROOM ? null : this.#open;
    this.#sending.send(text, to);
    this.#typingOut.sent(this.#open);
    this.#markSeen();
    return true;
  }

  #change(id, text) {
    if (this.#sending.change(id, text)) return true;
    this.#composer.showError("Not connected to the server: try again once online.");
    return false;
  }

  #typed() {
    if (this.#typingOut.shouldSend(this.#open)) this.#conn.sendTyping(this.#open === ROOM ? null : this.#open);
  }

  #pageBack() {
    const key = this.#open;
    const oldest = this.#model.oldestId(key);
    if (!this.#conn.registered || !this.#model.isLoaded(key) || this.#model.atBeginning(key) || oldest === null) return;
    if (this.#history.loadOlder(key, oldest)) this.#render();
  }

  /** Whether the chat is on screen: the tab visible and, on a phone, the Chat view in front. */
  #onScreen() {
    return document.visibilityState === "visible" && this.#isShown();
  }

  /** What the user sees of the open conversation is read (only while it is on screen). */
  #markSeen() {
    if (!this.#onScreen()) return;
    if (this.#callEvents.markSeen(this.#open)) this.#renderBadges();
    // Nothing unread: nothing to tell (one's own messages need no marker).
    if (this.#model.unread(this.#open) === 0) return;
    const upTo = this.#log.seenUpTo();
    if (!upTo || !this.#model.markRead(this.#open, upTo)) return;
    this.#reads.seen(this.#open, upTo);
    this.#renderBadges();
  }

  #setUpReceipts(storage) {
    const box = byId("chat-receipts");
    this.#receipts = loadReceiptsSetting(storage);
    box.checked = this.#receipts;
    box.addEventListener("change", () => {
      this.#receipts = box.checked;
      saveReceiptsSetting(storage, box.checked);
    });
  }

  #render() {
    const key = this.#open;
    const direct = key !== ROOM;
    const self = this.#self.email;
    const peerName = direct ? this.#nameOf(key) : null;
    const items = this.#model.messages(key).map((message) => {
      const mine = message.from === self;
      return { message, mine, direct, peerName, state: mine ? this.#model.stateOf(key, message) : null, failure: null };
    });
    for (const { entry, state } of this.#sending.unsent(direct ? key : null)) {
      const message = {
        id: 0, clientId: entry.clientId, from: self, name: this.#self.name, text: entry.text, to: entry.to,
        sentAt: entry.createdAt, editedAt: null, deleted: false,
      };
      items.push({ message, mine: true, direct, peerName, state, failure: entry.failure });
    }
    this.#log.render(key, direct ? interleave(items, this.#callEvents.of(key)) : items, { loading: this.#history.loading(key), beginning: this.#model.atBeginning(key) });
    this.#composer.showTarget(peerName, this.#roomName);
    byId("chat-log").setAttribute("aria-label", direct ? `Messages with ${peerName}` : `Messages in #${this.#roomName}`);
    this.#renderBadges();
    this.#markSeen();
    // Too few messages to scroll: older ones are wanted at once.
    if (this.#log.atTop() && this.#log.atBottom()) this.#pageBack();
  }

  #renderBadges() {
    const entries = this.#model.keys().map((key) => ({
      key,
      label: key === ROOM ? this.#roomName : this.#nameOf(key),
      direct: key !== ROOM,
      unread: this.unreadFor(key),
      online: this.#presence.has(key),
    }));
    this.#list.render(entries, this.#open);
    for (const { key, unread } of entries) showUnread(key, unread);
    const total = this.totalUnread();
    const badge = byId("unread-total");
    badge.textContent = String(total);
    badge.hidden = total === 0;
  }

  #renderTyping() {
    byId("chat-typing").textContent = this.#typingIn.text(this.#open);
  }

  #nameOf(key) {
    return this.#presence.get(key)?.name ?? this.#model.nameOf(key) ?? key;
  }
}
