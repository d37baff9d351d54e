// The Leaflet map: one marker per online person with a position, grouped into clusters
// where they would overlap (spread out on click); a first view that fits everyone until
// the user moves the map; flying to a person picked in the list; your accuracy as a
// circle; popups kept clear of the controls and closed by Escape.

import { el } from "../ui.js";
import { AccuracyCircle } from "./accuracy.js";
import { addControls, clearOfControls, controlsPadding } from "./controls.js";
import { clusterIcon, personIcon, showPlace } from "./markers.js";

const WORLD_VIEW = { center: [30, 0], zoom: 2 };
/** The zoom of a view on one person (yourself alone, or someone picked in the list). */
export const PERSON_ZOOM = 15;
/** The closest the first view zooms in to fit everyone. */
const FIT_MAX_ZOOM = 16;
/** Room around the people in a fitted view, in pixels (their labels hang below them). */
const FIT_PADDING = { topLeft: [24, 24], bottomRight: [40, 56] };
/** Markers closer than this many pixels are clustered (their labels would overlap). */
const CLUSTER_RADIUS_PX = 60;
/** How far apart a cluster's people are spread at the closest zoom (1 is the plugin's):
 * two people side by side end up about 140 px apart, so their labels do not collide. */
const SPREAD = 4.5;

export class LeafletMap {
  available = true;
  #L;
  #map;
  #layer;
  #actions;
  #places;
  /** email → { marker, isSelf, look, parts (icon nodes), popup nodes } of every marker. */
  #markers = new Map();
  /** Until the user moves the map, each change of who is on it fits everyone again. */
  #fitting = true;
  #fitQueued = false;
  #accuracy;
  /** Every popup's top-left room, clear of the controls (`clearOfControls`). */
  #clearOfControls;
  /** A person picked while the map was hidden (a phone's other tab): shown once it shows. */
  #pendingFocus = null;
  /** The element focused before a popup was opened from the keyboard, focused again on close. */
  #returnFocus = null;

