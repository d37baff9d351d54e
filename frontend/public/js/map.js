// Map: the way in to the map view (map/). Leaflet (and its marker clusters) load at run
// time; when Leaflet or the tiles cannot load, the rest of the app works on and a note
// says the map is unavailable.

import { LeafletMap } from "./map/leaflet-map.js";
import { loadLeaflet } from "./map/loader.js";

/**
 * Creates the map view in `container`. `places` describes each person's distance and age
 * (people/places.js); `actions` is `{ onCall(email), onMessage(email) }` for the markers'
 * popups, and `onFocusBack(element)` before the focus goes back from a popup. Resolves to
 * a view with `upsert(user, isSelf)`, `remove(email)`, `refreshPlaces()`,
 * `setAccuracy(metres)`, `focus(email, { fromKeyboard })`, `markerPositions()`,
 * `markersInView()` and `available`; without Leaflet the same view keeps no markers and
 * `note` (an element) explains why.
 */
export async function createMap(container, note, config, { places, actions }) {
  const L = await loadLeaflet();
  if (!L) {
    showNote(note, "The map is unavailable (its library could not be loaded). Everything else works: see who is online, chat and call from the list.");
    container.classList.add("map-unavailable");
    return new NoMap();
  }
  try {
    return new LeafletMap(L, container, { tiles: tileLayer(L, note, config), places, actions });
  } catch (err) {
    console.warn("meetmap: the map could not start", err);
    showNote(note, "The map could not start. Everything else works from the list.");
    container.classList.add("map-unavailable");
    return new NoMap();
  }
}

/** The tiles, with a note while they fail to load. */
function tileLayer(L, note, config) {
  const tiles = L.tileLayer(config.tileUrl, { attribution: config.tileAttribution, maxZoom: 19 });
  let failed = false;
  tiles.on("tileerror", () => {
    if (failed) return;
    failed = true;
    showNote(note, "Map tiles could not be loaded (offline?). Markers, the list, chat and calls still work.");
    note.classList.add("map-note-small");
  });
  tiles.on("tileload", () => {
    if (!failed) return;
    failed = false;
    note.hidden = true;
  });
  return tiles;
}

function showNote(note, text) {
  note.textContent = text;
  note.hidden = false;
}

/** The view used when there is no map: same methods, no markers. */
class NoMap {
  available = false;
  upsert() {}
  remove() {}
  refreshPlaces() {}
  setAccuracy() {}
  focus() {
    return false;
  }
  markerPositions() {
    return {};
  }
  markersInView() {
    return [];
  }
}
