// The map's libraries: Leaflet from /vendor/leaflet/ and Leaflet.markercluster from
// /vendor/markercluster/, loaded at run time. Leaflet missing means no map; the clusters
// missing means a map whose markers are not grouped.

import { el } from "../ui.js";

const LEAFLET_JS = "/vendor/leaflet/leaflet.js";
const LEAFLET_CSS = "/vendor/leaflet/leaflet.css";
const CLUSTER_JS = "/vendor/markercluster/leaflet.markercluster.js";
const CLUSTER_CSS = "/vendor/markercluster/MarkerCluster.css";
const LOAD_TIMEOUT_MS = 10000;

/**
 * Loads Leaflet once, then the marker clusters; resolves to `window.L` (with
 * `L.MarkerClusterGroup` when the clusters loaded), or null when Leaflet cannot be loaded.
 */
export async function loadLeaflet() {
  if (!window.L) {
    if (!(await installed(LEAFLET_JS))) return null;
    document.head.append(el("link", { rel: "stylesheet", href: LEAFLET_CSS }));
    if (!(await loadScript(LEAFLET_JS)) || !window.L) return null;
  }
  if (!window.L.MarkerClusterGroup && (await installed(CLUSTER_JS))) {
    document.head.append(el("link", { rel: "stylesheet", href: CLUSTER_CSS }));
    await loadScript(CLUSTER_JS);
  }
  return window.L;
}

/** One cheap probe first: without the library installed, the page asks for nothing more. */
async function installed(url) {
  try {
    const probe = await fetch(url, { method: "HEAD", cache: "no-cache" });
    return probe.ok;
  } catch {
    return false;
  }
}

/** Resolves to whether the script loaded (false on error or after the timeout). */
function loadScript(src) {
  return new Promise((resolve) => {
    const script = el("script", { src });
    const timer = setTimeout(() => resolve(false), LOAD_TIMEOUT_MS);
    script.addEventListener("load", () => {
      clearTimeout(timer);
      resolve(true);
    });
    script.addEventListener("error", () => {
      clearTimeout(timer);
      resolve(false);
    });
    document.head.append(script);
  });
}
