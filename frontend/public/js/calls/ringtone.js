// Ringtone: a two-note chime synthesised with Web Audio (no audio file to ship or fetch),
// repeated while a call rings, with the phone's vibration where the browser has one.
// Browsers start audio only after the user has touched the page, so the audio context is
// made (or resumed) on the first touch, click or key and kept for later rings.

/** One ring: the chime's notes (Hz) and how long each sounds, then silence until the next ring. */
const NOTES_HZ = [880, 660];
const NOTE_S = 0.35;
const RING_PERIOD_MS = 2500;
/** The ring's loudness (0..1 of full scale). */
const VOLUME = 0.25;
/** The vibration of one ring (ms on, off, on), repeated every period. */
const VIBRATION_MS = [400, 200, 400];

export class Ringtone {
  #context = null;
  #output = null;
  #analyser = null;
  #timer = null;
  #playing = false;

  constructor() {
    const unlock = () => this.#ensureContext()?.resume().catch(() => {});
    for (const type of ["pointerdown", "keydown", "touchend"]) {
      document.addEventListener(type, unlock, { capture: true, passive: true });
    }
  }

  get playing() {
    return this.#playing;
  }

  /** Starts ringing (again from the first note); does nothing while it rings. */
  start() {
    if (this.#playing) return;
    this.#playing = true;
    const context = this.#ensureContext();
    context?.resume().catch(() => {});
    this.#ring();
    this.#timer = setInterval(() => this.#ring(), RING_PERIOD_MS);
  }

  /** Stops the sound and the vibration at once. */
  stop() {
    if (!this.#playing) return;
    this.#playing = false;
    clearInterval(this.#timer);
    this.#timer = null;
    if (this.#output && this.#context) {
      // Cut what is scheduled: a new output node for the next ring, the old one silenced.
      this.#output.gain.cancelScheduledValues(this.#context.currentTime);
      this.#output.gain.setValueAtTime(0, this.#context.currentTime);
      this.#output.disconnect();
      this.#output = null;
    }
    navigator.vibrate?.(0);
  }

  /**
   * What is heard now, for the tests: `{ playing, context, level }` where `level` is the
   * peak amplitude (0..1) at the output this instant (0 between notes and when stopped).
   */
  state() {
    let level = 0;
    if (this.#analyser) {
      const samples = new Float32Array(this.#analyser.fftSize);
      this.#analyser.getFloatTimeDomainData(samples);
      for (const sample of samples) level = Math.max(level, Math.abs(sample));
    }
    return { playing: this.#playing, context: this.#context?.state ?? "none", level };
  }

  #ensureContext() {
    if (this.#context) return this.#context;
    const AudioContextClass = globalThis.AudioContext ?? globalThis.webkitAudioContext;
    if (!AudioContextClass) return null;
    try {
      this.#context = new AudioContextClass();
    } catch {
      return null;
    }
    this.#analyser = this.#context.createAnalyser();
    this.#analyser.fftSize = 2048;
    this.#analyser.connect(this.#context.destination);
    return this.#context;
  }

  /** Schedules one chime on the audio clock, and its vibration. */
  #ring() {
    navigator.vibrate?.(VIBRATION_MS);
    const context = this.#context;
    if (!context || !this.#analyser) return;
    if (!this.#output) {
      this.#output = context.createGain();
      this.#output.gain.value = VOLUME;
      this.#output.connect(this.#analyser);
    }
    let at = context.currentTime + 0.02;
    for (const hz of NOTES_HZ) {
      const oscillator = context.createOscillator();
      const envelope = context.createGain();
      oscillator.type = "sine";
      oscillator.frequency.value = hz;
      // A quick attack, held, then a bell's fade.
      envelope.gain.setValueAtTime(0, at);
      envelope.gain.linearRampToValueAtTime(1, at + 0.02);
      envelope.gain.setValueAtTime(1, at + NOTE_S / 2);
      envelope.gain.exponentialRampToValueAtTime(0.001, at + NOTE_S);
      oscillator.connect(envelope).connect(this.#output);
      oscillator.start(at);
      oscillator.stop(at + NOTE_S + 0.05);
      at += NOTE_S;
    }
  }
}
