// The composer (#chat-form): the input, what it sends to ("Private to Bob" next to it for a
// direct conversation), editing one's own message, and why a message was not sent. Its
// text is cleared only once the chat says the message is safely in the outbox.

import { byId } from "../ui.js";

/** The server's limit on a message's text (docs/PROTOCOL.md, `chat`). */
export const MAX_TEXT = 2000;

export class Composer {
  #form = byId("chat-form");
  #input = byId("chat-input");
  #send = byId("chat-send");
  #private = byId("chat-private");
  #editing = byId("chat-editing");
  #error = byId("chat-error");
  /** The message being edited (`{ id, text }`), or null. */
  #edit = null;
  #actions;

  /**
   * `actions`: `{ onSend(text) → bool, onEdit(id, text) → bool, onInput() }`: `onSend`
   * and `onEdit` say whether the text was taken (then the input is cleared).
   */
  constructor(actions) {
    this.#actions = actions;
    this.#form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.#submit();
    });
    this.#input.addEventListener("input", () => {
      this.showError("");
      if (this.#input.value.trim() && !this.#edit) actions.onInput();
    });
    byId("chat-edit-cancel").addEventListener("click", () => this.cancelEdit());
    this.#input.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && this.#edit) this.cancelEdit();
    });
  }

  /** Says where the next message goes: `privateTo` a name for a direct conversation, else null. */
  showTarget(privateTo, roomName) {
    this.#private.hidden = !privateTo;
    this.#private.textContent = privateTo ? `Private to ${privateTo}` : "";
    this.#input.placeholder = privateTo ? `Message ${privateTo}…` : `Message #${roomName}…`;
    this.#input.setAttribute("aria-describedby", privateTo ? "chat-private chat-error" : "chat-error");
  }

  /** Starts editing one's own message: its text in the input. */
  startEdit(message) {
    this.#edit = { id: message.id, draft: this.#edit ? this.#edit.draft : this.#input.value };
    this.#editing.hidden = false;
    this.#input.value = message.text;
    this.#send.textContent = "Save";
    this.focus();
  }

  cancelEdit() {
    if (!this.#edit) return;
    this.#input.value = this.#edit.draft;
    this.#edit = null;
    this.#editing.hidden = true;
    this.#send.textContent = "Send";
  }

  focus() {
    this.#input.focus();
  }

  /** Shows why something was not sent ("" hides it). */
  showError(text) {
    this.#error.textContent = text;
    this.#error.hidden = !text;
  }

  #submit() {
    const text = this.#input.value.trim();
    if (!text) return;
    if ([...text].length > MAX_TEXT) {
      this.showError(`A message has at most ${MAX_TEXT} characters.`);
      return;
    }
    if (this.#edit) {
      // The draft written before the edit comes back.
      if (this.#actions.onEdit(this.#edit.id, text)) this.cancelEdit();
      return;
    }
    if (!this.#actions.onSend(text)) return;
    this.#input.value = "";
    this.showError("");
  }
}
