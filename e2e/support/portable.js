// What a user does and sees in the app (docs/UI-CONTRACT.md) in browser-neutral terms, for
// users of either browser: only `evaluate`, `waitUntil`, `click`, `fill`, `waitVisible` and
// `waitHidden`, which browser.js's (Playwright) and firefox.js's (WebDriver) users both have.

import assert from "node:assert/strict";

/** Coordinates match when they differ by less than this (degrees, about 1 cm). */
const EPSILON = 1e-7;

/** An attribute value quoted for a CSS selector. */
function q(value) {
  return JSON.stringify(String(value));
}

/** Waits until `#online-list` lists exactly these emails (in any order). */
export async function waitForOnlineList(user, emails) {
  const want = [...emails].sort().join("\n");
  await user.waitUntil(
    (want) =>
      [...document.querySelectorAll("#online-list li.online-user")].map((li) => li.dataset.email).sort().join("\n") ===
      want,
    want,
    `the online list to be ${emails.join(", ")}`,
  );
}

/** The name `user`'s list shows for `email`. */
export async function listedName(user, email) {
  return user.evaluate(
    (email) =>
      [...document.querySelectorAll("#online-list li.online-user")]
        .find((li) => li.dataset.email === email)
        ?.querySelector(".user-name")
        ?.textContent.trim(),
    email,
  );
}

/**
 * Waits until the markers on `user`'s map are exactly `expected` (`{ email: { latitude,
 * longitude } }`), read through `window.__meetmap.markerPositions()`.
 */
export async function waitForMarkers(user, expected) {
  const want = Object.fromEntries(Object.entries(expected).map(([k, p]) => [k, [p.latitude, p.longitude]]));
  await user.waitUntil(
    ({ want, eps }) => {
      const got = window.__meetmap?.markerPositions?.();
      if (!got || Object.keys(got).sort().join() !== Object.keys(want).sort().join()) return false;
      return Object.keys(got).every(
        (k) => Math.abs(got[k][0] - want[k][0]) <= eps && Math.abs(got[k][1] - want[k][1]) <= eps,
      );
    },
    { want, eps: EPSILON },
    `the markers to be ${JSON.stringify(want)}`,
  );
}

/** How many marker icons of `email` `user`'s map draws. */
export async function markerCount(user, email) {
  return user.evaluate((email) => [...document.querySelectorAll(".user-marker")].filter((m) => m.dataset.email === email).length, email);
}

/** Opens the conversation `key` (`room` or an email), from the list of conversations or the person's "Message". */
export async function openConversation(user, key) {
  const listed = `#chat-conversations button.conversation[data-conversation=${q(key)}]`;
  const known = await user.evaluate((s) => !!document.querySelector(s), listed);
  if (key === "room" || known) await user.click(listed);
  else await user.click(`#online-list li.online-user[data-email=${q(key)}] button.message`);
  await user.waitVisible(`${listed}[aria-current="true"]`);
}

/** Sends a chat message to the room (`to` empty) or to one email. */
export async function sendChat(user, text, to = "") {
  await openConversation(user, to || "room");
  await user.fill("#chat-input", text);
  await user.click("#chat-send");
}

/** The texts of the open conversation's log, in order. */
export async function chatTexts(user) {
  return user.evaluate(() => [...document.querySelectorAll("#chat-log .chat-message .chat-text")].map((el) => el.textContent.trim()));
}

/** Waits until `user` sees exactly one message with this text; resolves with its details. */
export async function waitForChat(user, text) {
  const found = await user.waitUntil(
    (text) => {
      const shown = [...document.querySelectorAll("#chat-log .chat-message")].filter(
        (el) => el.querySelector(".chat-text")?.textContent.trim() === text,
      );
      return shown.length > 0 && {
        count: shown.length,
        from: shown[0].dataset.from,
        direct: shown[0].dataset.direct,
        sender: shown[0].querySelector(".chat-sender")?.textContent.trim(),
      };
    },
    text,
    `the chat message ${JSON.stringify(text)}`,
  );
  assert.equal(found.count, 1, `${user.label}: the message ${JSON.stringify(text)} is shown once`);
  return found;
}

/** Clicks the call button of `email` in `user`'s online list. */
export async function call(user, email) {
  await user.click(`#online-list li.online-user[data-email=${q(email)}] button.call`);
}

/** Waits for the incoming-call card naming `callerName`. */
export async function waitForIncomingCall(user, callerName) {
  await user.waitVisible("#incoming-call");
  await user.waitUntil(
    (name) => document.querySelector("#incoming-caller")?.textContent.includes(name),
    callerName,
    `the incoming call to name ${callerName}`,
  );
}

export async function acceptCall(user, callerName) {
  await waitForIncomingCall(user, callerName);
  await user.click("#accept-call");
}

/** Waits until `#call-status` is shown with this `data-state`; resolves with its text. */
export async function waitForCallState(user, state) {
  const selector = `#call-status[data-state=${q(state)}]`;
  await user.waitVisible(selector);
  return user.evaluate((s) => document.querySelector(s).textContent, selector);
}

/** Waits until `#remote-videos` holds exactly tiles for these emails. */
export async function waitForRemoteTiles(user, emails) {
  const want = [...emails].sort().join("\n");
  await user.waitUntil(
    (want) =>
      [...document.querySelectorAll("#remote-videos video.remote-video")].map((v) => v.dataset.email).sort().join("\n") ===
      want,
    want,
    `the remote tiles to be ${emails.join(", ") || "none"}`,
  );
}

/**
 * Waits until the remote video of `email` is decoded: it has a size and its playback time
 * advances by more than 0.1 s. Resolves with its size (`{ width, height }`).
 */
export async function waitForPlayingVideo(user, email) {
  const state = (email) => {
    const v = [...document.querySelectorAll("#remote-videos video.remote-video")].find((el) => el.dataset.email === email);
    return v && v.videoWidth > 0 && v.currentTime > 0 && { width: v.videoWidth, height: v.videoHeight, time: v.currentTime };
  };
  const first = await user.waitUntil(state, email, `the video of ${email} to play`);
  await user.waitUntil(
    ({ email, t1 }) => {
      const v = [...document.querySelectorAll("#remote-videos video.remote-video")].find((el) => el.dataset.email === email);
      return v && v.videoWidth > 0 && v.currentTime > t1 + 0.1;
    },
    { email, t1: first.time },
    `the video of ${email} to advance past ${first.time} s`,
  );
  return { width: first.width, height: first.height };
}

/** Waits until `user` shows no call: no remote tile, and the panel hidden or "ended". */
export async function waitForCallOver(user) {
  await waitForRemoteTiles(user, []);
  await user.waitUntil(
    () => {
      const panel = document.querySelector("#call-panel");
      const hidden = !panel || panel.hidden || getComputedStyle(panel).display === "none";
      return hidden || document.querySelector("#call-status")?.dataset.state === "ended";
    },
    undefined,
    "the call to be over",
  );
}

/** How much wider than the viewport `user`'s page is, in CSS pixels (0: no horizontal scroll). */
export async function horizontalOverflow(user) {
  return user.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}
