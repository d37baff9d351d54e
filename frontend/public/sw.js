// The service worker: keeps a copy of the app shell (the page, its styles, every module
// main.js imports, the icons, /config.json, Leaflet and Leaflet.markercluster) so that a reload without the network
// shows the app and its "reconnecting" state, not the browser's error page. Always the
// network first (the app has no hashed file names, so a copy is only for when the server
// cannot be reached), and every good answer of this origin refreshes the copy. The call
// notifications' Accept and Decline come through here too (calls/sw-call-actions.js).

importScripts("/js/calls/sw-call-actions.js");

/** The cache's name; a new version drops the old caches when it takes over. */
const CACHE = "meetmap-shell-v1";
/** What is kept at install, besides the modules found by following main.js's imports. */
const SHELL = [
  "/",
  "/css/app.css",
  "/css/calls.css",
  "/css/map.css",
  "/config.json",
  "/manifest.webmanifest",
  "/icons/icon.svg",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
  "/vendor/leaflet/leaflet.js",
  "/vendor/leaflet/leaflet.css",
  "/vendor/markercluster/leaflet.markercluster.js",
  "/vendor/markercluster/MarkerCluster.css",
];
/** The module graph's root. */
const ENTRY = "/js/main.js";
/** Module specifiers in a module's text: `from "…"`, `import "…"` and `import("…")`. */
const IMPORTS = /(?:\bfrom\s*|\bimport\s*\(?\s*)["']([^"']+\.js)["']/g;
/** The most modules followed, in case a cycle or a mistake would make the walk endless. */
const MAX_MODULES = 200;

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.method !== "GET" && request.method !== "HEAD") return;
  event.respondWith(networkFirst(request, url));
});

/** The network's answer (kept when good), else the copy, else the network's error. */
async function networkFirst(request, url) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (request.method === "GET" && response.ok && response.type === "basic") {
      await cache.put(keyOf(url), response.clone());
    }
    return response;
  } catch (err) {
    const copy = await cache.match(keyOf(url), { ignoreMethod: true });
    // A page of the app (any `?room=`) is the one page.
    const page = request.mode === "navigate" ? await cache.match("/") : undefined;
    if (copy ?? page) return copy ?? page;
    throw err;
  }
}

/** The cache key of a URL: its path, with the query only where the server reads one. */
function keyOf(url) {
  return url.pathname === "/index.html" ? "/" : url.pathname;
}

/** Keeps the shell and every module reachable from main.js; a missing file is skipped. */
async function precache() {
  const cache = await caches.open(CACHE);
  await Promise.all(SHELL.map((path) => keep(cache, path)));
  const seen = new Set([ENTRY]);
  const queue = [ENTRY];
  while (queue.length && seen.size <= MAX_MODULES) {
    const path = queue.shift();
    const text = await keep(cache, path, { text: true });
    if (!text) continue;
    for (const [, specifier] of text.matchAll(IMPORTS)) {
      const next = new URL(specifier, new URL(path, self.location.origin));
      if (next.origin !== self.location.origin || seen.has(next.pathname)) continue;
      seen.add(next.pathname);
      queue.push(next.pathname);
    }
  }
}

/** Fetches `path` into the cache; resolves with its text when asked, or null on failure. */
async function keep(cache, path, { text = false } = {}) {
  try {
    const response = await fetch(path, { cache: "no-cache" });
    if (!response.ok) return null;
    const body = text ? await response.clone().text() : null;
    await cache.put(path, response);
    return body;
  } catch {
    return null;
  }
}
