// Calls across networks that have no direct path, made with network namespaces: Alice's
// network drops every UDP packet, Bob's lets out nothing but TCP to the TURN port and the
// app's own ports (a firewall that allows only TCP). With every candidate allowed (not
// relay-only), the call still connects, through coturn over TCP, both sides on a relay
// candidate. Skipped, saying why, where namespaces cannot be made (not root).

import assert from "node:assert/strict";
import { test } from "node:test";

import { World, launchBrowser, openUser, scenario } from "../support/browser.js";
import { startCoturn } from "../support/coturn.js";
import { Network, unavailable } from "../support/netns.js";
import { Servers } from "../support/servers.js";
import { callUntilPlaying, waitForOnlineList } from "../support/app.js";
import { LOUVRE, PARIS } from "../support/places.js";
import { framesDecoded, recordPeerConnections, selectedPairs } from "../support/rtc-stats.js";

const TITLE = "no direct path (UDP dropped; only TCP to TURN): the call connects through the relay";

/** Each browser in a namespace of its own; the servers on the address both route to. */
class NetnsWorld extends World {
  async start(options) {
    this.network = new Network(2);
    const { address } = this.network;
    this.coturn = await startCoturn({ address });
    const turnUrls = [this.coturn.url, this.coturn.tcpUrl].join(",");
    this.servers = await Servers.start({
      ...options,
      host: address,
      backendArgs: ["--turn-secret-file", this.coturn.secretFile, "--turn-urls", turnUrls],
    });
    const [alice, bob] = this.network.namespaces;
    this.network.restrict(alice, "chain out { type filter hook output priority 0; policy accept; meta l4proto udp drop; }");
    const open = [this.coturn.port, this.servers.backend.port, this.servers.frontend.port].join(", ");
    this.network.restrict(bob, [
      "chain out { type filter hook output priority 0; policy drop;",
      `  oifname "lo" accept; ct state established,related accept; tcp dport { ${open} } accept; }`,
    ].join("\n"));
    // The app's page is on a private address, not localhost: let it have the camera.
    const secure = `--unsafely-treat-insecure-origin-as-secure=${new URL(this.appUrl).origin}`;
    this.browsers = [await launchBrowser([secure], alice.chromium), await launchBrowser([secure], bob.chromium)];
    this.browser = this.browsers[0];
  }

  /** A logged-in user in the `i`-th namespace's browser. */
  async newUserIn(i, options) {
    const user = await openUser(this.browsers[i], options);
    this.users.push(user);
    await user.context.addInitScript(recordPeerConnections);
    await user.open(this.appUrl);
    return user;
  }

  async close() {
    await this.browsers?.[1]?.close().catch(() => {});
    await super.close();
    await this.coturn?.stop();
    this.network?.destroy();
  }
}

const reason = unavailable();
if (reason) {
  test(TITLE, { skip: `network namespaces unavailable: ${reason}` }, () => {});
} else {
  scenario(TITLE, async (world) => {
    const a = await world.newUserIn(0, { email: "alice@example.com", name: "Alice", room: "paths", position: PARIS });
    const b = await world.newUserIn(1, { email: "bob@example.com", name: "Bob", room: "paths", position: LOUVRE });
    for (const user of [a, b]) await waitForOnlineList(user, [a.email, b.email]);

    await callUntilPlaying(a, b);
    for (const user of [a, b]) {
      assert.ok((await framesDecoded(user)) > 0, `${user.label}: no video frame decoded`);
      const [pair] = await selectedPairs(user);
      assert.equal(pair?.policy, "all", "every candidate type was allowed");
      assert.equal(pair?.local, "relay", `${user.label}: ${JSON.stringify(pair)}`);
      assert.equal(pair?.remote, "relay", `${user.label}: ${JSON.stringify(pair)}`);
    }
    // Bob's network lets no UDP out: his browser reached coturn over TCP.
    const bobRelay = await b.page.evaluate(async () => {
      const pc = window.__peerConnections.find((p) => p.connectionState !== "closed");
      const reports = [...(await pc.getStats()).values()];
      const transport = reports.find((r) => r.type === "transport" && r.selectedCandidatePairId);
      const pair = reports.find((r) => r.id === transport.selectedCandidatePairId);
      return reports.find((r) => r.id === pair.localCandidateId)?.relayProtocol;
    });
    assert.equal(bobRelay, "tcp");
  }, { WorldClass: NetnsWorld, timeout: 120_000 });
}
