// Call panel: the call overlay (#call-panel: status, local and remote videos, controls)
// and the incoming-call prompt (#incoming-call). It only shows what the call modules
// (`calls.js`, `call-session.js`, `call-media.js`) tell it and reports the user's clicks back.

import { attr, byId, el, hueOf, initials } from "../ui.js";

/** States whose panel closes by itself after a while (the call is over). */
const FINAL_STATES = new Set(["declined", "busy", "no-answer", "ended", "failed"]);
const LINGER_MS = 6000;

export class CallPanel {
  #panel = byId("call-panel");
  #status = byId("call-status");
  #invites = byId("call-invites");
  #local = byId("local-video");
  #localTile = byId("local-tile");
  #remotes = byId("remote-videos");
  #media = byId("media-status");
  #hangUp = byId("hang-up");
  #mute = byId("toggle-mute");
  #camera = byId("toggle-camera");
  #incoming = byId("incoming-call");
  #incomingCaller = byId("incoming-caller");
  #incomingDetail = byId("incoming-detail");
  #hideTimer = null;

  /** `actions`: `{ hangUp(), toggleMute(), toggleCamera(), accept(), decline() }`. */
  constructor(actions) {
    this.#hangUp.addEventListener("click", () => {
      if (FINAL_STATES.has(this.#status.dataset.state)) this.hide();
      else actions.hangUp();
    });
    this.#mute.addEventListener("click", () => actions.toggleMute());
    this.#camera.addEventListener("click", () => actions.toggleCamera());
    byId("accept-call").addEventListener("click", () => actions.accept());
    byId("decline-call").addEventListener("click", () => actions.decline());
    this.#panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && FINAL_STATES.has(this.#status.dataset.state)) this.hide();
    });
  }

  /** Shows the panel with `state` (see the UI contract) and its human `text`. */
  setStatus(state, text) {
    clearTimeout(this.#hideTimer);
    this.#status.dataset.state = state;
    this.#status.textContent = text;
    this.#panel.dataset.state = state;
    this.#panel.hidden = false;
    const over = FINAL_STATES.has(state);
    this.#hangUp.textContent = over ? "Close" : "Hang up";
    this.#hangUp.classList.toggle("danger", !over);
    this.#mute.disabled ||= over;
    this.#camera.disabled ||= over;
    if (over) this.#hideTimer = setTimeout(() => this.hide(), LINGER_MS);
  }

  hide() {
    clearTimeout(this.#hideTimer);
    this.#panel.hidden = true;
  }

  /** Lists the people being rung: `[{ email, name, ringing }]`. */
  setInvites(invites) {
    this.#invites.replaceChildren(
      ...invites.map(({ email, name, ringing }) =>
        el("li", { "data-email": email, text: `${ringing ? "Ringing" : "Calling"} ${name}…` }),
      ),
    );
  }

  /** Shows the local camera, or a placeholder when there is none. */
  setLocalStream(stream) {
    this.#local.srcObject = stream;
    this.#localTile.classList.toggle("no-video", !stream?.getVideoTracks().length);
    if (stream) this.#local.play().catch(() => {});
  }

  /** The note about missing devices; contains "receive-only" when some are missing. */
  setMediaNote(text) {
    this.#media.textContent = text ?? "";
    this.#media.hidden = !text;
  }

  /** Shows the mute and camera buttons' states; a missing device disables its button. */
  setControls({ muted, cameraOff, hasAudio, hasVideo }) {
    this.#mute.setAttribute("aria-pressed", String(Boolean(muted)));
    this.#mute.textContent = muted ? "Unmute" : "Mute";
    this.#mute.disabled = !hasAudio;
    this.#camera.setAttribute("aria-pressed", String(Boolean(cameraOff)));
    this.#camera.textContent = cameraOff ? "Camera on" : "Camera off";
    this.#camera.disabled = !hasVideo;
    this.#localTile.classList.toggle("camera-off", Boolean(cameraOff));
  }

  /** Adds the tile of a remote participant (once). */
  addTile(email, name) {
    if (this.#tile(email)) return;
    const video = el("video", { class: "remote-video", "data-email": email, autoplay: true, playsinline: true });
    const avatar = el("span", { class: "tile-avatar", "aria-hidden": "true", text: initials(name) });
    avatar.style.setProperty("--hue", String(hueOf(email)));
    const tile = el(
      "figure",
      { class: "remote-tile", "data-email": email, "data-state": "connecting" },
      video,
      avatar,
      el("figcaption", {}, el("span", { class: "tile-name", text: name }), el("span", { class: "tile-state", text: "connecting…" })),
    );
    this.#remotes.append(tile);
    this.#layout();
  }

  setTileStream(email, stream) {
    const video = this.#tile(email)?.querySelector("video");
    if (!video) return;
    video.srcObject = stream;
    video.play().catch(() => {});
  }

  /** Shows a participant's connection state (`connecting`, `connected`, ...). */
  setTileState(email, state) {
    const tile = this.#tile(email);
    if (!tile) return;
    tile.dataset.state = state;
    const labels = { connected: "", disconnected: "reconnecting…", failed: "connection failed" };
    tile.querySelector(".tile-state").textContent = labels[state] ?? "connecting…";
  }

  removeTile(email) {
    const tile = this.#tile(email);
    if (!tile) return;
    const video = tile.querySelector("video");
    video.srcObject = null;
    tile.remove();
    this.#layout();
  }

  clearTiles() {
    for (const tile of [...this.#remotes.querySelectorAll(".remote-tile")]) {
      this.removeTile(tile.dataset.email);
    }
  }

  /** Shows the incoming-call prompt for `name`; `detail` says who else is in the call. */
  showIncoming(name, detail) {
    this.#incomingCaller.textContent = name;
    this.#incomingDetail.textContent = detail ?? "";
    this.#incomingDetail.hidden = !detail;
    this.#incoming.hidden = false;
    byId("accept-call").focus({ preventScroll: true });
  }

  hideIncoming() {
    this.#incoming.hidden = true;
  }

  #tile(email) {
    return this.#remotes.querySelector(`.remote-tile[data-email="${attr(email)}"]`);
  }

  #layout() {
    this.#remotes.dataset.count = String(this.#remotes.querySelectorAll(".remote-tile").length);
  }
}
