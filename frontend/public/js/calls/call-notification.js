// System notifications of calls (Notification API), for a tab the user is not looking at:
// an incoming call with Accept and Decline, and a missed call. Accept and Decline need a
// service worker (only its notifications have buttons): with one, its `notificationclick`
// (`sw-call-actions.js`) posts the button to this page; without one, a click on the
// notification brings the tab forward, where the incoming-call card has the buttons.
// Permission is asked when the user first does something with a call, never on load.

/** The message the service worker posts to the page when a call notification is clicked. */
export const CALL_ACTION_MESSAGE = "meetmap-call-action";
/** `data.kind` of the notifications this module shows (the service worker acts on these only). */
export const CALL_NOTIFICATION_KIND = "meetmap-call";

function permitted() {
  return typeof Notification !== "undefined" && Notification.permission === "granted";
}

export class CallNotification {
  #actions;
  /** The incoming call's notification: `{ callId, close() }`, or null. */
  #ringing = null;

  /** `actions`: `{ accept(callId), decline(callId), open(callId) }`, from a click on a notification. */
  constructor(actions) {
    this.#actions = actions;
    navigator.serviceWorker?.addEventListener("message", (event) => this.#onMessage(event.data));
  }

  /** Asks for permission once, from a user's click (a call placed or answered). */
  askPermission() {
    if (typeof Notification === "undefined" || Notification.permission !== "default") return;
    try {
      Notification.requestPermission()?.catch?.(() => {});
    } catch {
      // An old browser's callback form, or none: the card and the ringtone still ring.
    }
  }

  /** Shows the incoming call `callId` from `name` (when the tab is hidden and it may). */
  async ring(callId, name, detail) {
    this.closeRinging();
    if (!permitted() || document.visibilityState === "visible") return;
    const handle = { callId, close: () => {}, closed: false };
    this.#ringing = handle;
    const close = await this.#show(`${name} is calling`, {
      body: detail ? `Call ${detail} · meetmap` : "Incoming call · meetmap",
      tag: `meetmap-call-${callId}`,
      requireInteraction: true,
      data: { kind: CALL_NOTIFICATION_KIND, callId },
      actions: [
        { action: "accept", title: "Accept" },
        { action: "decline", title: "Decline" },
      ],
      onClick: () => this.#actions.open(callId),
    });
    if (handle.closed) close();
    else handle.close = close;
  }

  /** Closes the incoming call's notification (answered, declined, given up). */
  closeRinging() {
    const handle = this.#ringing;
    this.#ringing = null;
    if (!handle) return;
    handle.closed = true;
    handle.close();
  }

  /** Tells of a missed call (when the tab is hidden and it may); a click opens it (`open`). */
  async missed(callId, text) {
    if (!permitted() || document.visibilityState === "visible") return;
    await this.#show(text, {
      body: "meetmap",
      tag: `meetmap-missed-${callId}`,
      data: { kind: CALL_NOTIFICATION_KIND, callId, missed: true },
      onClick: () => this.#actions.open(callId),
    });
  }

  /** Shows a notification through the service worker if there is one; resolves with its `close`. */
  async #show(title, { onClick, actions, ...options }) {
    try {
      const registration = await navigator.serviceWorker?.getRegistration?.();
      if (registration?.active) {
        await registration.showNotification(title, { ...options, actions });
        return () => {
          registration
            .getNotifications({ tag: options.tag })
            .then((shown) => shown.forEach((n) => n.close()))
            .catch(() => {});
        };
      }
      const notification = new Notification(title, options);
      notification.onclick = () => {
        window.focus();
        notification.close();
        onClick?.();
      };
      return () => notification.close();
    } catch (err) {
      console.warn("meetmap: could not show a notification", err);
      return () => {};
    }
  }

  #onMessage(data) {
    if (data?.type !== CALL_ACTION_MESSAGE || typeof data.callId !== "string") return;
    if (data.action === "accept") this.#actions.accept(data.callId);
    else if (data.action === "decline") this.#actions.decline(data.callId);
    else this.#actions.open(data.callId);
  }
}
