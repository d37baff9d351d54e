// Starts the real `backend` and `frontend` binaries (built beforehand by `just test`) on
// free loopback ports, and stops, kills and restarts them; every child is cleaned up.

import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The workspace root (the folder holding `e2e/`). */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");

const TARGET_DIR = process.env.CARGO_TARGET_DIR
  ? path.resolve(ROOT, process.env.CARGO_TARGET_DIR)
  : path.join(ROOT, "target");
const BACKEND_BIN = path.join(TARGET_DIR, "debug", "backend");
const FRONTEND_BIN = path.join(TARGET_DIR, "debug", "frontend");

/** How long a binary may take to log that it listens. */
const START_TIMEOUT_MS = 15_000;
/** How long a SIGTERM-ed binary may take to exit before it is killed. */
const STOP_TIMEOUT_MS = 5_000;

/**
 * Short timings for the browser app (read by the frontend into /config.json), so that
 * position updates and reconnections happen within a test's time. The ring timeout is
 * shorter than the app's 30 s, yet long enough for a callee's page on a loaded machine
 * to show the call and answer it: the test of the timeout itself sets a shorter one.
 */
export const APP_TIMINGS = {
  MEETMAP_RING_TIMEOUT_MS: "20000",
  MEETMAP_POSITION_INTERVAL_MS: "1000",
  MEETMAP_POSITION_DISTANCE_M: "50",
  MEETMAP_RECONNECT_MAX_MS: "1000",
};

/** Every child still running, killed on exit if a test forgot (or could not) stop it. */
const running = new Set();
function killAll() {
  for (const child of running) {
    try {
      // A child spawned `detached` leads a process group (geckodriver and its Firefox).
      if (child.killGroup) process.kill(-child.pid, "SIGKILL");
      else child.kill("SIGKILL");
    } catch {
      // Already gone.
    }
  }
}
process.on("exit", killAll);
// The test runner ends a file's process with a signal on timeout or Ctrl-C.
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]]) {
  process.once(signal, () => {
    killAll();
    process.exit(code);
  });
}

/** The environment without any MEETMAP_* setting of the developer's shell. */
export function cleanEnv(extra) {
  const env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith("MEETMAP_")) env[key] = value;
  }
  return { ...env, RUST_LOG: "info", ...extra };
}

/**
 * One started binary: its process, everything it logged, and the address it listens on.
 */
export class Server {
  constructor(name, child) {
    this.name = name;
    this.child = child;
    this.log = [];
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        running.delete(child);
        resolve({ code, signal });
      });
    });
    running.add(child);
    for (const stream of [child.stdout, child.stderr]) {
      let partial = "";
      stream.setEncoding("utf8");
      stream.on("data", (chunk) => {
        const lines = (partial + chunk).split("\n");
        partial = lines.pop();
        for (const line of lines) {
          this.log.push(line);
          this.onLine?.(line);
        }
      });
    }
  }

  /** Resolves with the first match of `pattern` in the log; rejects if the process exits. */
  waitForLine(pattern, timeoutMs = START_TIMEOUT_MS) {
    return new Promise((resolve, reject) => {
      const found = this.log.map((l) => l.match(pattern)).find(Boolean);
      if (found) return resolve(found);
      const timer = setTimeout(() => {
        this.onLine = undefined;
        reject(new Error(`${this.name} did not log ${pattern} within ${timeoutMs} ms:\n${this.tail()}`));
      }, timeoutMs);
      this.onLine = (line) => {
        const m = line.match(pattern);
        if (m) {
          clearTimeout(timer);
          this.onLine = undefined;
          resolve(m);
        }
      };
      this.exited.then(({ code, signal }) => {
        clearTimeout(timer);
        this.onLine = undefined;
        reject(new ExitedEarly(`${this.name} exited (code ${code}, signal ${signal}) before it listened:\n${this.tail()}`, this.log));
      });
    });
  }

  tail(lines = 30) {
    return this.log.slice(-lines).join("\n");
  }

  get alive() {
    return running.has(this.child);
  }

  /** SIGTERM, then SIGKILL if it has not exited after a while. */
  async stop() {
    if (!this.alive) return this.exited;
    this.child.kill("SIGTERM");
    const timer = setTimeout(() => this.child.kill("SIGKILL"), STOP_TIMEOUT_MS);
    const result = await this.exited;
    clearTimeout(timer);
    return result;
  }

  /** SIGKILL: a crash, no close frames. */
  async kill() {
    if (!this.alive) return this.exited;
    this.child.kill("SIGKILL");
    return this.exited;
  }
}

