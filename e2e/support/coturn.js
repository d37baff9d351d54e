// A real coturn (Debian's package) for the relay-only calls: `turnserver` running the
// shipped deploy/turnserver.conf with its ports, secret and files replaced, on loopback in
// a temporary folder, with a generated secret; stopped with the test.

import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import dgram from "node:dgram";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { ROOT, Server } from "./servers.js";

const TURNSERVER = process.env.TURNSERVER_PATH || "turnserver";
/** How long coturn may take to answer STUN. */
const START_TIMEOUT_MS = 15_000;
/** Relay ports of one test's coturn (one per allocation). */
const RELAY_PORTS = 40;
/** The shipped settings the test replaces with its own. */
const REPLACED = new Set(["listening-port", "min-port", "max-port", "static-auth-secret", "syslog"]);

/** A free UDP port on `address` (bound, then released for coturn to take). */
function freeUdpPort(address) {
  return new Promise((resolve, reject) => {
    const probe = dgram.createSocket("udp4");
    probe.once("error", reject);
    probe.bind(0, address, () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/**
 * deploy/turnserver.conf for this test, on `address`. The shipped file denies loopback and
 * private peers (the relay is no SSRF proxy); both browsers here relay from `address` on
 * this one machine, so this test-only config allows exactly that address back
 * (`allowed-peer-ip` wins over `denied-peer-ip`).
 */
export function renderTurnConf({ port, relayFrom, secret, dir, address = "127.0.0.1" }) {
  const shipped = readFileSync(path.join(ROOT, "deploy", "turnserver.conf"), "utf8");
  const kept = shipped.split("\n").filter((line) => !REPLACED.has(line.split("=")[0].trim()));
  return [
    ...kept,
    `listening-ip=${address}`,
    `relay-ip=${address}`,
    `listening-port=${port}`,
    `min-port=${relayFrom}`,
    `max-port=${relayFrom + RELAY_PORTS - 1}`,
    `static-auth-secret=${secret}`,
    "allow-loopback-peers",
    `allowed-peer-ip=${address}`,
    "no-tls",
    "no-dtls",
    `userdb=${path.join(dir, "turndb")}`,
    `pidfile=${path.join(dir, "turnserver.pid")}`,
    "log-file=stdout",
    "simple-log",
    // Each request's outcome, with its user name: the test sees whose allocations these are.
    "verbose",
  ].join("\n") + "\n";
}

/** Resolves once coturn answers a STUN binding request on `port`. */
async function waitForStun(address, port, server) {
  const socket = dgram.createSocket("udp4");
  const request = Buffer.concat([Buffer.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42]), randomBytes(12)]);
  const answered = new Promise((resolve) => socket.on("message", (m) => m[0] === 1 && m[1] === 1 && resolve()));
  const deadline = Date.now() + START_TIMEOUT_MS;
  try {
    while (Date.now() < deadline) {
      if (!server.alive) throw new Error(`coturn exited:\n${server.tail()}`);
      socket.send(request, port, address);
      const waited = await Promise.race([answered.then(() => true), new Promise((r) => setTimeout(r, 200, false))]);
      if (waited) return;
    }
    throw new Error(`coturn did not answer STUN on ${port} within ${START_TIMEOUT_MS} ms:\n${server.tail()}`);
  } finally {
    socket.close();
  }
}

/**
 * Starts coturn on `address`; resolves with `{ server, port, url, tcpUrl, secretFile,
 * stop() }`: `url` its UDP `turn:` URL (`tcpUrl` over TCP) and `secretFile` a file holding
 * the secret, for the backend's flags.
 */
export async function startCoturn({ address = "127.0.0.1" } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), "meetmap-coturn-"));
  const port = await freeUdpPort(address);
  // The relay range: from a random start, as free ports of a range cannot be bound first.
  const relayFrom = 40_000 + Math.floor(Math.random() * 20_000);
  const secret = randomBytes(24).toString("hex");
  const conf = path.join(dir, "turnserver.conf");
  writeFileSync(conf, renderTurnConf({ port, relayFrom, secret, dir, address }));
  const secretFile = path.join(dir, "turn.key");
  writeFileSync(secretFile, `${secret}\n`, { mode: 0o600 });
  const child = spawn(TURNSERVER, ["-c", conf], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  const server = new Server("coturn", child);
  try {
    await waitForStun(address, port, server);
  } catch (err) {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    server,
    port,
    url: `turn:${address}:${port}?transport=udp`,
    tcpUrl: `turn:${address}:${port}?transport=tcp`,
    secretFile,
    async stop() {
      await server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
