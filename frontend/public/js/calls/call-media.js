// Call media: the user's camera and microphone for the current call, the mute and camera
// switches, and what the call panel shows of them and the others are told (muted, camera
// off). Getting the tracks is `webrtc.js`'s.

import { acquireLocalMedia, releaseLocalMedia } from "./webrtc.js";

export class CallMedia {
  #view;
  #onChange;
  /** A promise of the local media for the current call, and its value once known. */
  #pending = null;
  #local = null;
  #muted = false;
  #cameraOff = false;

  /**
   * `view`: the `CallPanel` showing the local video, the media note and the controls;
   * `onChange(state)`: what the others should see changed (see `state`).
   */
  constructor(view, onChange) {
    this.#view = view;
    this.#onChange = onChange;
  }

  /** What the others see of the user: `{ muted, cameraOff }` (no device counts as off). */
  get state() {
    return {
      muted: this.#muted || !this.#local?.audio,
      cameraOff: this.#cameraOff || !this.#local?.video,
    };
  }

  /** The promise of the local media the call's peer links send; null between calls. */
  get pending() {
    return this.#pending;
  }

  /** Asks for the camera and microphone, unless the current call already has. */
  start() {
    if (this.#pending) return;
    this.#muted = false;
    this.#cameraOff = false;
    this.#view.setMediaNote("Asking for your camera and microphone…");
    this.#showControls();
    const pending = acquireLocalMedia();
    this.#pending = pending;
    pending.then((local) => {
      if (this.#pending !== pending) {
        releaseLocalMedia(local);
        return;
      }
      this.#local = local;
      this.#view.setLocalStream(local.stream);
      this.#view.setMediaNote(local.note);
      this.#showControls();
    });
  }

  /** Stops the camera and microphone (or drops them when they arrive), for the call is over. */
  release() {
    this.#pending = null;
    releaseLocalMedia(this.#local);
    this.#local = null;
    this.#view.setLocalStream(null);
    this.#view.setMediaNote(null);
  }

  toggleMute() {
    if (!this.#local?.audio) return;
    this.#muted = !this.#muted;
    for (const track of this.#local.stream.getAudioTracks()) track.enabled = !this.#muted;
    this.#showControls();
  }

  toggleCamera() {
    if (!this.#local?.video) return;
    this.#cameraOff = !this.#cameraOff;
    for (const track of this.#local.stream.getVideoTracks()) track.enabled = !this.#cameraOff;
    this.#showControls();
  }

  #showControls() {
    this.#view.setControls({
      muted: this.#muted,
      cameraOff: this.#cameraOff,
      hasAudio: Boolean(this.#local?.audio),
      hasVideo: Boolean(this.#local?.video),
    });
    this.#onChange(this.state);
  }
}
