// The map's own buttons ("Show me", "Show everyone") beside Leaflet's zoom, and the room
// they take in the top-left corner, which popups and fitted views keep clear of.

import { el } from "../ui.js";

/** Room kept beside the controls, in pixels. */
const CONTROLS_GAP_PX = 8;

/** Adds the view buttons; `actions` is `{ showSelf(), showAll() }`. */
export function addControls(L, map, actions) {
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
          on: { click: () => actions.showSelf() },
        }),
        el("button", {
          type: "button",
          title: "Show everyone",
          "aria-label": "Show everyone on the map",
          text: "⤢",
          on: { click: () => actions.showAll() },
        }),
      );
      L.DomEvent.disableClickPropagation(bar);
      return bar;
    },
  });
  new Buttons({ position: "topleft" }).addTo(map);
}

/**
 * `[x, y]`: the top-left room a popup or a fitted view keeps clear of, the controls'
 * right edge and the gap (and the gap from the top), measured in the map's box.
 */
export function controlsPadding(map) {
  const container = map.getContainer();
  const corner = container.querySelector(".leaflet-top.leaflet-left");
  if (!corner) return [CONTROLS_GAP_PX, CONTROLS_GAP_PX];
  const box = container.getBoundingClientRect();
  let right = 0;
  for (const control of corner.children) {
    right = Math.max(right, control.getBoundingClientRect().right - box.left);
  }
  return [Math.ceil(right) + CONTROLS_GAP_PX, CONTROLS_GAP_PX];
}

/**
 * A point (`x`, `y`) that Leaflet reads each time it places a popup: `controlsPadding`
 * then, so a popup keeps clear of the controls however the layout changed.
 */
export function clearOfControls(map) {
  return {
    get x() {
      return controlsPadding(map)[0];
    },
    get y() {
      return controlsPadding(map)[1];
    },
  };
}
