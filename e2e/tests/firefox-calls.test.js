// A 1:1 call with Firefox ESR on one or both ends (Firefox's fake camera, Chromium's fake
// camera): video decoded both ways, then a hang-up that ends the call on both sides; and a
// declined call, so the ringing path works in Firefox too.

import assert from "node:assert/strict";

import { crossScenario } from "../support/cross.js";
import {
  acceptCall,
  call,
  waitForCallOver,
  waitForCallState,
  waitForIncomingCall,
  waitForOnlineList,
  waitForPlayingVideo,
  waitForRemoteTiles,
} from "../support/portable.js";
import { LOUVRE, PARIS } from "../support/places.js";

/** The caller (Ann) in the first browser, the callee (Ben) in the second, both online. */
async function pair(world, [callerBrowser, calleeBrowser]) {
  const ann = await world.newUserIn(callerBrowser, { email: "ann@example.com", name: "Ann 📞", room: "team", position: PARIS });
  const ben = await world.newUserIn(calleeBrowser, { email: "ben@example.com", name: "Ben", room: "team", position: LOUVRE });
  for (const me of [ann, ben]) await waitForOnlineList(me, [ann.email, ben.email]);
  return [ann, ben];
}

crossScenario(
  "firefox: a 1:1 call plays video both ways, and a hang-up ends it on both sides",
  [["firefox", "firefox"], ["firefox", "chromium"], ["chromium", "firefox"]],
  async (world, browsers) => {
    const [ann, ben] = await pair(world, browsers);

    const rang = Date.now();
    await call(ann, ben.email);
    await acceptCall(ben, "Ann");
    await waitForCallState(ann, "in-call");
    await waitForCallState(ben, "in-call");
    await waitForRemoteTiles(ann, [ben.email]);
    await waitForRemoteTiles(ben, [ann.email]);
    const annSees = await waitForPlayingVideo(ann, ben.email);
    const benSees = await waitForPlayingVideo(ben, ann.email);
    const ms = Date.now() - rang;
    console.log(
      `${browsers.join(" -> ")}: video both ways ${ms} ms after the call button; ` +
        `${ann.browser} decodes ${annSees.width}x${annSees.height}, ${ben.browser} decodes ${benSees.width}x${benSees.height}`,
    );
    assert.equal(await ann.evaluate(() => document.querySelector("#local-video")?.muted), true, "the self-view is muted");

    await ann.click("#hang-up");
    await waitForCallOver(ann);
    await waitForCallOver(ben);
  },
);

crossScenario(
  "firefox: a declined call rings, hides on the callee and shows \"declined\" to the caller",
  [["chromium", "firefox"], ["firefox", "chromium"]],
  async (world, browsers) => {
    const [ann, ben] = await pair(world, browsers);

    await call(ann, ben.email);
    await waitForIncomingCall(ben, "Ann");
    await ben.click("#decline-call");
    assert.match(await waitForCallState(ann, "declined"), /declined/i);
    await ben.waitHidden("#incoming-call");
    await waitForRemoteTiles(ann, []);
  },
);