  /**
   * `places` answers `describe(email)` (people/places.js); `actions` the popups' buttons,
   * and `onFocusBack(element)` before the focus goes back to where a popup was opened from.
   */
  constructor(L, container, { tiles, places, actions }) {
    this.#L = L;
    this.#actions = actions;
    this.#places = places;
    this.#map = L.map(container, { zoomControl: true, worldCopyJump: true }).setView(
      WORLD_VIEW.center,
      WORLD_VIEW.zoom,
    );
    tiles.addTo(this.#map);
    this.#clearOfControls = clearOfControls(this.#map);
    this.#layer = L.MarkerClusterGroup
      ? L.markerClusterGroup({
          maxClusterRadius: CLUSTER_RADIUS_PX,
          showCoverageOnHover: false,
          // Every marker not in a cluster keeps its element, on screen or not.
          removeOutsideVisibleBounds: false,
          spiderfyDistanceMultiplier: SPREAD,
          // Clicks are handled below: zoomed into with room for the controls.
          zoomToBoundsOnClick: false,
          spiderfyOnMaxZoom: false,
          iconCreateFunction: (cluster) => clusterIcon(L, cluster),
        })
      : L.layerGroup();
    // Clusters are no tab stops either: the list leads to each person.
    if (L.MarkerCluster) L.MarkerCluster.prototype.options.keyboard = false;
    this.#layer.on("clusterclick", ({ layer }) => this.#openCluster(layer));
    this.#layer.addTo(this.#map);
    this.#accuracy = new AccuracyCircle(L, this.#map);
    addControls(L, this.#map, { showSelf: () => this.#showSelf(), showAll: () => this.#fitEveryone() });
    for (const type of ["pointerdown", "wheel", "keydown"]) {
      container.addEventListener(type, () => (this.#fitting = false), { passive: true });
    }
    document.addEventListener("keydown", (event) => this.#onKey(event));
    this.#map.on("popupclose", () => this.#popupClosed());
    // The map's box changes with the layout (side panel, window size): tell Leaflet, and
    // fit everyone again into the new box until the user moved the map.
    new ResizeObserver(() => {
      this.#map.invalidateSize();
      this.#queueFit();
      if (this.#pendingFocus && this.#map.getSize().x > 0) {
        const { email, how } = this.#pendingFocus;
        this.#pendingFocus = null;
        this.focus(email, how);
      }
    }).observe(container);
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
      this.#queueFit();
    } else {
      entry.marker.setLatLng(latLng);
      // Until the user moves the map, everyone stays in view.
      if (!this.#map.getBounds().contains(latLng)) this.#queueFit();
    }
    const look = `${isSelf}|${user.inCall}|${user.name}`;
    if (entry.look !== look) {
      entry.look = look;
      entry.isSelf = isSelf;
      entry.parts = personIcon(this.#L, user, isSelf);
      entry.marker.options.personName = user.name;
      entry.marker.setIcon(entry.parts.icon);
      entry.popup.name.textContent = user.name;
      entry.popup.status.textContent = isSelf ? "This is you" : user.inCall ? "In a call" : "";
      entry.popup.status.hidden = !entry.popup.status.textContent;
      this.#layer.refreshClusters?.(entry.marker);
    }
    this.#showPlace(user.email, entry);
    if (isSelf) this.#drawAccuracy();
  }

  remove(email) {
    const entry = this.#markers.get(email);
    if (!entry) return;
    this.#layer.removeLayer(entry.marker);
    this.#markers.delete(email);
    if (entry.isSelf) this.#drawAccuracy();
    this.#queueFit();
  }

  /** Redraws every marker's distance, age and staleness (the clock moved on). */
  refreshPlaces() {
    for (const [email, entry] of this.#markers) this.#showPlace(email, entry);
  }

  /** The browser's accuracy of your position, in metres (null: unknown). */
  setAccuracy(metres) {
    this.#accuracy.setRadius(metres);
    this.#drawAccuracy();
  }

  /**
   * Flies to `email`'s marker and opens its popup; from the keyboard, focus moves into the
   * popup and back where it was when the popup closes. False when there is no marker.
   */
  focus(email, { fromKeyboard = false } = {}) {
    const entry = this.#markers.get(email);
    if (!entry) return false;
    this.#fitting = false;
    if (this.#map.getSize().x === 0) {
      this.#pendingFocus = { email, how: { fromKeyboard } };
      return true;
    }
    this.#returnFocus = fromKeyboard ? document.activeElement : null;
    const open = () => this.#whenShown(entry.marker, () => this.#openPopup(entry, fromKeyboard));
    const target = entry.marker.getLatLng();
    const zoom = Math.max(this.#map.getZoom(), PERSON_ZOOM);
    const moved = this.#map.getZoom() !== zoom || this.#map.latLngToContainerPoint(target).distanceTo(this.#map.getSize().divideBy(2)) > 1;
    if (!moved) open();
    else {
      this.#map.once("moveend", open);
      this.#map.flyTo(target, zoom, { animate: !reducedMotion(), duration: 0.8 });
    }
    return true;
  }

  /** `{ email: [lat, lng] }` of the markers on the map (clustered ones too), read from Leaflet. */
  markerPositions() {
    const positions = {};
    for (const [email, { marker }] of this.#markers) {
      if (!this.#layer.hasLayer(marker)) continue;
      const { lat, lng } = marker.getLatLng();
      positions[email] = [lat, lng];
    }
    return positions;
  }

  /** The emails of the markers inside the map's current view. */
  markersInView() {
    const bounds = this.#map.getBounds();
    return [...this.#markers].filter(([, { marker }]) => bounds.contains(marker.getLatLng())).map(([email]) => email);
  }

  #create(user, isSelf, latLng) {
    const L = this.#L;
    const name = el("strong", { class: "popup-name" });
    const status = el("span", { class: "popup-status", hidden: true });
    const meta = el("span", { class: "popup-meta" });
    const content = el("div", { class: "popup", tabindex: "-1" }, name, status, meta);
    if (!isSelf) content.append(this.#popupActions(user.email));
    const marker = L.marker(latLng, {
      keyboard: false,
      riseOnHover: true,
      zIndexOffset: isSelf ? 1000 : 0,
      email: user.email,
      personName: user.name,
    });
    const popup = L.popup({
      minWidth: 160,
      maxWidth: 260,
      closeButton: true,
      autoPanPadding: [12, 12],
      autoPanPaddingTopLeft: this.#clearOfControls,
    });
    marker.bindPopup(popup.setContent(content));
    this.#layer.addLayer(marker);
    return { marker, isSelf, look: "", parts: null, popup: { popup, content, name, status, meta } };
  }

  #popupActions(email) {
    const button = (className, text, action) =>
      el("button", { type: "button", class: className, text, on: { click: () => action(email) } });
    return el(
      "div",
      { class: "popup-actions" },
      button("popup-call", "Call", this.#actions.onCall),
      button("popup-message", "Message", this.#actions.onMessage),
    );
  }

  #showPlace(email, entry) {
    const place = this.#places.describe(email);
    if (entry.parts) showPlace(entry.parts, place, entry.isSelf);
    entry.popup.meta.textContent = place.summary;
    entry.popup.meta.hidden = !place.summary;
    entry.popup.content.classList.toggle("stale", place.stale);
  }

  /** Calls `then` once `marker` is on screen on its own (its cluster zoomed into or spread). */
  #whenShown(marker, then) {
    if (this.#layer.zoomToShowLayer) this.#layer.zoomToShowLayer(marker, then);
    else then();
  }

  #openPopup(entry, fromKeyboard) {
    entry.marker.openPopup();
    if (fromKeyboard) (entry.popup.content.querySelector("button") ?? entry.popup.content).focus();
  }

  /** Escape closes an open popup, unless a dialog above the map takes it. */
  #onKey(event) {
    if (event.key !== "Escape" || event.defaultPrevented || document.querySelector("dialog[open]")) return;
    if (!this.#openPopupLayer()) return;
    event.preventDefault();
    this.#map.closePopup();
  }

  #openPopupLayer() {
    for (const { popup } of this.#markers.values()) if (popup.popup.isOpen()) return popup.popup;
    return null;
  }

  /** Focus goes back where it was before a popup opened from the keyboard (if it was lost). */
  #popupClosed() {
    const back = this.#returnFocus;
    this.#returnFocus = null;
    const lost = document.activeElement === document.body || this.#map.getContainer().contains(document.activeElement);
    if (!back?.isConnected || !lost) return;
    // On a phone the row may be in a view behind the map's: that view comes to the front.
    this.#actions.onFocusBack?.(back);
    back.focus();
  }

  #queueFit() {
    if (!this.#fitting || this.#fitQueued) return;
    this.#fitQueued = true;
    // One fit for a whole snapshot's markers.
    queueMicrotask(() => {
      this.#fitQueued = false;
      if (this.#fitting) this.#fitEveryone();
    });
  }

  #fitEveryone() {
    const points = [...this.#markers.values()].map((e) => e.marker.getLatLng());
    if (points.length === 0) this.#map.setView(WORLD_VIEW.center, WORLD_VIEW.zoom);
    else if (points.length === 1) this.#map.setView(points[0], PERSON_ZOOM);
    else this.#map.fitBounds(this.#L.latLngBounds(points), { ...this.#fitRoom(), maxZoom: FIT_MAX_ZOOM, animate: false });
  }

  /** A clicked cluster: zoomed into (clear of the controls), or spread where it cannot be. */
  #openCluster(cluster) {
    this.#fitting = false;
    const places = cluster.getAllChildMarkers().map((m) => m.getLatLng());
    const onePlace = places.every((p) => p.equals(places[0]));
    if (onePlace || this.#map.getZoom() >= this.#map.getMaxZoom()) cluster.spiderfy();
    else cluster.zoomToBounds(this.#fitRoom());
  }

  /** The room a fitted view keeps around people: clear of the controls, labels below. */
  #fitRoom() {
    const [left] = controlsPadding(this.#map);
    return {
      paddingTopLeft: [left + FIT_PADDING.topLeft[0], FIT_PADDING.topLeft[1]],
      paddingBottomRight: FIT_PADDING.bottomRight,
    };
  }

  #showSelf() {
    const self = [...this.#markers.values()].find((e) => e.isSelf);
    if (self) this.#map.setView(self.marker.getLatLng(), Math.max(this.#map.getZoom(), PERSON_ZOOM));
  }

  #drawAccuracy() {
    const self = [...this.#markers.values()].find((e) => e.isSelf);
    this.#accuracy.moveTo(self ? self.marker.getLatLng() : null);
  }
}

function reducedMotion() {
  return window.matchMedia?.("(prefers-reduced-motion: reduce)").matches ?? false;
}
