// A real redis-server (Debian's package) on a free loopback port, with no persistence, in
// a temporary folder: the backplane of a cluster of backend nodes (`--redis`).

import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import path from "node:path";

import { freePort } from "./nginx.js";
import { Server } from "./servers.js";

const REDIS = process.env.REDIS_SERVER || "/usr/bin/redis-server";

/**
 * Starts redis-server in `dir/redis` (removed with the folder); resolves once it accepts
 * connections, with its `Server` (for `stop()`) and its `url`.
 */
export async function startRedis(dir) {
  const folder = path.join(dir, "redis");
  mkdirSync(folder, { recursive: true });
  const port = await freePort();
  const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder];
  const child = spawn(REDIS, args, { stdio: ["ignore", "pipe", "pipe"] });
  const redis = new Server("redis", child);
  await redis.waitForLine(/Ready to accept connections/);
  redis.url = `redis://127.0.0.1:${port}`;
  return redis;
}
