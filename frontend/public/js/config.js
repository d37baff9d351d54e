// Runtime configuration: the deployment's settings from /config.json, which the frontend
// server renders from its own defaults and flags (frontend/src/runtime_config.rs). The app
// takes every setting from there; FALLBACK only keeps it running when that fails.

/**
 * Used only when /config.json cannot be read, or lacks a field (a frontend older than this
 * page): a copy of the frontend's defaults, kept here for that case alone. Nothing else in
 * the app holds a default of these settings.
 */
const FALLBACK = Object.freeze({
  wsUrl: null,
  wsPort: 8080,
  iceServers: [{ urls: "stun:stun.l.google.com:19302" }],
  iceTransportPolicy: "all",
  tileUrl: "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
  tileAttribution:
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
  positionIntervalMs: 20000,
  positionDistanceM: 50,
  ringTimeoutMs: 30000,
  reconnectBaseMs: 500,
  reconnectMaxMs: 10000,
  connectTimeoutMs: 10000,
  accessCodeRequired: false,
});

/** The settings that are numbers (milliseconds, metres, a port), each at least 0. */
const NUMBERS = [
  "wsPort",
  "positionIntervalMs",
  "positionDistanceM",
  "ringTimeoutMs",
  "reconnectBaseMs",
  "reconnectMaxMs",
  "connectTimeoutMs",
];

/** Resolves to `{ config, warning }`; `warning` is a sentence when the fallback was used. */
export async function loadConfig() {
  try {
    const response = await fetch("/config.json", { cache: "no-store" });
    if (!response.ok) throw new Error(`/config.json answered ${response.status}`);
    const doc = await response.json();
    return { config: merge(doc), warning: null };
  } catch (err) {
    return {
      config: { ...FALLBACK },
      warning: `Could not read the server's settings (${err.message}); using defaults.`,
    };
  }
}

/**
 * The backend's WebSocket URL for `room`: the configured one, else ws(s)://<page
 * host>:<wsPort>/.
 */
export function backendUrl(config, room) {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  const onPageHost = `${scheme}://${location.hostname}:${config.wsPort}/`;
  let url;
  try {
    url = new URL(config.wsUrl || onPageHost, location.href);
  } catch {
    url = new URL(onPageHost);
  }
  url.searchParams.set("room", room);
  return url.toString();
}

/** The document's settings where they have the right type, the fallback's elsewhere. */
function merge(doc) {
  const config = { ...FALLBACK };
  if (!doc || typeof doc !== "object") return config;
  if (typeof doc.wsUrl === "string" && doc.wsUrl.trim()) config.wsUrl = doc.wsUrl.trim();
  if (Array.isArray(doc.iceServers)) config.iceServers = doc.iceServers;
  if (doc.iceTransportPolicy === "all" || doc.iceTransportPolicy === "relay") {
    config.iceTransportPolicy = doc.iceTransportPolicy;
  }
  if (typeof doc.tileUrl === "string" && doc.tileUrl) config.tileUrl = doc.tileUrl;
  if (typeof doc.tileAttribution === "string") config.tileAttribution = doc.tileAttribution;
  if (typeof doc.accessCodeRequired === "boolean") config.accessCodeRequired = doc.accessCodeRequired;
  for (const key of NUMBERS) {
    const value = doc[key];
    if (typeof value === "number" && Number.isFinite(value) && value >= 0) config[key] = value;
  }
  return config;
}
