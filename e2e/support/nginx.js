// A real nginx (Debian's package) in front of both servers, running the shipped
// deploy/nginx.conf with its ports and certificate paths replaced, TLS with a fresh
// self-signed certificate, in a temporary prefix; stopped with the test.

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import net from "node:net";
import path from "node:path";

import { ROOT, Server } from "./servers.js";

const NGINX = process.env.NGINX_PATH || "/usr/sbin/nginx";
/** How long nginx may take to accept connections. */
const START_TIMEOUT_MS = 15_000;

/** A free loopback port (bound, then released for nginx to take). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

/** `text` with each `[from, to]` replaced; throws when the shipped file lost one of them. */
function replaceAll(text, replacements) {
  for (const [from, to] of replacements) {
    if (!text.includes(from)) throw new Error(`deploy/nginx.conf no longer contains ${JSON.stringify(from)}`);
    text = text.split(from).join(to);
  }
  return text;
}

/** The shipped upstream line of the first backend node; the others are written like it. */
const BACKEND_NODE = "server 127.0.0.1:8080 ";

/**
 * deploy/nginx.conf for this test: its upstreams (one line per port of `backendPorts`,
 * the backend nodes), listen ports and certificate.
 */
export function renderSite({ httpsPort, httpPort, backendPorts, frontendPort, cert, key }) {
  const shipped = readFileSync(path.join(ROOT, "deploy", "nginx.conf"), "utf8");
  const nodeLine = shipped.split("\n").find((line) => line.trim().startsWith(BACKEND_NODE));
  if (!nodeLine) throw new Error(`deploy/nginx.conf no longer contains ${JSON.stringify(BACKEND_NODE)}`);
  const nodes = backendPorts.map((port) => nodeLine.replace("127.0.0.1:8080", `127.0.0.1:${port}`));
  return replaceAll(shipped, [
    ["server 127.0.0.1:3000;", `server 127.0.0.1:${frontendPort};`],
    [nodeLine, nodes.join("\n")],
    ["listen 443 ssl;", `listen 127.0.0.1:${httpsPort} ssl;`],
    ["listen [::]:443 ssl;", ""],
    ["listen 80;", `listen 127.0.0.1:${httpPort};`],
    ["listen [::]:80;", ""],
    ["/etc/letsencrypt/live/meet.example/fullchain.pem", cert],
    ["/etc/letsencrypt/live/meet.example/privkey.pem", key],
  ]);
}

/** A self-signed certificate for 127.0.0.1 in `dir` (openssl CLI). */
function selfSigned(dir) {
  const cert = path.join(dir, "cert.pem");
  const key = path.join(dir, "key.pem");
  execFileSync("openssl", [
    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
    "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
    "-addext", "subjectAltName=IP:127.0.0.1",
  ], { stdio: "ignore" });
  return { cert, key };
}

/** Resolves once something accepts on `port`, or rejects after `timeoutMs`. */
async function waitForPort(port, server, timeoutMs = START_TIMEOUT_MS) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!server.alive) throw new Error(`nginx exited:\n${server.tail()}`);
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => resolve(socket.end() && true));
      socket.once("error", () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`nginx did not listen on ${port} within ${timeoutMs} ms:\n${server.tail()}`);
}

/**
 * Starts nginx with the shipped site in front of `servers` (a started `Servers`: its
 * frontend, and its backend or, with `backendPorts`, those backend nodes) on `httpsPort`;
 * resolves with its `Server` (for `stop()`), its access log's path added.
 */
export async function startNginx(servers, httpsPort, backendPorts = [servers.backend.port]) {
  const dir = path.join(servers.dir, "nginx");
  mkdirSync(path.join(dir, "logs"), { recursive: true });
  const site = renderSite({
    httpsPort,
    httpPort: await freePort(),
    backendPorts,
    frontendPort: servers.frontend.port,
    ...selfSigned(dir),
  });
  writeFileSync(path.join(dir, "meetmap.conf"), site);
  const accessLog = path.join(dir, "logs", "access.log");
  // The part of Debian's /etc/nginx/nginx.conf a site file is included in, with every
  // path in the temporary prefix.
  writeFileSync(path.join(dir, "nginx.conf"), [
    "worker_processes 1;",
    `pid ${path.join(dir, "nginx.pid")};`,
    "error_log stderr notice;",
    "events { worker_connections 256; }",
    "http {",
    `  access_log ${accessLog};`,
    ...["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `  ${t}_temp_path ${path.join(dir, t)};`),
    "  include meetmap.conf;",
    "}",
    "",
  ].join("\n"));
  const user = process.getuid?.() === 0 ? ["-g", "daemon off; user root;"] : ["-g", "daemon off;"];
  const child = spawn(NGINX, ["-p", dir, "-c", path.join(dir, "nginx.conf"), ...user], { stdio: ["ignore", "pipe", "pipe"] });
  const nginx = new Server("nginx", child);
  await waitForPort(httpsPort, nginx);
  nginx.accessLog = accessLog;
  return nginx;
}
