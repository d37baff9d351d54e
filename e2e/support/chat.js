// What a user does and sees in the chat, in terms of docs/UI-CONTRACT.md ("Chat"): the
// state of one's own message, unread badges, the message menu. Every wait is Playwright's.

import assert from "node:assert/strict";

import { chatMessage, chatTexts } from "./app.js";

/**
 * Waits until `user`'s own message with this text has `data-state` `state` (`sending`,
 * `sent`, `delivered`, `read`, `failed`), or one of the states of an array.
 */
export async function waitForState(user, text, state) {
  const states = [state].flat();
  const item = chatMessage(user, text).and(user.page.locator(states.map((s) => `[data-state="${s}"]`).join(", ")));
  try {
    await item.waitFor();
  } catch (err) {
    const now = await chatMessage(user, text)
      .evaluateAll((els) => els.map((el) => el.dataset.state))
      .catch((e) => e.message);
    throw new Error(`${user.label}: ${JSON.stringify(text)} never became ${states.join(" or ")}; it is ${JSON.stringify(now)}\n${err.message}`);
  }
}

/** What a stored message of one's own can be: acked, and maybe received and read already. */
export const STORED = ["sent", "delivered", "read"];

/** The unread badge of conversation `key` in `user`'s conversation list: its number (0 when hidden). */
export async function unreadIn(user, key) {
  const badge = user.page.locator(`#chat-conversations .unread[data-conversation="${key}"]`);
  if ((await badge.count()) === 0 || (await badge.isHidden())) return 0;
  return Number(await badge.textContent());
}

/** Waits until that badge shows `count`. */
export async function waitForUnread(user, key, count) {
  try {
    await user.page.waitForFunction(
      ({ key, count }) => {
        const badge = [...document.querySelectorAll("#chat-conversations .unread")].find((b) => b.dataset.conversation === key);
        const shown = badge && !badge.hidden ? Number(badge.textContent) : 0;
        return shown === count;
      },
      { key, count },
    );
  } catch (err) {
    throw new Error(`${user.label}: unread of ${key} never became ${count}; it is ${await unreadIn(user, key)}\n${err.message}`);
  }
}

/** Opens the menu of `user`'s own message `text` and clicks `Edit` or `Delete`. */
export async function useMenu(user, text, action) {
  const item = chatMessage(user, text);
  await item.locator("button.chat-menu").click();
  await item.locator(action === "edit" ? "button.chat-edit" : "button.chat-delete").click();
}

/** Asserts the log of `user`'s open conversation holds exactly these texts, in this order. */
export async function assertLog(user, texts) {
  assert.deepEqual(await chatTexts(user), texts, `${user.label}: the log`);
}

/** Waits until the open conversation's log is exactly `texts` (in order). */
export async function waitForLog(user, texts) {
  try {
    await user.page.waitForFunction(
      (want) =>
        JSON.stringify([...document.querySelectorAll("#chat-log .chat-message .chat-text")].map((el) => el.textContent)) ===
        JSON.stringify(want),
      texts,
    );
  } catch (err) {
    throw new Error(`${user.label}: the log never became ${JSON.stringify(texts)}; it is ${JSON.stringify(await chatTexts(user))}\n${err.message}`);
  }
}
