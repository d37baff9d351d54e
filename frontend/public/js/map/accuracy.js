// The browser's accuracy of your own position, drawn as a circle around your marker (not
// clickable); hidden while either the radius or your marker is unknown.

export class AccuracyCircle {
  #L;
  #map;
  #circle = null;
  #radiusM = null;
  #centre = null;

  constructor(L, map) {
    this.#L = L;
    this.#map = map;
  }

  /** The radius in metres (null, or not a positive number: unknown). */
  setRadius(metres) {
    this.#radiusM = Number.isFinite(metres) && metres > 0 ? metres : null;
    this.#draw();
  }

  /** The centre (your marker's place), or null without a marker. */
  moveTo(latLng) {
    this.#centre = latLng;
    this.#draw();
  }

  #draw() {
    if (this.#centre === null || this.#radiusM === null) {
      this.#circle?.remove();
      this.#circle = null;
    } else if (!this.#circle) {
      this.#circle = this.#L.circle(this.#centre, {
        radius: this.#radiusM,
        className: "accuracy-circle",
        interactive: false,
        weight: 1,
      }).addTo(this.#map);
    } else {
      this.#circle.setLatLng(this.#centre).setRadius(this.#radiusM);
    }
  }
}
