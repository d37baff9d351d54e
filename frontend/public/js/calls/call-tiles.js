// Call tiles: one `figure.remote-tile` per remote participant in #remote-videos — their
// video, their avatar (shown while their camera is off or sends nothing), their name, the
// link's state and a "muted" mark when their microphone is off.

import { colourOf } from "../people/colours.js";
import { attr, el, initials } from "../ui.js";

const STATE_LABELS = { connected: "", disconnected: "reconnecting…", failed: "connection failed" };

export class CallTiles {
  #remotes;

  /** `remotes`: the #remote-videos element. */
  constructor(remotes) {
    this.#remotes = remotes;
  }

  /** Adds the tile of a remote participant (once). */
  add(email, name) {
    if (this.#tile(email)) return;
    const video = el("video", { class: "remote-video", "data-email": email, autoplay: true, playsinline: true });
    const avatar = el("span", { class: "tile-avatar", "aria-hidden": "true", text: initials(name) });
    avatar.style.setProperty("--person", colourOf(email));
    const tile = el(
      "figure",
      { class: "remote-tile", "data-email": email, "data-state": "connecting", "data-camera": "off", "data-muted": "false" },
      video,
      avatar,
      el(
        "figcaption",
        {},
        el("span", { class: "tile-muted", hidden: true, title: "Microphone off", text: "Mic off" }),
        el("span", { class: "tile-name", text: name }),
        el("span", { class: "tile-state", text: "connecting…" }),
      ),
    );
    // The camera counts as on once frames come, until the other side says it is off.
    video.addEventListener("resize", () => this.#framesCame(tile));
    video.addEventListener("loadeddata", () => this.#framesCame(tile));
    this.#remotes.append(tile);
    this.#layout();
  }

  setStream(email, stream) {
    const video = this.#tile(email)?.querySelector("video");
    if (!video) return;
    video.srcObject = stream;
    video.play().catch(() => {});
  }

  /** Shows a participant's connection state (`connecting`, `connected`, ...). */
  setState(email, state) {
    const tile = this.#tile(email);
    if (!tile) return;
    tile.dataset.state = state;
    tile.querySelector(".tile-state").textContent = STATE_LABELS[state] ?? "connecting…";
  }

  /** What the other side says of its media: `{ muted, cameraOff }`. */
  setMedia(email, { muted, cameraOff }) {
    const tile = this.#tile(email);
    if (!tile) return;
    tile.dataset.muted = String(muted);
    tile.dataset.cameraSaid = cameraOff ? "off" : "on";
    tile.querySelector(".tile-muted").hidden = !muted;
    const video = tile.querySelector("video");
    tile.dataset.camera = !cameraOff && video.videoWidth > 0 ? "on" : "off";
  }

  remove(email) {
    const tile = this.#tile(email);
    if (!tile) return;
    tile.querySelector("video").srcObject = null;
    tile.remove();
    this.#layout();
  }

  clear() {
    for (const tile of [...this.#remotes.querySelectorAll(".remote-tile")]) this.remove(tile.dataset.email);
  }

  #framesCame(tile) {
    const video = tile.querySelector("video");
    if (video.videoWidth > 0 && tile.dataset.cameraSaid !== "off") tile.dataset.camera = "on";
  }

  #tile(email) {
    return this.#remotes.querySelector(`.remote-tile[data-email="${attr(email)}"]`);
  }

  #layout() {
    this.#remotes.dataset.count = String(this.#remotes.querySelectorAll(".remote-tile").length);
  }
}
