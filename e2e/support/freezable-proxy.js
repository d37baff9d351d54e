// A TCP proxy between pages and the backend that a test can freeze: a silent network loss
// (packets dropped both ways, no FIN, no RST), then a new path after it. Connections it
// froze stay frozen for good, as those of a lost network do; new ones go through once it
// is thawed.

import net from "node:net";

export class FreezableProxy {
  #server;
  #target;
  #frozen = false;
  /** Every pair `{ client, upstream, stalled }` still open. */
  #pairs = new Set();

  constructor(server, target) {
    this.#server = server;
    this.#target = target;
    /** The port it listens on, once started. */
    this.port = null;
  }

  /** A proxy on a free loopback port to `target` (`{ host, port }`). */
  static async start(target) {
    const server = net.createServer();
    const proxy = new FreezableProxy(server, target);
    server.on("connection", (client) => proxy.#accept(client));
    await new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", resolve);
    });
    proxy.port = server.address().port;
    return proxy;
  }

  /** The WebSocket URL of the backend through the proxy. */
  get url() {
    return `ws://127.0.0.1:${this.port}/`;
  }

  /** Stops forwarding, both ways, on every connection; nothing is closed. */
  freeze() {
    this.#frozen = true;
    for (const pair of this.#pairs) stall(pair);
  }

  /** New connections go through again; the frozen ones never do. */
  thaw() {
    this.#frozen = false;
  }

  /** Closes every connection and the listener. */
  async close() {
    for (const { client, upstream } of this.#pairs) {
      client.destroy();
      upstream?.destroy();
    }
    this.#pairs.clear();
    await new Promise((resolve) => this.#server.close(resolve));
  }

  #accept(client) {
    const pair = { client, upstream: null, stalled: false };
    this.#pairs.add(pair);
    client.on("error", () => {});
    // A lost network: the connection opens and nothing passes, ever.
    if (this.#frozen) return stall(pair);
    const upstream = net.connect(this.#target.port, this.#target.host);
    pair.upstream = upstream;
    upstream.on("error", () => {});
    client.pipe(upstream);
    upstream.pipe(client);
    // While forwarding, a close on one side closes the other; once stalled, it is lost.
    for (const [from, to] of [[client, upstream], [upstream, client]]) {
      from.on("close", () => {
        if (pair.stalled) return;
        to.destroy();
        this.#pairs.delete(pair);
      });
    }
  }
}

function stall(pair) {
  pair.stalled = true;
  const { client, upstream } = pair;
  if (upstream) {
    client.unpipe(upstream);
    upstream.unpipe(client);
    upstream.pause();
  }
  client.pause();
}
