// Reconnecting socket: one WebSocket at a time to one URL, opened again after a drop with
// jittered exponential backoff, and the state the header shows. It knows nothing of the
// frames: connection.js registers on `onOpen` and reads `onMessage`.

/**
 * `onOpen()` when a socket opens, `onMessage(data)` for each text it receives, `onClose()`
 * when it closes (a retry is scheduled then, unless stopped), and `onState(state,
 * retryInMs)` with `connecting` (first attempt), `online` (after `markOnline()`),
 * `reconnecting` (after a drop) or `offline` (stopped, or the browser is offline).
 * `timings` (from /config.json): `reconnectBaseMs`, the first delay before a retry (doubled
 * per failed attempt, with jitter), `reconnectMaxMs`, its cap, and `connectTimeoutMs`, after
 * which a socket that neither opened nor registered is dropped and retried.
 */
export class ReconnectingSocket {
  #url;
  #protocol;
  #baseMs;
  #maxMs;
  #connectTimeoutMs;
  #on;
  /**
   * `stopped` (before `start()`, after `stop()`), `connecting` (a socket is opening, or open
   * and not yet online), `online` (`markOnline()` was called for it) or `waiting` (no
   * socket: a retry is scheduled).
   */
  #state = "stopped";
  #socket = null;
  #everOnline = false;
  #attempt = 0;
  #retryTimer = null;
  #connectTimer = null;

  constructor({ url, protocol, timings, onOpen, onMessage, onClose, onState }) {
    this.#url = url;
    this.#protocol = protocol;
    this.#baseMs = Math.max(1, timings.reconnectBaseMs);
    this.#maxMs = Math.max(this.#baseMs, timings.reconnectMaxMs);
    this.#connectTimeoutMs = timings.connectTimeoutMs;
    this.#on = { onOpen, onMessage, onClose, onState };
    window.addEventListener("online", () => this.#wake());
    window.addEventListener("offline", () => {
      if (this.#state === "connecting" || this.#state === "waiting") this.#on.onState("offline", null);
    });
  }

  /** Whether a socket was ever marked online: later attempts are reconnections. */
  get everOnline() {
    return this.#everOnline;
  }

  /** Opens the first socket, and keeps one open until `stop()`. */
  start() {
    this.#attempt = 0;
    this.#open();
  }

  /** Closes the socket for good (queued frames are flushed first). */
  stop(reason) {
    this.#state = "stopped";
    clearTimeout(this.#retryTimer);
    clearTimeout(this.#connectTimer);
    const socket = this.#socket;
    this.#socket = null;
    if (socket) {
      socket.onclose = null;
      socket.close(1000, reason);
    }
    this.#on.onState("offline", null);
  }

  /** Closes the current socket; a new one follows after the backoff. */
  drop() {
    this.#socket?.close();
  }

  /**
   * Lets go of the current socket at once, as closed: it is dead though not closed (a
   * silent network loss), and its close could take as long as the loss lasts. A new one
   * follows after the backoff.
   */
  abandon() {
    const socket = this.#socket;
    if (!socket) return;
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.close();
    this.#closed();
  }

  /** Tries again at once when waiting between attempts (a click on the status). */
  retryNow() {
    this.#wake();
  }

  /** Sends a text on the open socket; false when there is none. */
  send(text) {
    if (this.#socket?.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(text);
    return true;
  }

  /** The socket did what it was opened for (registered): no timeout, no backoff. */
  markOnline() {
    this.#state = "online";
    this.#everOnline = true;
    this.#attempt = 0;
    clearTimeout(this.#connectTimer);
    this.#on.onState("online", null);
  }

  #open() {
    clearTimeout(this.#retryTimer);
    this.#state = "connecting";
    this.#on.onState(this.#everOnline ? "reconnecting" : "connecting", null);
    let socket;
    try {
      socket = new WebSocket(this.#url, this.#protocol);
    } catch (err) {
      console.warn("meetmap: cannot open the WebSocket", err);
      this.#scheduleRetry();
      return;
    }
    this.#socket = socket;
    this.#connectTimer = setTimeout(() => {
      if (this.#socket === socket && this.#state !== "online") this.abandon();
    }, this.#connectTimeoutMs);
    socket.onopen = () => {
      if (this.#socket === socket) this.#on.onOpen();
    };
    socket.onmessage = (event) => {
      if (this.#socket === socket) this.#on.onMessage(event.data);
    };
    socket.onclose = () => {
      if (this.#socket === socket) this.#closed();
    };
    // A failed socket always closes next; `onclose` does the work. Without this handler
    // the browser still logs the failure, which the app cannot prevent.
    socket.onerror = () => {};
  }

  /** The current socket is gone: the app is told, and a retry is scheduled. */
  #closed() {
    clearTimeout(this.#connectTimer);
    this.#socket = null;
    this.#state = "waiting";
    // `onClose` may stop the socket for good (a sign-out the close ended).
    this.#on.onClose();
    this.#scheduleRetry();
  }

  #scheduleRetry() {
    if (this.#state === "stopped") return;
    this.#state = "waiting";
    const cap = Math.min(this.#maxMs, this.#baseMs * 2 ** this.#attempt);
    this.#attempt += 1;
    // "Equal jitter": half fixed, half random, so clients that dropped together spread out.
    const delay = Math.round(cap / 2 + Math.random() * (cap / 2));
    const offline = navigator.onLine === false;
    this.#on.onState(offline ? "offline" : this.#everOnline ? "reconnecting" : "connecting", delay);
    this.#retryTimer = setTimeout(() => this.#open(), delay);
  }

  #wake() {
    if (this.#state === "waiting") this.#open();
  }
}
