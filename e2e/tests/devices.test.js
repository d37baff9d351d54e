// Devices: the first browser to sign in with an email holds it; another browser gets in as
// that user only with a link code from a signed-in one ("Add a device"), and logging out
// revokes that browser's device alone. A wrong link code is refused and shows nowhere.

import assert from "node:assert/strict";

import { openUser, scenario } from "../support/browser.js";
import { listEntry, waitForFrame, waitForOnlineList } from "../support/app.js";
import { atLogin, receivedErrors, refusedWith, sentAddUsers, submitLogin } from "../support/login.js";
import { PARIS } from "../support/places.js";

const ALICE = { email: "alice@example.com", name: "Alice", room: "team" };
/** What the login form says when the email is another device's, and how to add this one. */
const HELD_ELSEWHERE = /(signed in|already online) on another device[\s\S]*Add a device[\s\S]*Link code/i;
/** The codes the server refuses an email held by another device with. */
const HELD_CODES = ["email-claimed", "email-in-use"];

/** Opens "Add a device" on `user`'s page; resolves with the code it shows. */
async function addDevice(user) {
  const { page } = user;
  await page.click("#add-device");
  await page.locator("#device-link").waitFor({ state: "visible" });
  await page.waitForFunction(() =>
    /^[0-9A-Z]{4}-[0-9A-Z]{4}$/.test(document.querySelector("#device-link-code")?.textContent ?? ""),
  );
  return (await page.textContent("#device-link-code")).trim();
}

scenario(
  "13. a second browser signs in as alice with a link code from her first; logging it out revokes it alone",
  async (world, t) => {
    const a = await world.newUser({ ...ALICE, label: "alice-A", position: PARIS });

    // Browser B tries alice: refused, told why and how, and shown the link-code field.
    const b = await atLogin(world, { ...ALICE, label: "alice-B" });
    assert.deepEqual(b.sockets, [], "the login form opens no socket before the user logs in");
    await submitLogin(b);
    await refusedWith(b, HELD_ELSEWHERE);
    await b.page.locator("#login-link-code").waitFor({ state: "visible" });
    const refusal = receivedErrors(b).at(-1);
    assert.ok(HELD_CODES.includes(refusal?.code), `refused as held elsewhere: ${JSON.stringify(refusal)}`);
    t.diagnostic(`a second browser while alice is online is refused with ${refusal.code}`);

    // A asks for a code: shown large, with a live countdown; Escape closes the dialog.
    const code = await addDevice(a);
    const expiry = a.page.locator("#device-link-expiry");
    const shown = await expiry.textContent();
    assert.match(shown, /[0-5]:[0-5]\d/, `the expiry counts down: "${shown}"`);
    await a.page.waitForFunction((before) => document.querySelector("#device-link-expiry").textContent !== before, shown);
    await a.page.keyboard.press("Escape");
    await a.page.locator("#device-link").waitFor({ state: "hidden" });

    // B types it (lower case, a space for the dash: the server ignores both) and is alice.
    await submitLogin(b, { linkCode: code.toLowerCase().replace("-", " ") });
    await b.waitOnline();
    assert.equal((await b.page.textContent("#me")).trim(), ALICE.name);
    assert.ok(sentAddUsers(b).at(-1).linkCode, "the link code was sent");
    for (const me of [a, b]) {
      await waitForOnlineList(me, [ALICE.email]);
      assert.equal(await listEntry(me, ALICE.email).count(), 1, `${me.label} lists alice once`);
    }

    // B logs out: its device is signed out on the server.
    const before = await b.context.storageState();
    await b.page.click("#logout");
    await waitForFrame(b, (m) => m.type === "signed-out", "signed-out");
    await b.page.locator("#login-form").waitFor({ state: "visible" });
    assert.ok(
      b.frames.some((f) => f.dir === "out" && f.type === "sign-out"),
      "logging out sent sign-out",
    );

    // B's storage from before the logout still holds its token: it no longer works.
    const stale = await openUser(world.browser, { ...ALICE, label: "alice-B-old-storage", storageState: before });
    world.users.push(stale);
    await stale.page.goto(world.appUrl);
    await refusedWith(stale, HELD_ELSEWHERE);
    const [withToken, without] = sentAddUsers(stale);
    assert.equal(typeof withToken?.token, "string", "the reload tried the old token");
    assert.equal(without?.token, undefined, "then once without it");
    assert.equal(receivedErrors(stale)[0]?.code, "invalid-token", "the old token is refused");

    // A is still signed in, and its own token still works after a reload.
    await a.waitOnline();
    await a.page.reload();
    await a.waitOnline();
    await waitForOnlineList(a, [ALICE.email]);
    for (const me of [a, b, stale]) {
      const blocked = me.console.filter((line) => /Content Security Policy|pageerror/i.test(line));
      assert.deepEqual(blocked, [], `${me.label}: no page error, nothing blocked by the CSP`);
    }
  },
);

scenario("14. a wrong link code is refused on the login form, and nobody sees that browser", async (world) => {
  const a = await world.newUser({ ...ALICE, label: "alice-A", position: PARIS });

  const b = await atLogin(world, { ...ALICE, name: "Not Alice", label: "not-alice" });
  // The field is behind its toggle until it is useful.
  assert.equal(await b.page.locator("#login-link-code").isVisible(), false, "link code hidden at first");
  await submitLogin(b, { linkCode: "AAAA-BBBB" });
  await refusedWith(b, /link code is wrong, used or expired/i);
  assert.equal(receivedErrors(b).at(-1)?.code, "invalid-link-code");
  await b.page.locator("#login-link-code").waitFor({ state: "visible" });
  assert.equal(await b.page.inputValue("#login-link-code"), "", "the used code is not kept");
  assert.equal(await b.page.inputValue("#login-email"), ALICE.email, "the email is kept");

  // Barrier: bob logs in after the refusal; once alice lists him, she would have seen
  // the other browser's name had it got in.
  const bob = await world.newUser({ email: "bob@example.com", name: "Bob", room: "team", position: null });
  await waitForOnlineList(a, [ALICE.email, bob.email]);
  assert.ok(!a.frames.some((f) => f.dir === "in" && f.data.includes("Not Alice")), "nothing of it reached alice");
  assert.equal((await listEntry(a, ALICE.email).locator(".user-name").textContent()).trim(), ALICE.name);
});