class ExitedEarly extends Error {
  constructor(message, log) {
    super(message);
    this.log = log;
  }
}

function requireBinary(bin) {
  if (!existsSync(bin)) {
    throw new Error(`${bin} is missing: build it first (\`cargo build -p backend -p frontend\`, or \`just test\`)`);
  }
}

/**
 * The port a process listens on, from /proc: a fallback for when the log line names the
 * requested port 0 instead of the bound one.
 */
export function listeningPortOf(pid) {
  const inodes = new Set();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const m = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
      if (m) inodes.add(m[1]);
    } catch {
      // The descriptor closed meanwhile.
    }
  }
  for (const table of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    for (const row of readFileSync(table, "utf8").split("\n").slice(1)) {
      const cols = row.trim().split(/\s+/);
      // local_address is cols[1] ("0100007F:1F90"), st is cols[3] ("0A" = LISTEN), inode cols[9].
      if (cols.length > 9 && cols[3] === "0A" && inodes.has(cols[9])) {
        return parseInt(cols[1].split(":")[1], 16);
      }
    }
  }
  throw new Error(`process ${pid} listens on no TCP port`);
}

/** The backend's liveness timings in the tests, unless a test passes its own flags. */
const BACKEND_TIMINGS = { "--ping-interval-ms": "1000", "--idle-timeout-ms": "3000" };

/**
 * Starts the backend on `listen` (host:port) with `extraArgs` (flags of a test, such as
 * `--access-code`, or its own `BACKEND_TIMINGS`); resolves once it logs that it listens.
 */
