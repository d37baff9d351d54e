// What a user does and sees in the app, in terms of docs/UI-CONTRACT.md; every wait is
// Playwright's (waitForFunction / locator.waitFor), never a sleep.

import assert from "node:assert/strict";

/** Coordinates match when they differ by less than this (degrees, about 1 cm). */
const EPSILON = 1e-7;

/** Playwright's attribute-selector quoting for an email. */
function q(value) {
  return JSON.stringify(String(value));
}

/**
 * Waits until the markers on `user`'s map are exactly `expected`
 * (`{ email: { latitude, longitude } }`), read through `window.__meetmap.markerPositions()`.
 * Resolves with the positions read.
 */
export async function waitForMarkers(user, expected) {
  const want = Object.fromEntries(
    Object.entries(expected).map(([email, p]) => [email, [p.latitude, p.longitude]]),
  );
  try {
    const handle = await user.page.waitForFunction(
      ({ want, eps }) => {
        const got = window.__meetmap?.markerPositions?.();
        if (!got) return false;
        const keys = Object.keys(got).sort();
        if (keys.join() !== Object.keys(want).sort().join()) return false;
        for (const k of keys) {
          const [lat, lng] = got[k];
          if (Math.abs(lat - want[k][0]) > eps || Math.abs(lng - want[k][1]) > eps) return false;
        }
        return got;
      },
      { want, eps: EPSILON },
    );
    return handle.jsonValue();
  } catch (err) {
    const got = await markerPositions(user).catch((e) => `(unreadable: ${e.message})`);
    throw new Error(
      `${user.label}: markers never became ${JSON.stringify(want)}; last seen ${JSON.stringify(got)}\n${err.message}`,
    );
  }
}

export async function markerPositions(user) {
  return user.page.evaluate(() => window.__meetmap?.markerPositions?.());
}

/** Waits until `#online-list` lists exactly these emails (in any order). */
export async function waitForOnlineList(user, emails) {
  const want = [...emails].sort();
  try {
    await user.page.waitForFunction((want) => {
      const got = [...document.querySelectorAll("#online-list li.online-user")]
        .map((li) => li.dataset.email)
        .sort();
      return got.join("\n") === want.join("\n");
    }, want);
  } catch (err) {
    const got = await onlineList(user);
    throw new Error(`${user.label}: online list never became ${want}; last seen ${got}\n${err.message}`);
  }
}

export async function onlineList(user) {
  return user.page.evaluate(() =>
    [...document.querySelectorAll("#online-list li.online-user")].map((li) => li.dataset.email),
  );
}

/** The list entry of `email` on `user`'s page. */
export function listEntry(user, email) {
  return user.page.locator(`#online-list li.online-user[data-email=${q(email)}]`);
}

/** The marker icon of `email` on `user`'s map. */
export function marker(user, email) {
  return user.page.locator(`.user-marker[data-email=${q(email)}]`);
}

/**
 * Sends a chat message, to the room (`to` empty) or to one email: opens that conversation
 * (from the conversation list, or the person's "Message" button), then writes and sends.
 */
export async function sendChat(user, text, to = "") {
  const { page } = user;
  await openConversation(user, to || "room");
  await page.fill("#chat-input", text);
  await page.click("#chat-send");
}

/** Opens the conversation `key` (`room` or an email) on `user`'s page. */
export async function openConversation(user, key) {
  const { page } = user;
  const listed = page.locator(`#chat-conversations button.conversation[data-conversation=${q(key)}]`);
  if (key === "room" || (await listed.count()) > 0) await listed.click();
  else await listEntry(user, key).locator("button.message").click();
  await listed.and(page.locator('[aria-current="true"]')).waitFor();
}

/** The chat message with exactly this text on `user`'s page. */
export function chatMessage(user, text) {
  return user.page.locator("#chat-log .chat-message").filter({
    has: user.page.locator(".chat-text", { hasText: exactText(text) }),
  });
}

/** Waits until `user` sees a message with this text; resolves with its details. */
export async function waitForChat(user, text) {
  const message = chatMessage(user, text);
  try {
    await message.first().waitFor();
  } catch (err) {
    const log = await chatTexts(user);
    throw new Error(`${user.label}: never saw chat ${JSON.stringify(text)}; chat log ${JSON.stringify(log)}\n${err.message}`);
  }
  assert.equal(await message.count(), 1, `${user.label}: the message ${JSON.stringify(text)} is shown once`);
  return message.evaluate((el) => ({
    from: el.dataset.from,
    direct: el.dataset.direct,
    sender: el.querySelector(".chat-sender")?.textContent,
    text: el.querySelector(".chat-text")?.textContent,
  }));
}

export async function chatTexts(user) {
  return user.page.evaluate(() =>
    [...document.querySelectorAll("#chat-log .chat-message .chat-text")].map((el) => el.textContent),
  );
}

/** A regular expression matching exactly `text` (trimmed). */
export function exactText(text) {
  return new RegExp(`^\\s*${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\s*$`);
}

/** Clicks the call button of `email` in `user`'s online list (calls or invites them). */
export async function call(user, email) {
  await listEntry(user, email).locator("button.call").click();
}

/** Waits for the incoming-call box on `user`'s page, checks the caller, and accepts. */
export async function acceptCall(user, callerName) {
  await waitForIncomingCall(user, callerName);
  await user.page.click("#accept-call");
}

