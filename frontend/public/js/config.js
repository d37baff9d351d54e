// Runtime configuration: reads /config.json and fills in defaults, so the app still runs
// (against ws://<page host>:8080/) when the document cannot be loaded.

/** What the app uses when /config.json leaves a field out or cannot be read. */
export const DEFAULTS = Object.freeze({
  wsUrl: null,
  iceServers: [{ urls: "stun:stun.l.google.com:19302" }],
  tileUrl: "https://tile.openstreetmap.org/{z}/{x}/{y}.png",
  tileAttribution:
    '&copy; <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors',
  positionIntervalMs: 20000,
  positionDistanceM: 50,
  ringTimeoutMs: 30000,
  reconnectMaxMs: 10000,
  accessCodeRequired: false,
});

/** Resolves to `{ config, warning }`; `warning` is a sentence when the defaults were used. */
export async function loadConfig() {
  try {
    const response = await fetch("/config.json", { cache: "no-store" });
    if (!response.ok) throw new Error(`/config.json answered ${response.status}`);
    const doc = await response.json();
    return { config: merge(doc), warning: null };
  } catch (err) {
    return {
      config: { ...DEFAULTS },
      warning: `Could not read the server's settings (${err.message}); using defaults.`,
    };
  }
}

/** The backend's WebSocket URL for `room`: the configured one, else ws(s)://<page host>:8080/. */
export function backendUrl(config, room) {
  let url;
  try {
    url = new URL(config.wsUrl || defaultWsUrl(), location.href);
  } catch {
    url = new URL(defaultWsUrl());
  }
  url.searchParams.set("room", room);
  return url.toString();
}

function defaultWsUrl() {
  const scheme = location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${location.hostname}:8080/`;
}

function merge(doc) {
  const config = { ...DEFAULTS };
  if (!doc || typeof doc !== "object") return config;
  if (typeof doc.wsUrl === "string" && doc.wsUrl.trim()) config.wsUrl = doc.wsUrl.trim();
  if (Array.isArray(doc.iceServers)) config.iceServers = doc.iceServers;
  if (typeof doc.tileUrl === "string" && doc.tileUrl) config.tileUrl = doc.tileUrl;
  if (typeof doc.tileAttribution === "string") config.tileAttribution = doc.tileAttribution;
  if (typeof doc.accessCodeRequired === "boolean") config.accessCodeRequired = doc.accessCodeRequired;
  for (const key of ["positionIntervalMs", "positionDistanceM", "ringTimeoutMs", "reconnectMaxMs"]) {
    const value = doc[key];
    if (typeof value === "number" && Number.isFinite(value) && value >= 0) config[key] = value;
  }
  return config;
}
