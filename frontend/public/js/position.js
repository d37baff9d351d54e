// Position: watches the browser's geolocation and decides when to share it: at once after
// a move farther than `distanceM` from the last position sent, otherwise at most once per
// `intervalMs` (the latest position is sent when the interval is over); and, while the
// browser reports nothing new, the latest position again once per `intervalMs`, so others
// see it is current (a position not sent again for two intervals is drawn as stale).

const EARTH_RADIUS_M = 6371008.8;

/** Great-circle distance in metres between two `{ latitude, longitude }`. */
export function distanceM(a, b) {
  const rad = Math.PI / 180;
  const dLat = (b.latitude - a.latitude) * rad;
  const dLon = (b.longitude - a.longitude) * rad;
  const h =
    Math.sin(dLat / 2) ** 2 +
    Math.cos(a.latitude * rad) * Math.cos(b.latitude * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Starts watching. `onSend({ latitude, longitude })` is called when the position should be
 * shared; `onStatus(state, detail)` with `state` one of `locating`, `shared`, `denied`,
 * `unavailable`, `unsupported`. Returns a function that stops watching.
 */
export function watchPosition({ intervalMs, distanceM: minDistanceM, onSend, onStatus }) {
  if (!("geolocation" in navigator)) {
    onStatus("unsupported");
    return () => {};
  }
  let lastSent = null;
  let lastSentAt = 0;
  let pending = null;
  let timer = null;
  let keepAlive = null;

  const send = (position) => {
    clearTimeout(timer);
    clearTimeout(keepAlive);
    timer = null;
    pending = null;
    lastSent = position;
    lastSentAt = Date.now();
    onSend(position);
    keepAlive = setTimeout(() => send(pending ?? lastSent), intervalMs);
  };

  const onPosition = (fix) => {
    const position = { latitude: fix.coords.latitude, longitude: fix.coords.longitude };
    onStatus("shared", { accuracyM: fix.coords.accuracy });
    const now = Date.now();
    if (!lastSent || distanceM(lastSent, position) > minDistanceM) {
      send(position);
    } else if (now - lastSentAt >= intervalMs) {
      send(position);
    } else {
      pending = position;
      timer ??= setTimeout(() => {
        timer = null;
        if (pending) send(pending);
      }, lastSentAt + intervalMs - now);
    }
  };

  const onError = (err) => {
    // Without a fix the last one is not said to be current any more.
    if (err.code === err.PERMISSION_DENIED || err.code === err.POSITION_UNAVAILABLE) clearTimeout(keepAlive);
    if (err.code === err.PERMISSION_DENIED) onStatus("denied");
    else if (err.code === err.POSITION_UNAVAILABLE) onStatus("unavailable");
    // A timeout just means no fix yet; the watch goes on.
    else if (!lastSent) onStatus("locating");
  };

  onStatus("locating");
  const id = navigator.geolocation.watchPosition(onPosition, onError, {
    enableHighAccuracy: true,
    maximumAge: 10000,
  });
  return () => {
    navigator.geolocation.clearWatch(id);
    clearTimeout(timer);
    clearTimeout(keepAlive);
  };
}
