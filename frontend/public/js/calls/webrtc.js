// WebRTC: the local camera and microphone, and one RTCPeerConnection per remote
// participant, negotiated with the "perfect negotiation" pattern. Signaling goes out
// through a `send` callback and comes in through `handleSignal`; this module knows nothing
// of the wire format or of calls.

import { Emitter } from "../emitter.js";

/** A connection that is not up this long after it started (or went down) is given up. */
const CONNECT_TIMEOUT_MS = 30000;
/** How long ICE may stay `disconnected` before the initiator restarts it. */
const DISCONNECTED_RESTART_MS = 3000;
/** The data channel on which each side says whether its microphone and camera are on. */
const MEDIA_CHANNEL = "meetmap-media";
/** Longer messages on it are not ours: dropped unread. */
const MEDIA_MESSAGE_MAX = 256;

/**
 * Asks for the camera and microphone, falling back to the microphone alone, then to
 * nothing (receive-only). Resolves to `{ stream, audio, video, note }`: `stream` is null
 * when nothing could be had, and `note` says what is missing, for the user.
 */
export async function acquireLocalMedia() {
  if (!navigator.mediaDevices?.getUserMedia) {
    return {
      stream: null,
      audio: false,
      video: false,
      note: "This page cannot use a camera or microphone here (it needs HTTPS): you are in the call receive-only.",
    };
  }
  let firstError = null;
  for (const constraints of [{ audio: true, video: true }, { audio: true }, { video: true }]) {
    try {
      const stream = await navigator.mediaDevices.getUserMedia(constraints);
      const audio = stream.getAudioTracks().length > 0;
      const video = stream.getVideoTracks().length > 0;
      let note = null;
      if (!video) note = `Camera unavailable (${reason(firstError)}): your video is receive-only, the others hear you.`;
      else if (!audio) note = `Microphone unavailable (${reason(firstError)}): your audio is receive-only, the others see you.`;
      return { stream, audio, video, note };
    } catch (err) {
      firstError ??= err;
      // A refusal covers every device: asking again for less would only prompt again.
      if (err?.name === "NotAllowedError" || err?.name === "SecurityError") break;
    }
  }
  return {
    stream: null,
    audio: false,
    video: false,
    note: `Camera and microphone unavailable (${reason(firstError)}): you are in the call receive-only — you see and hear the others, they do not see or hear you.`,
  };
}

function reason(err) {
  switch (err?.name) {
    case "NotAllowedError":
    case "SecurityError":
      return "permission refused";
    case "NotFoundError":
    case "OverconstrainedError":
      return "none found";
    case "NotReadableError":
      return "in use by another program";
    default:
      return err?.message || "not available";
  }
}

/** Stops every track of a local media result. */
export function releaseLocalMedia(media) {
  for (const track of media?.stream?.getTracks() ?? []) track.stop();
}

/**
 * The connection to one remote participant.
 *
 * `initiator` adds the transceivers and so makes the first offer; the other side answers
 * with its tracks put on the transceivers the offer created, so a call has exactly one
 * audio and one video m-line. Later renegotiations (ICE restarts) may start on either
 * side; collisions are settled by politeness: the `polite` side rolls its own offer back.
 *
 * The initiator also opens a data channel (in the same first offer) on which both sides
 * tell whether their microphone and camera are on: a disabled track still sends (silence,
 * black frames), so the other side cannot see it in the media.
 *
 * When the network path breaks (ICE `failed`, or `disconnected` for a few seconds: a changed
 * interface, a lost route), the initiator restarts ICE; an offer that could not be sent
 * (the server connection was down) is made again on `resume()`. Media flow peer to peer,
 * so a drop of the server connection alone changes nothing here.
 *
 * Events: `stream` (the remote MediaStream, once it has a track), `state`
 * (`connectionState`), `failed` (ICE failed or the connection never came up),
 * `remote-media` (`{ muted, cameraOff }`, what the other side says of its media).
 */
export class PeerLink extends Emitter {
  #pc;
  #polite;
  #initiator;
  #send;
  #media;
  #makingOffer = false;
  #ignoreOffer = false;
  #pendingCandidates = [];
  #queue;
  #closed = false;
  #connectTimer = null;
  #restartTimer = null;
  /** An offer was made while it could not be sent: `resume()` makes it again. */
  #offerLost = false;
  #remoteStream = new MediaStream();
  #announced = false;
  #channel = null;
  /** What the user's media are, sent when the channel opens and on every change. */
  #mediaState = null;

