// A private deployment: the backend needs an access code. A wrong code is refused on the
// login form and nobody sees the user; the right one logs in; a reload logs back in with
// the session token alone; an email online elsewhere cannot be taken without its token.

import assert from "node:assert/strict";

import { scenario } from "../support/browser.js";
import { listEntry, waitForOnlineList } from "../support/app.js";
import { atLogin, refusedWith, sentAddUsers, submitLogin } from "../support/login.js";
import { LOUVRE, PARIS } from "../support/places.js";

const CODE = "open sesame";

scenario(
  "11. access code: a wrong code is refused and unseen, the right one logs in, a reload uses the token",
  async (world) => {
    const alice = await atLogin(world, { email: "alice@example.com", name: "Alice", position: PARIS });
    await submitLogin(alice, { accessCode: CODE });
    await alice.waitOnline();

    const mallory = await atLogin(world, { email: "mallory@example.com", name: "Mallory" });
    // The frontend says the code is required: an empty one is stopped on the page.
    await submitLogin(mallory);
    await refusedWith(mallory, /needs an access code/i);
    assert.equal(sentAddUsers(mallory).length, 0, "nothing sent without a code");
    await submitLogin(mallory, { accessCode: "guess" });
    await refusedWith(mallory, /access code/i);
    // The form keeps what was typed, but the code.
    assert.equal(await mallory.page.inputValue("#login-email"), mallory.email);

    // Barrier: bob logs in after the refusal; once alice lists him, she would list
    // mallory too had the server shown her.
    const bob = await atLogin(world, { email: "bob@example.com", name: "Bob", position: LOUVRE });
    await submitLogin(bob, { accessCode: CODE });
    await bob.waitOnline();
    await waitForOnlineList(alice, [alice.email, bob.email]);
    assert.ok(
      !alice.frames.some((f) => f.dir === "in" && f.data.includes(mallory.email)),
      "nothing of mallory reached alice",
    );

    // The right code lets her in.
    await submitLogin(mallory, { accessCode: CODE });
    await mallory.waitOnline();
    await waitForOnlineList(alice, [alice.email, bob.email, mallory.email]);

    // A reload logs bob back in from storage: the token stands for the code.
    await bob.page.reload();
    await bob.waitOnline();
    await bob.page.locator("#login-form").waitFor({ state: "hidden" });
    const last = sentAddUsers(bob).at(-1);
    assert.equal(typeof last.token, "string", "the reload registered with the token");
    assert.equal(last.accessCode, undefined, "the code itself is not kept");
    await waitForOnlineList(alice, [alice.email, bob.email, mallory.email]);
    assert.equal(await listEntry(alice, bob.email).count(), 1, "bob listed once");
  },
  { backendArgs: ["--access-code", CODE], appEnv: { MEETMAP_ACCESS_CODE_REQUIRED: "true" } },
);

scenario(
  "12. an email online elsewhere cannot be taken without its token",
  async (world) => {
    const alice = await atLogin(world, { email: "alice@example.com", name: "Alice", position: PARIS });
    await submitLogin(alice);
    await alice.waitOnline();

    // Another browser (no token) tries alice's email: it is hers (claimed by her device).
    const thief = await atLogin(world, { email: "alice@example.com", name: "Not Alice", label: "thief" });
    await submitLogin(thief);
    await refusedWith(thief, /signed in on another device/i);

    // A second tab of alice's own browser shares her token and gets in: one user.
    const tab = await alice.context.newPage();
    await tab.goto(world.appUrl);
    await tab.locator('#connection-status[data-state="online"]').waitFor();
    await waitForOnlineList(alice, [alice.email]);
    assert.equal(
      (await listEntry(alice, alice.email).locator(".user-name").textContent()).trim(),
      "Alice",
      "the thief's name never showed",
    );
  },
);
