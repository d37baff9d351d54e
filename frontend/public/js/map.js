// Map: the Leaflet map with one marker per online user that has a position. Leaflet is
// loaded from /vendor/leaflet/ at run time; when it (or the tiles) cannot load, the rest of
// the app works on and a note says the map is unavailable.

import { el, hueOf, initials } from "./ui.js";

const LEAFLET_JS = "/vendor/leaflet/leaflet.js";
const LEAFLET_CSS = "/vendor/leaflet/leaflet.css";
const LOAD_TIMEOUT_MS = 10000;
const WORLD_VIEW = { center: [30, 0], zoom: 2 };
const SELF_ZOOM = 14;

/** Loads Leaflet once; resolves to `window.L`, or null when it cannot be loaded. */
async function loadLeaflet() {
  if (window.L) return window.L;
  // One cheap probe first: without Leaflet installed, the page asks for nothing more.
  try {
    const probe = await fetch(LEAFLET_JS, { method: "HEAD", cache: "no-cache" });
    if (!probe.ok) return null;
  } catch {
    return null;
  }
  document.head.append(el("link", { rel: "stylesheet", href: LEAFLET_CSS }));
  return new Promise((resolve) => {
    const script = el("script", { src: LEAFLET_JS });
    const timer = setTimeout(() => resolve(null), LOAD_TIMEOUT_MS);
    script.addEventListener("load", () => {
      clearTimeout(timer);
      resolve(window.L ?? null);
    });
    script.addEventListener("error", () => {
      clearTimeout(timer);
      resolve(null);
    });
    document.head.append(script);
  });
}

/**
 * Creates the map view in `container`. `actions` is `{ onCall(email), onMessage(email) }`,
 * used by the markers' popups. Resolves to a view with `upsert(user, isSelf)`,
 * `remove(email)`, `markerPositions()` and `available`; without Leaflet the same view
 * keeps no markers and `note` (an element) explains why.
 */
export async function createMap(container, note, config, actions) {
  const L = await loadLeaflet();
  if (!L) {
    showNote(note, "The map is unavailable (its library could not be loaded). Everything else works: see who is online, chat and call from the list.");
    container.classList.add("map-unavailable");
    return new NoMap();
  }
  try {
    return new LeafletMap(L, container, note, config, actions);
  } catch (err) {
    console.warn("meetmap: the map could not start", err);
    showNote(note, "The map could not start. Everything else works from the list.");
    container.classList.add("map-unavailable");
    return new NoMap();
  }
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
  markerPositions() {
    return {};
  }
}

class LeafletMap {
  available = true;
  #L;
  #map;
  #note;
  #actions;
  /** email → { marker, popup parts, look } of every marker on the map. */
  #markers = new Map();
  #centeredOnSelf = false;
  #tilesFailed = false;

