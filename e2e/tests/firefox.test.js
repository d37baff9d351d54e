// The app in Firefox ESR (over WebDriver) as in Chromium: logging in (a refusal, the
// remembered session after a reload), presence both ways between the two browsers, and
// chat in the room and directly; with a 64-character name, a right-to-left one with an
// emoji, two people 10 m apart and one without a location.

import assert from "node:assert/strict";

import { crossScenario } from "../support/cross.js";
import { PHONE } from "../support/firefox.js";
import {
  chatTexts,
  horizontalOverflow,
  listedName,
  markerCount,
  openConversation,
  sendChat,
  waitForChat,
  waitForMarkers,
  waitForOnlineList,
} from "../support/portable.js";
import { NEXT_DOOR, PARIS } from "../support/places.js";

const CODE = "open sesame";
/** 10 m north of PARIS. */
const ARC = { latitude: 48.8738, longitude: 2.295 };
const LONG_NAME = "Maximilian-Alexander-Friedrich-Wilhelm-von-Hohenzollern-Sigmarin";
const RTL_NAME = "שרה כהן 👋";

function people(browsers) {
  const [first, second] = browsers;
  return {
    max: { browser: first, email: "max@example.com", name: LONG_NAME, room: "team", position: PARIS },
    sara: { browser: second ?? first, email: "sara@example.com", name: RTL_NAME, room: "team", position: NEXT_DOOR },
  };
}

function join(world, { browser, ...options }) {
  return world.newUserIn(browser, options);
}

crossScenario(
  "firefox: a wrong access code is refused on the form, the right one logs in, a reload keeps the session",
  [["firefox"], ["chromium"]],
  async (world, [browser]) => {
    assert.equal(LONG_NAME.length, 64);
    const options = { email: "max@example.com", name: LONG_NAME, room: "team", position: PARIS, viewport: PHONE, touch: true };
    const max = browser === "firefox" ? await world.openFirefoxUser(options) : await world.openChromiumUser(options);
    await max.goto(world.appUrl);
    await max.waitVisible("#login-form");
    assert.equal(await horizontalOverflow(max), 0, "the login form fits a 390 px phone");

    await fillLogin(max, "guess");
    await max.waitVisible("#login-error");
    const refusal = await max.evaluate(() => document.querySelector("#login-error").textContent);
    assert.match(refusal, /access code/i, `told why: ${refusal}`);
    // Refilled after the refusal's reload, but for the code.
    assert.equal(await max.evaluate(() => document.querySelector("#login-email").value), max.email);
    assert.equal(await max.evaluate(() => document.querySelector("#login-access-code").value), "");

    await fillLogin(max, CODE);
    await max.waitOnline();
    await max.waitUntil((name) => document.querySelector("#me")?.textContent.includes(name), LONG_NAME, "#me to show the name");

    await max.reload();
    await max.waitOnline();
    await max.waitHidden("#login-form");
    await max.waitUntil((name) => document.querySelector("#me")?.textContent.includes(name), LONG_NAME, "#me after the reload");
    await waitForOnlineList(max, [max.email]);
    await waitForMarkers(max, { [max.email]: PARIS });
  },
  { backendArgs: ["--access-code", CODE], appEnv: { MEETMAP_ACCESS_CODE_REQUIRED: "true" } },
);

async function fillLogin(user, accessCode) {
  await user.fill("#login-email", user.email);
  await user.fill("#login-name", user.name);
  await user.fill("#login-room", user.room);
  await user.fill("#login-access-code", accessCode);
  await user.click("#login-submit");
}

crossScenario(
  "firefox: presence both ways: markers 10 m apart, names as given, a move, one without a location",
  [["firefox", "firefox"], ["firefox", "chromium"]],
  async (world, browsers) => {
    const { max, sara } = people(browsers);
    const a = await join(world, max);
    const b = await join(world, sara);
    const r = await world.newFirefoxUser({ email: "rita@example.com", name: "Rita", room: "team", position: null });
    const everyone = [a.email, b.email, r.email];

    await r.waitUntil(() => document.querySelector("#geo-status")?.textContent.includes("Location not shared"), undefined, "Location not shared");
    for (const me of [a, b, r]) {
      await waitForOnlineList(me, everyone);
      await waitForMarkers(me, { [a.email]: PARIS, [b.email]: NEXT_DOOR });
      assert.equal(await listedName(me, a.email), LONG_NAME, `${me.label} lists the long name whole`);
      assert.equal(await listedName(me, b.email), RTL_NAME, `${me.label} lists the right-to-left name as given`);
      assert.equal(await markerCount(me, r.email), 0, `${me.label}: no marker for a user without a position`);
    }

    await b.moveTo(ARC);
    for (const me of [a, b, r]) await waitForMarkers(me, { [a.email]: PARIS, [b.email]: ARC });
    assert.equal(await markerCount(a, b.email), 1, "one marker of the one who moved");
  },
);

crossScenario(
  "firefox: chat both ways; a direct message reaches only its two ends, in its own conversation",
  [["firefox", "chromium"], ["chromium", "firefox"]],
  async (world, browsers) => {
    const { max, sara } = people(browsers);
    const a = await join(world, max);
    const b = await join(world, sara);
    for (const me of [a, b]) await waitForOnlineList(me, [a.email, b.email]);

    await sendChat(a, "Lunch at noon? 🍝");
    for (const me of [a, b]) {
      const m = await waitForChat(me, "Lunch at noon? 🍝");
      assert.equal(m.from, a.email);
      assert.equal(m.direct, "false");
      assert.equal(m.sender, LONG_NAME);
    }
    await sendChat(b, "כן, נתראה שם");
    const reply = await waitForChat(a, "כן, נתראה שם");
    assert.equal(reply.sender, RTL_NAME);

    await sendChat(a, "Just you and me", b.email);
    assert.equal((await waitForChat(a, "Just you and me")).direct, "true");
    assert.ok(!(await chatTexts(b)).includes("Just you and me"), "the room's log does not show it");
    await openConversation(b, a.email);
    const direct = await waitForChat(b, "Just you and me");
    assert.equal(direct.from, a.email);
    assert.equal(direct.direct, "true");
  },
);
