// A browser test's world reached through the shipped nginx: the app on
// https://127.0.0.1:<port>/, its WebSocket through the proxy's /ws to the backend nodes.

import WebSocket from "ws";

import { World, launchBrowser } from "./browser.js";
import { freePort, startNginx } from "./nginx.js";
import { Servers } from "./servers.js";

/** The backend flags behind the proxy of `origin`: its page's origin, the proxy trusted. */
export function behindProxy(origin) {
  return ["--allowed-origins", origin, "--trusted-proxies", "127.0.0.1"];
}

/**
 * A world whose app is reached through nginx on https://127.0.0.1:<port>/ (a self-signed
 * certificate, which its Chromium accepts). `startServers` starts what nginx fronts: one
 * backend and one frontend here; a world of several backend nodes overrides it.
 */
export class NginxWorld extends World {
  async start(options) {
    const port = await freePort();
    this.origin = `https://127.0.0.1:${port}`;
    const backendPorts = await this.startServers(options, `wss://127.0.0.1:${port}/ws`);
    this.nginx = await startNginx(this.servers, port, backendPorts);
    this.browser = await launchBrowser(["--ignore-certificate-errors"]);
  }

  /** Starts `this.servers`, the app given `wsUrl`; resolves with the backends' ports. */
  async startServers(options, wsUrl) {
    this.servers = await Servers.start({ ...options, wsUrl, backendArgs: behindProxy(this.origin) });
    return [this.servers.backend.port];
  }

  get appUrl() {
    return `${this.origin}/`;
  }

  async close() {
    await super.close();
    await this.nginx?.stop();
  }
}

/**
 * A WebSocket upgrade through nginx's `/ws` at `origin` (https://…) from a client whose
 * request says `X-Forwarded-For: client` (nginx appends its own peer, 127.0.0.1, which the
 * backend trusts). Resolves with `{ socket }` once open, or `{ status, body }` for an
 * upgrade refused with an HTTP answer.
 */
export function upgradeThroughNginx(origin, client) {
  const url = `${origin.replace("https:", "wss:")}/ws`;
  const socket = new WebSocket(url, ["meetmap.v1"], {
    origin,
    headers: { "X-Forwarded-For": client },
    rejectUnauthorized: false,
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer for ${client}`)), 15_000);
    const settle = (outcome) => {
      clearTimeout(timer);
      resolve(outcome);
    };
    socket.once("open", () => settle({ socket }));
    socket.once("unexpected-response", (request, response) => {
      let body = "";
      response.setEncoding("utf8");
      response.on("data", (chunk) => (body += chunk));
      response.on("end", () => {
        request.destroy();
        settle({ status: response.statusCode, body });
      });
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}