  constructor(L, container, note, config, actions) {
    this.#L = L;
    this.#note = note;
    this.#actions = actions;
    this.#map = L.map(container, { zoomControl: true, worldCopyJump: true }).setView(
      WORLD_VIEW.center,
      WORLD_VIEW.zoom,
    );
    const tiles = L.tileLayer(config.tileUrl, {
      attribution: config.tileAttribution,
      maxZoom: 19,
    });
    tiles.on("tileerror", () => {
      if (this.#tilesFailed) return;
      this.#tilesFailed = true;
      showNote(note, "Map tiles could not be loaded (offline?). Markers, the list, chat and calls still work.");
      note.classList.add("map-note-small");
    });
    tiles.on("tileload", () => {
      if (!this.#tilesFailed) return;
      this.#tilesFailed = false;
      this.#note.hidden = true;
    });
    tiles.addTo(this.#map);
    this.#addControls();
    // The map's box changes with the layout (side panel, window size): tell Leaflet.
    new ResizeObserver(() => this.#map.invalidateSize()).observe(container);
  }

  /** Adds, moves or restyles the marker of `user`; removes it when the user has no position. */
  upsert(user, isSelf) {
    if (user.latitude === null || user.longitude === null) {
      this.remove(user.email);
      return;
    }
    const latLng = [user.latitude, user.longitude];
    let entry = this.#markers.get(user.email);
    if (!entry) {
      entry = this.#create(user, isSelf, latLng);
      this.#markers.set(user.email, entry);
    } else {
      entry.marker.setLatLng(latLng);
    }
    const look = `${isSelf}|${user.inCall}|${user.name}`;
    if (entry.look !== look) {
      entry.look = look;
      entry.marker.setIcon(this.#icon(user, isSelf));
      entry.marker.getElement()?.setAttribute("data-email", user.email);
      entry.name.textContent = user.name;
      entry.status.textContent = isSelf ? "This is you" : user.inCall ? "In a call" : "";
      entry.status.hidden = !entry.status.textContent;
    }
    if (isSelf && !this.#centeredOnSelf) {
      this.#centeredOnSelf = true;
      this.#map.setView(latLng, Math.max(this.#map.getZoom(), SELF_ZOOM));
    }
  }

  remove(email) {
    const entry = this.#markers.get(email);
    if (!entry) return;
    entry.marker.remove();
    this.#markers.delete(email);
  }

  /** `{ email: [lat, lng] }` of the markers on the map, read from Leaflet. */
  markerPositions() {
    const positions = {};
    for (const [email, { marker }] of this.#markers) {
      if (!this.#map.hasLayer(marker)) continue;
      const { lat, lng } = marker.getLatLng();
      positions[email] = [lat, lng];
    }
    return positions;
  }

  #create(user, isSelf, latLng) {
    const L = this.#L;
    const name = el("strong", { class: "popup-name" });
    const status = el("span", { class: "popup-status", hidden: true });
    const content = el("div", { class: "popup" }, name, status);
    if (!isSelf) {
      content.append(
        el(
          "div",
          { class: "popup-actions" },
          el("button", {
            type: "button",
            class: "popup-call",
            text: "Call",
            on: { click: () => this.#actions.onCall(user.email) },
          }),
          el("button", {
            type: "button",
            class: "popup-message",
            text: "Message",
            on: { click: () => this.#actions.onMessage(user.email) },
          }),
        ),
      );
    }
    const marker = L.marker(latLng, {
      icon: this.#icon(user, isSelf),
      keyboard: true,
      riseOnHover: true,
      zIndexOffset: isSelf ? 1000 : 0,
    });
    marker.bindPopup(L.popup({ minWidth: 160, closeButton: true }).setContent(content));
    marker.addTo(this.#map);
    marker.getElement()?.setAttribute("data-email", user.email);
    return { marker, name, status, look: "" };
  }

  #icon(user, isSelf) {
    const face = el("span", { class: "marker-face", text: initials(user.name) });
    face.style.setProperty("--hue", String(hueOf(user.email)));
    const html = el(
      "span",
      { class: "marker-body" },
      face,
      el("span", { class: "marker-label", text: isSelf ? `${user.name} (you)` : user.name }),
      user.inCall ? el("span", { class: "marker-call", "aria-label": "in a call", text: "☎" }) : null,
    );
    const classes = ["user-marker"];
    if (isSelf) classes.push("marker-self");
    if (user.inCall) classes.push("marker-in-call");
    return this.#L.divIcon({
      className: classes.join(" "),
      html,
      iconSize: [40, 40],
      iconAnchor: [20, 20],
      popupAnchor: [0, -22],
    });
  }

  #addControls() {
    const L = this.#L;
    const Buttons = L.Control.extend({
      onAdd: () => {
        const bar = el(
          "div",
          { class: "leaflet-bar map-buttons" },
          el("button", {
            type: "button",
            title: "Show me",
            "aria-label": "Show me on the map",
            text: "◎",
            on: { click: () => this.#showSelf() },
          }),
          el("button", {
            type: "button",
            title: "Show everyone",
            "aria-label": "Show everyone on the map",
            text: "⤢",
            on: { click: () => this.#showAll() },
          }),
        );
        L.DomEvent.disableClickPropagation(bar);
        return bar;
      },
    });
    new Buttons({ position: "topleft" }).addTo(this.#map);
  }

  #showSelf() {
    const self = [...this.#markers.values()].find((e) => e.look.startsWith("true|"));
    if (self) this.#map.setView(self.marker.getLatLng(), Math.max(this.#map.getZoom(), SELF_ZOOM));
  }

  #showAll() {
    const points = [...this.#markers.values()].map((e) => e.marker.getLatLng());
    if (points.length === 1) this.#map.setView(points[0], SELF_ZOOM);
    else if (points.length > 1) this.#map.fitBounds(this.#L.latLngBounds(points), { padding: [40, 40], maxZoom: 16 });
  }
}