async function spawnBackend(listen, database, extraArgs = []) {
  requireBinary(BACKEND_BIN);
  const timings = Object.entries(BACKEND_TIMINGS).filter(([flag]) => !extraArgs.includes(flag));
  const args = [
    "--listen", listen,
    "--database", database,
    ...timings.flat(),
    // The frontend gets a free port after the backend starts, so its origin is not known
    // here; the origin allow-list has tests of its own (backend/tests/it/admission.rs). A
    // test that knows its page's origin (behind a proxy) passes its own list.
    ...(extraArgs.includes("--allowed-origins") ? [] : ["--allowed-origins", "*"]),
    ...extraArgs,
  ];
  const child = spawn(BACKEND_BIN, args, { cwd: ROOT, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
  const server = new Server("backend", child);
  const m = await server.waitForLine(/listening on ws:\/\/(\S+)/);
  let [host, port] = splitAddr(m[1]);
  if (port === 0) {
    // The backend logs the address it was asked for, not the one it bound (a backend bug
    // reported with this suite); read the bound port off the process instead.
    port = listeningPortOf(child.pid);
  }
  server.host = host;
  server.port = port;
  server.url = `ws://${host}:${port}/`;
  return server;
}

/**
 * Starts a frontend whose pages reach the backend at `wsUrl`, with the app's test timings
 * and `appEnv`; resolves once it serves, with its `appUrl`.
 */
async function spawnFrontend(wsUrl, appEnv, frontendArgs = [], host = "127.0.0.1") {
  requireBinary(FRONTEND_BIN);
  const args = [
    "--listen", `${host}:0`,
    "--ws-url", wsUrl,
    ...frontendArgs,
    // Tiles go to a closed port on loopback: never to the internet.
    "--tile-url", "http://127.0.0.1:9/{z}/{x}/{y}.png",
    // No STUN server: peers on this machine connect over their host candidates.
    "--ice-servers", "[]",
  ];
  // E2E_PUBLIC_DIR: run the tests against another copy of the browser app.
  if (process.env.E2E_PUBLIC_DIR) args.push("--public-dir", path.resolve(process.env.E2E_PUBLIC_DIR));
  const child = spawn(FRONTEND_BIN, args, {
    cwd: ROOT,
    env: cleanEnv({ ...APP_TIMINGS, ...appEnv }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  const frontend = new Server("frontend", child);
  const m = await frontend.waitForLine(/serving .* on (http:\/\/\S+\/)/);
  frontend.appUrl = m[1];
  frontend.port = Number(new URL(frontend.appUrl).port);
  return frontend;
}

function splitAddr(addr) {
  const i = addr.lastIndexOf(":");
  return [addr.slice(0, i), Number(addr.slice(i + 1))];
}

/**
 * The two servers of one test. `start()` runs both; `stopBackend`, `killBackend` and
 * `restartBackend` act on the backend only, which comes back on the same port.
 */
export class Servers {
  constructor() {
    this.dir = mkdtempSync(path.join(tmpdir(), "meetmap-e2e-"));
    this.database = path.join(this.dir, "users.sqlite3");
    this.backend = undefined;
    this.frontend = undefined;
    /** Frontends started by `startFrontend`, which give the browser another backend URL. */
    this.extraFrontends = [];
    /** Backends started by `startNode`: more nodes of a cluster beside `backend`. */
    this.extraBackends = [];
  }

  static async start(options) {
    const servers = new Servers();
    try {
      await servers.start(options);
    } catch (err) {
      await servers.close();
      throw err;
    }
    return servers;
  }

  /**
   * `wsUrl`: the WebSocket URL the app is given, when not the backend's own (a proxy's);
   * `host`: the address both listen on (loopback unless a test's network needs another).
   */
  async start({ appEnv = {}, backendArgs = [], frontendArgs = [], wsUrl, host = "127.0.0.1" } = {}) {
    this.backendArgs = backendArgs;
    this.appEnv = appEnv;
    this.backend = await spawnBackend(`${host}:0`, this.database, backendArgs);
    this.frontendArgs = frontendArgs;
    this.frontend = await spawnFrontend(wsUrl ?? this.backend.url, appEnv, frontendArgs, host);
    this.appUrl = this.frontend.appUrl;
  }

  /**
   * Another frontend, whose pages reach the backend at `wsUrl` (a proxy in front of it);
   * resolves with its app URL. Stopped by `close()`.
   */
  async startFrontend(wsUrl) {
    const frontend = await spawnFrontend(wsUrl, this.appEnv, this.frontendArgs);
    this.extraFrontends.push(frontend);
    return frontend.appUrl;
  }

  /**
   * Another backend node on a free port with `args` (its `--redis`, `--node-id`), its
   * stores in a folder of its own; resolves with its `Server`. Stopped by `close()`.
   */
  async startNode(args) {
    const folder = path.join(this.dir, `node-${this.extraBackends.length + 2}`);
    mkdirSync(folder);
    const node = await spawnBackend("127.0.0.1:0", path.join(folder, "users.sqlite3"), args);
    this.extraBackends.push(node);
    return node;
  }

  /** Stops the backend gracefully (SIGTERM: clients get close frames). */
  async stopBackend() {
    return this.backend.stop();
  }

  /** Kills the backend (SIGKILL: connections just drop). */
  async killBackend() {
    return this.backend.kill();
  }

  /**
   * Starts the backend again on the port it had, with the same users store; retries a few
   * times while the port is still busy.
   */
  async restartBackend() {
    const { host, port } = this.backend;
    if (this.backend.alive) await this.backend.stop();
    const previousLog = this.backend.log;
    let lastError;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        const server = await spawnBackend(`${host}:${port}`, this.database, this.backendArgs);
        server.log.unshift(...previousLog, "---- restarted ----");
        this.backend = server;
        return server;
      } catch (err) {
        if (!(err instanceof ExitedEarly) || !/cannot listen/.test(err.message)) throw err;
        lastError = err;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    throw lastError;
  }

  /** Both servers' logs, for a failing test's report (the other nodes' after the backend's). */
  logs() {
    const backends = [this.backend, ...this.extraBackends].filter(Boolean);
    return {
      backend: backends.map((b, i) => `${i ? `---- node ${i + 1} ----\n` : ""}${b.log.join("\n")}`).join("\n"),
      frontend: this.frontend?.log.join("\n") ?? "",
    };
  }

  /** Stops both servers and removes the temporary folder; safe to call twice. */
  async close() {
    const others = [...this.extraFrontends, ...this.extraBackends];
    await Promise.all([this.backend?.stop(), this.frontend?.stop(), ...others.map((s) => s.stop())]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
