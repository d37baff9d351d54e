// Network paths made for one test with Linux network namespaces: each browser in a
// namespace of its own behind a veth pair, the servers (backend, frontend, coturn) on an
// address of the host's (on the first veth's host end), no forwarding between the namespaces (so no
// direct path), and nftables rules in a namespace for what its network lets out. Needs
// root (CAP_NET_ADMIN), `ip` and `nft`; `unavailable()` says why not, for a test to skip.

import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { CHROMIUM } from "./browser.js";

function run(command, args) {
  execFileSync(command, args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** Why namespaces cannot be made here, or null when they can. */
export function unavailable() {
  const probe = `mmprobe${process.pid}`;
  try {
    run("nft", ["--version"]);
  } catch {
    return "nft (nftables) is not installed";
  }
  try {
    run("ip", ["netns", "add", probe]);
    run("ip", ["netns", "del", probe]);
    return null;
  } catch (err) {
    return `cannot create a network namespace (root with CAP_SYS_ADMIN needed): ${String(err.stderr ?? err.message).trim()}`;
  }
}

/**
 * `count` namespaces, each `{ name, address, chromium }` (`chromium`: a launcher running
 * Chromium inside it), and `address`, the servers' address that every namespace routes to.
 */
export class Network {
  constructor(count) {
    // A private /16 of its own per test run, unlikely to meet the host's networks.
    const net = 100 + Math.floor(Math.random() * 150);
    const tag = Math.random().toString(36).slice(2, 7);
    this.dir = mkdtempSync(path.join(tmpdir(), "meetmap-netns-"));
    this.address = `10.${net}.0.1`;
    this.namespaces = [];
    try {
      for (let i = 1; i <= count; i++) this.#namespace(`mm${tag}${i}`, net, i);
      // A local address of the host, reached by every namespace through its gateway; it
      // goes with the veth (no dummy device: not every kernel has the module).
      run("ip", ["addr", "add", `${this.address}/32`, "dev", this.namespaces[0].outside]);
    } catch (err) {
      this.destroy();
      throw err;
    }
  }

  #namespace(name, net, i) {
    const [outside, inside] = [`${name}o`, `${name}i`];
    const ns = { name, outside, address: `10.${net}.${i}.2` };
    run("ip", ["netns", "add", name]);
    // Recorded at once: destroy() removes what was made even if a later step fails.
    this.namespaces.push(ns);
    const exec = (...args) => run("ip", ["netns", "exec", name, ...args]);
    run("ip", ["link", "add", outside, "type", "veth", "peer", "name", inside]);
    run("ip", ["link", "set", inside, "netns", name]);
    run("ip", ["addr", "add", `10.${net}.${i}.1/24`, "dev", outside]);
    run("ip", ["link", "set", outside, "up"]);
    // No IPv6 inside: the link-local address would finish its duplicate address detection
    // a second or so after the link comes up, and Chromium, seeing an address change, fails
    // every load in flight with ERR_NETWORK_CHANGED (a page's modules, its socket).
    exec("sh", "-c", 'for f in /proc/sys/net/ipv6/conf/*/disable_ipv6; do [ -e "$f" ] && echo 1 > "$f"; done; true');
    exec("ip", "addr", "add", `${ns.address}/24`, "dev", inside);
    exec("ip", "link", "set", inside, "up");
    exec("ip", "link", "set", "lo", "up");
    exec("ip", "route", "add", "default", "via", `10.${net}.${i}.1`);
    ns.chromium = path.join(this.dir, `chromium-${name}`);
    writeFileSync(ns.chromium, `#!/bin/sh\nexec ip netns exec ${name} ${CHROMIUM} "$@"\n`);
    chmodSync(ns.chromium, 0o755);
  }

  /** Loads nftables `rules` (the body of an `inet` table) into namespace `ns`. */
  restrict(ns, rules) {
    const file = path.join(this.dir, `${ns.name}.nft`);
    writeFileSync(file, `table inet meetmap_test {\n${rules}\n}\n`);
    run("ip", ["netns", "exec", ns.name, "nft", "-f", file]);
  }

  /** Removes the namespaces (their veths, and the servers' address, go with them) and the folder. */
  destroy() {
    for (const ns of this.namespaces) {
      try {
        run("ip", ["netns", "del", ns.name]);
      } catch {
        // Already gone.
      }
      try {
        run("ip", ["link", "del", ns.outside]);
      } catch {
        // Gone with its namespace.
      }
    }
    this.namespaces = [];
    rmSync(this.dir, { recursive: true, force: true });
  }
}
