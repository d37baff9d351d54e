// A browser test's world reached through the shipped nginx: the app on
// https://127.0.0.1:<port>/, its WebSocket through the proxy's /ws to the backend nodes.

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
