// Call panel: the call overlay (#call-panel: status, timer, local and remote videos,
// controls, "Add to call", minimised to a bar on request) and the incoming-call prompt
// (#incoming-call). It only shows what the call modules (`calls.js`, `call-session.js`,
// `call-media.js`) tell it and reports the user's clicks back. The tiles are
// `call-tiles.js`'s, the timer `call-timer.js`'s, the menu `add-to-call.js`'s.

import { byId } from "../ui.js";
import { AddToCall } from "./add-to-call.js";
import { CallTiles } from "./call-tiles.js";
import { CallTimer } from "./call-timer.js";

/** States whose panel closes by itself after a while (the call is over). */
const FINAL_STATES = new Set(["declined", "busy", "no-answer", "ended", "failed"]);
const LINGER_MS = 6000;
/** How long a note ("Carol left the call") stays in the panel. */
const NOTE_MS = 5000;

export class CallPanel {
  #panel = byId("call-panel");
  #status = byId("call-status");
  #invites = byId("call-invites");
  #note = byId("call-note");
  #local = byId("local-video");
  #localTile = byId("local-tile");
  #media = byId("media-status");
  #hangUp = byId("hang-up");
  #mute = byId("toggle-mute");
  #camera = byId("toggle-camera");
  #minimise = byId("call-minimise");
  #incoming = byId("incoming-call");
  #incomingCaller = byId("incoming-caller");
  #incomingDetail = byId("incoming-detail");
  #tiles = new CallTiles(byId("remote-videos"));
  #timer = new CallTimer(byId("call-timer"));
  #addToCall;
  #hideTimer = null;
  #noteTimer = null;

  /**
   * `actions`: `{ hangUp(), toggleMute(), toggleCamera(), accept(), decline(), invite(email),
   * candidates() }` (`candidates`: who "Add to call" offers, `[{ email, name }]`).
   */
  constructor(actions) {
    this.#hangUp.addEventListener("click", () => {
      if (FINAL_STATES.has(this.#status.dataset.state)) this.hide();
      else actions.hangUp();
    });
    this.#mute.addEventListener("click", () => actions.toggleMute());
    this.#camera.addEventListener("click", () => actions.toggleCamera());
    this.#minimise.addEventListener("click", () => this.setMinimised(this.#panel.dataset.minimised !== "true"));
    byId("accept-call").addEventListener("click", () => actions.accept());
    byId("decline-call").addEventListener("click", () => actions.decline());
    this.#panel.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && FINAL_STATES.has(this.#status.dataset.state)) this.hide();
    });
    this.#addToCall = new AddToCall({
      button: byId("add-to-call"),
      menu: byId("add-to-call-menu"),
      list: byId("add-to-call-list"),
      candidates: () => actions.candidates(),
      invite: (email) => actions.invite(email),
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
    if (state === "in-call") this.#timer.start();
    else if (!over) this.#timer.reset();
    if (over) {
      this.#timer.stop();
      this.#addToCall.setAvailable(false);
      this.#hideTimer = setTimeout(() => this.hide(), LINGER_MS);
    }
  }

  hide() {
    clearTimeout(this.#hideTimer);
    this.#panel.hidden = true;
    this.#timer.reset();
    this.setMinimised(false);
    this.note(null);
  }

  /** Shows only a bar (status, timer, controls) while `minimised`, so the map and chat stay usable. */
  setMinimised(minimised) {
    this.#panel.dataset.minimised = String(minimised);
    byId("call-body").hidden = minimised;
    this.#minimise.setAttribute("aria-expanded", String(!minimised));
    this.#minimise.setAttribute("aria-label", minimised ? "Show the whole call" : "Minimise the call");
    this.#minimise.textContent = minimised ? "▴" : "▾";
  }

  /** Whether "Add to call" is offered (a call with room for more). */
  setCanAdd(canAdd) {
    this.#addToCall.setAvailable(canAdd);
  }

  /** A passing note in the panel ("Carol left the call"); null clears it. */
  note(text) {
    clearTimeout(this.#noteTimer);
    this.#note.textContent = text ?? "";
    this.#note.hidden = !text;
    if (text) this.#noteTimer = setTimeout(() => this.note(null), NOTE_MS);
  }

  /** Lists the people being rung: `[{ email, name, ringing }]`. */
  setInvites(invites) {
    this.#invites.replaceChildren(
      ...invites.map(({ email, name, ringing }) => {
        const li = document.createElement("li");
        li.dataset.email = email;
        li.textContent = `${ringing ? "Ringing" : "Calling"} ${name}…`;
        return li;
      }),
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

  addTile(email, name) {
    this.#tiles.add(email, name);
  }

  setTileStream(email, stream) {
    this.#tiles.setStream(email, stream);
  }

  setTileState(email, state) {
    this.#tiles.setState(email, state);
  }

  /** What a participant says of their media: `{ muted, cameraOff }`. */
  setTileMedia(email, media) {
    this.#tiles.setMedia(email, media);
  }

  removeTile(email) {
    this.#tiles.remove(email);
  }

  clearTiles() {
    this.#tiles.clear();
  }

  /** Shows the incoming-call prompt for `name`; `detail` says who else is in the call. */
  showIncoming(name, detail) {
    this.#incomingCaller.textContent = name;
    this.#incomingCaller.title = name;
    this.#incomingDetail.textContent = detail ?? "";
    this.#incomingDetail.hidden = !detail;
    this.#incoming.hidden = false;
    byId("accept-call").focus({ preventScroll: true });
  }

  hideIncoming() {
    this.#incoming.hidden = true;
  }
}
