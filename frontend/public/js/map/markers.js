// The map's icons, built from DOM nodes (names only ever as text): a person's marker
// (initials on their colour, the name, the distance and age, a call badge) and a cluster
// of people (their count). Markers are not tab stops: the online list is the keyboard
// path to each person, which opens their popup.

import { el, initials } from "../ui.js";
import { colourOf } from "../people/colours.js";

/** A marker's box and where it points from (its centre). */
const MARKER_SIZE = 40;
const CLUSTER_SIZE = 44;

/**
 * The parts of one person's marker: `icon` (a Leaflet icon for `L.marker`) and the nodes
 * its text lives in, updated in place by `showPlace`.
 */
export function personIcon(L, user, isSelf) {
  const face = el("span", { class: "marker-face", text: initials(user.name) });
  face.style.setProperty("--person", colourOf(user.email));
  const meta = el("span", { class: "marker-meta" });
  const body = el(
    "span",
    { class: "marker-body" },
    face,
    el(
      "span",
      { class: "marker-label" },
      el("span", { class: "marker-name", text: isSelf ? `${user.name} (you)` : user.name }),
      meta,
    ),
    user.inCall ? el("span", { class: "marker-call", "aria-label": "in a call", text: "☎" }) : null,
  );
  const classes = ["user-marker"];
  if (isSelf) classes.push("marker-self");
  if (user.inCall) classes.push("marker-in-call");
  const icon = new (personIconClass(L))({
    className: classes.join(" "),
    html: body,
    email: user.email,
    iconSize: [MARKER_SIZE, MARKER_SIZE],
    iconAnchor: [MARKER_SIZE / 2, MARKER_SIZE / 2],
    popupAnchor: [0, -MARKER_SIZE / 2 - 2],
  });
  return { icon, body, meta };
}

/** Shows a place (`Places.describe`) on a marker's nodes: the words, and stale or not. */
export function showPlace({ body, meta }, place, isSelf) {
  const words = isSelf ? place.age : [place.distance, place.age.replace(/^updated /, "")].filter(Boolean).join(" · ");
  if (meta.textContent !== words) meta.textContent = words;
  body.classList.toggle("stale", place.stale);
}

/**
 * The icon of a cluster: how many people it holds, their names as its title, their emails
 * in `data-emails` (space-separated: emails hold no spaces).
 */
export function clusterIcon(L, cluster) {
  const people = cluster.getAllChildMarkers().map((m) => m.options);
  const count = el("span", { class: "cluster-count", text: String(cluster.getChildCount()) });
  const html = el(
    "span",
    {
      class: "cluster-body",
      title: people.map((p) => p.personName).join(", "),
      "data-emails": people.map((p) => p.email).join(" "),
    },
    count,
  );
  return L.divIcon({
    className: "person-cluster",
    html,
    iconSize: [CLUSTER_SIZE, CLUSTER_SIZE],
    iconAnchor: [CLUSTER_SIZE / 2, CLUSTER_SIZE / 2],
  });
}

let PersonIcon = null;

/** `L.DivIcon` whose element carries the person's email (`data-email`, the tests' hook). */
function personIconClass(L) {
  PersonIcon ??= L.DivIcon.extend({
    createIcon(oldIcon) {
      const div = L.DivIcon.prototype.createIcon.call(this, oldIcon);
      div.dataset.email = this.options.email;
      return div;
    },
  });
  return PersonIcon;
}