  /**
   * `rtc`: the RTCConfiguration (ICE servers and transport policy). `media`: a promise
   * of `acquireLocalMedia()`'s result. `send(signal)` sends `{ description }` or
   * `{ candidate }` to the remote participant.
   */
  constructor({ rtc, polite, initiator, media, send }) {
    super();
    this.#polite = polite;
    this.#initiator = initiator;
    this.#send = send;
    this.#pc = new RTCPeerConnection(rtc);
    const pc = this.#pc;

    pc.onicecandidate = ({ candidate }) => {
      if (candidate && !this.#closed) this.#send({ candidate: candidate.toJSON() });
    };
    pc.onnegotiationneeded = async () => {
      try {
        this.#makingOffer = true;
        await pc.setLocalDescription();
        if (!this.#closed && !this.#send({ description: pc.localDescription.toJSON() })) this.#offerLost = true;
      } catch (err) {
        if (!this.#closed) console.warn("meetmap: could not make an offer", err);
      } finally {
        this.#makingOffer = false;
      }
    };
    pc.ontrack = ({ track }) => {
      if (!this.#remoteStream.getTracks().includes(track)) this.#remoteStream.addTrack(track);
      if (!this.#announced) {
        this.#announced = true;
        this.emit("stream", this.#remoteStream);
      }
    };
    pc.ondatachannel = ({ channel }) => {
      if (channel.label === MEDIA_CHANNEL && !this.#channel) this.#useChannel(channel);
    };
    pc.onconnectionstatechange = () => {
      const state = pc.connectionState;
      if (state === "connected") this.#stopTimers();
      this.emit("state", state);
      if (state === "failed") this.#recover();
    };
    pc.oniceconnectionstatechange = () => {
      if (pc.iceConnectionState !== "disconnected" || this.#restartTimer) return;
      this.#restartTimer = setTimeout(() => {
        this.#restartTimer = null;
        if (pc.iceConnectionState === "disconnected") this.#recover();
      }, DISCONNECTED_RESTART_MS);
    };

    this.#queue = media.then(async (local) => {
      this.#media = local;
      if (this.#closed) return;
      this.#connectTimer = setTimeout(() => this.#fail(), CONNECT_TIMEOUT_MS);
      if (initiator) this.#addTransceivers();
    });
    this.#queue.catch((err) => console.warn("meetmap: could not start a connection", err));
  }

  /** Handles `{ description }` or `{ candidate }` from the remote side, in arrival order. */
  handleSignal(signal) {
    this.#queue = this.#queue
      .then(() => this.#handle(signal))
      .catch((err) => {
        if (!this.#closed) console.warn("meetmap: signaling failed", err);
      });
  }

  /** Tells the other side whether the user's microphone and camera are on (`{ muted, cameraOff }`). */
  sendMediaState({ muted, cameraOff }) {
    this.#mediaState = { muted: Boolean(muted), cameraOff: Boolean(cameraOff) };
    if (this.#channel?.readyState === "open") this.#channel.send(JSON.stringify(this.#mediaState));
  }

  /** Fresh TURN credentials: the candidates of the next ICE restart are gathered with them. */
  setIceConfiguration(rtc) {
    if (this.#closed) return;
    try {
      this.#pc.setConfiguration(rtc);
    } catch (err) {
      console.warn("calls: the renewed ICE servers were not taken", err);
    }
  }

  /**
   * The server connection is back, here or on the other side: an offer that could not be
   * sent, or went to the other side's lost connection (still unanswered), is made again,
   * and a broken path is restarted now that new candidates can reach the other side.
   */
  resume() {
    if (this.#closed) return;
    const pc = this.#pc;
    const unanswered = this.#offerLost || pc.signalingState === "have-local-offer";
    const broken = pc.iceConnectionState === "disconnected" || pc.iceConnectionState === "failed";
    if (unanswered || (this.#initiator && broken)) this.#restartIce();
  }

  /** Closes the connection; no event is emitted after this. */
  close() {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopTimers();
    if (this.#channel) {
      this.#channel.onopen = null;
      this.#channel.onmessage = null;
      this.#channel.close();
    }
    this.#pc.ondatachannel = null;
    this.#pc.onicecandidate = null;
    this.#pc.onnegotiationneeded = null;
    this.#pc.ontrack = null;
    this.#pc.onconnectionstatechange = null;
    this.#pc.oniceconnectionstatechange = null;
    this.#pc.close();
    for (const track of this.#remoteStream.getTracks()) this.#remoteStream.removeTrack(track);
  }

  #fail() {
    if (this.#closed) return;
    this.#stopTimers();
    this.emit("failed", {});
  }

  /** The path broke: given up if it is not back in time; the initiator restarts ICE. */
  #recover() {
    if (this.#closed) return;
    this.#connectTimer ??= setTimeout(() => this.#fail(), CONNECT_TIMEOUT_MS);
    if (this.#initiator) this.#restartIce();
  }

  /** A new offer with new ICE credentials; a lost one is rolled back first. */
  #restartIce() {
    const pc = this.#pc;
    this.#offerLost = false;
    this.#queue = this.#queue
      .then(async () => {
        if (this.#closed) return;
        if (pc.signalingState === "have-local-offer") await pc.setLocalDescription({ type: "rollback" });
        pc.restartIce();
      })
      .catch((err) => {
        if (!this.#closed) console.warn("meetmap: could not restart ICE", err);
      });
  }

  #stopTimers() {
    clearTimeout(this.#connectTimer);
    clearTimeout(this.#restartTimer);
    this.#connectTimer = null;
    this.#restartTimer = null;
  }

  #useChannel(channel) {
    this.#channel = channel;
    channel.onopen = () => {
      if (this.#mediaState) this.sendMediaState(this.#mediaState);
    };
    channel.onmessage = ({ data }) => {
      if (this.#closed || typeof data !== "string" || data.length > MEDIA_MESSAGE_MAX) return;
      let said;
      try {
        said = JSON.parse(data);
      } catch {
        return;
      }
      if (typeof said?.muted !== "boolean" || typeof said?.cameraOff !== "boolean") return;
      this.emit("remote-media", { muted: said.muted, cameraOff: said.cameraOff });
    };
  }

  #addTransceivers() {
    this.#useChannel(this.#pc.createDataChannel(MEDIA_CHANNEL));
    const stream = this.#media?.stream ?? null;
    for (const kind of ["audio", "video"]) {
      const track = stream?.getTracks().find((t) => t.kind === kind);
      if (track) this.#pc.addTransceiver(track, { direction: "sendrecv", streams: [stream] });
      else this.#pc.addTransceiver(kind, { direction: "recvonly" });
    }
  }

  /** Puts unused local tracks on the transceivers a remote offer created. */
  async #attachLocalTracks() {
    const stream = this.#media?.stream ?? null;
    const used = new Set(this.#pc.getSenders().map((s) => s.track).filter(Boolean));
    for (const transceiver of this.#pc.getTransceivers()) {
      if (transceiver.stopped || transceiver.currentDirection === "stopped") continue;
      if (transceiver.sender.track) continue;
      const kind = transceiver.receiver.track.kind;
      const track = stream?.getTracks().find((t) => t.kind === kind && !used.has(t));
      if (track) {
        used.add(track);
        await transceiver.sender.replaceTrack(track);
        transceiver.sender.setStreams?.(stream);
        transceiver.direction = "sendrecv";
      } else if (transceiver.direction === "sendrecv") {
        transceiver.direction = "recvonly";
      }
    }
  }

  async #handle({ description, candidate }) {
    if (this.#closed) return;
    const pc = this.#pc;
    if (description) {
      const collision =
        description.type === "offer" && (this.#makingOffer || pc.signalingState !== "stable");
      this.#ignoreOffer = !this.#polite && collision;
      if (this.#ignoreOffer) return;
      // For the polite side, this rolls its own pending offer back.
      await pc.setRemoteDescription(description);
      if (description.type === "offer") {
        await this.#attachLocalTracks();
        await pc.setLocalDescription();
        if (!this.#closed) this.#send({ description: pc.localDescription.toJSON() });
      }
      await this.#flushCandidates();
    } else if (candidate) {
      if (!pc.remoteDescription) {
        this.#pendingCandidates.push(candidate);
        return;
      }
      await this.#addCandidate(candidate);
    }
  }

  async #flushCandidates() {
    const pending = this.#pendingCandidates;
    this.#pendingCandidates = [];
    for (const candidate of pending) await this.#addCandidate(candidate);
  }

  async #addCandidate(candidate) {
    try {
      await this.#pc.addIceCandidate(candidate);
    } catch (err) {
      // Candidates of an offer we ignored, or of one rolled back, do not fit: expected.
      if (!this.#ignoreOffer && !this.#closed) console.warn("meetmap: bad ICE candidate", err);
    }
  }
}