/**
 * `caller` calls `callee`, who accepts; resolves once both are in the call and each plays
 * the other's video.
 */
export async function callUntilPlaying(caller, callee) {
  await call(caller, callee.email);
  await acceptCall(callee, caller.name);
  await waitForCallState(caller, "in-call");
  await waitForCallState(callee, "in-call");
  await waitForPlayingVideo(caller, callee.email);
  await waitForPlayingVideo(callee, caller.email);
}

export async function declineCall(user, callerName) {
  await waitForIncomingCall(user, callerName);
  await user.page.click("#decline-call");
}

export async function waitForIncomingCall(user, callerName) {
  await user.page.locator("#incoming-call").waitFor({ state: "visible" });
  if (callerName !== undefined) {
    await user.page.locator("#incoming-caller", { hasText: callerName }).waitFor();
  }
}

/** Waits until `#call-status` has this `data-state`; resolves with its text. */
export async function waitForCallState(user, state) {
  const status = user.page.locator(`#call-status[data-state=${q(state)}]`);
  try {
    await status.waitFor({ state: "visible" });
  } catch (err) {
    const now = await user.page
      .locator("#call-status")
      .evaluate((el) => `${el.dataset.state}: ${el.textContent}`)
      .catch(() => "(no #call-status)");
    throw new Error(`${user.label}: call status never became ${state}; it is ${now}\n${err.message}`);
  }
  return status.textContent();
}

/** The remote video tile of `email` on `user`'s page. */
export function remoteVideo(user, email) {
  return user.page.locator(`#remote-videos video.remote-video[data-email=${q(email)}]`);
}

/** Waits until `#remote-videos` holds exactly tiles for these emails. */
export async function waitForRemoteTiles(user, emails) {
  const want = [...emails].sort();
  try {
    await user.page.waitForFunction((want) => {
      const got = [...document.querySelectorAll("#remote-videos video.remote-video")]
        .map((v) => v.dataset.email)
        .sort();
      return got.join("\n") === want.join("\n");
    }, want);
  } catch (err) {
    const got = await user.page.evaluate(() =>
      [...document.querySelectorAll("#remote-videos video.remote-video")].map((v) => v.dataset.email),
    );
    throw new Error(`${user.label}: remote tiles never became ${want}; they are ${got}\n${err.message}`);
  }
}

/**
 * Waits until the remote video of `email` on `user`'s page shows real frames: it has a
 * size, and its playback time advances between two checks.
 */
export async function waitForPlayingVideo(user, email) {
  const selector = `#remote-videos video.remote-video[data-email=${q(email)}]`;
  const state = () =>
    user.page
      .evaluate((s) => {
        const v = document.querySelector(s);
        return v && { videoWidth: v.videoWidth, currentTime: v.currentTime, paused: v.paused, readyState: v.readyState, srcObject: !!v.srcObject };
      }, selector)
      .catch((e) => e.message);
  try {
    const first = await user.page.waitForFunction((s) => {
      const v = document.querySelector(s);
      return v && v.videoWidth > 0 && v.currentTime > 0 && v.currentTime;
    }, selector);
    const t1 = await first.jsonValue();
    await user.page.waitForFunction(
      ({ s, t1 }) => {
        const v = document.querySelector(s);
        return v && v.videoWidth > 0 && v.currentTime > t1 + 0.1;
      },
      { s: selector, t1 },
    );
  } catch (err) {
    throw new Error(`${user.label}: the video of ${email} does not play: ${JSON.stringify(await state())}\n${err.message}`);
  }
}

/** Frame types that carry signaling or call control. */
export const SIGNALING_TYPES = [
  "offer",
  "answer",
  "sdp-offer",
  "sdp-answer",
  "new-ice-candidate",
  "call-invite",
  "call-ringing",
  "call-accept",
  "call-decline",
  "call-busy",
  "hang-up",
];

/** Asserts that `user`'s page received no signaling or call-control frame. */
export function assertNoSignalingReceived(user) {
  const leaked = user.frames.filter(
    (f) => f.dir === "in" && (SIGNALING_TYPES.includes(f.type) || /^(call-|sdp-)/.test(f.type)),
  );
  assert.deepEqual(
    leaked.map((f) => f.data.slice(0, 200)),
    [],
    `${user.label} received signaling meant for others`,
  );
}

/**
 * Waits until `user`'s page has received a frame for which `predicate(parsed)` holds.
 * Frames are recorded in the order the page received them, so once a later frame is seen,
 * every earlier one has been recorded: the barrier for "never received" assertions.
 */
export function waitForFrame(user, predicate, what, timeoutMs = 15_000) {
  const matches = (f) => {
    if (f.dir !== "in") return false;
    try {
      return predicate(JSON.parse(f.data));
    } catch {
      return false;
    }
  };
  if (user.frames.some(matches)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      user.frameEvents.off("frame", onFrame);
      reject(new Error(`${user.label}: never received ${what}`));
    }, timeoutMs);
    const onFrame = (f) => {
      if (matches(f)) {
        clearTimeout(timer);
        user.frameEvents.off("frame", onFrame);
        resolve();
      }
    };
    user.frameEvents.on("frame", onFrame);
  });
}
