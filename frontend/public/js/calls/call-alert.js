// Call alert: everything that makes a ringing call noticed besides its card — the
// ringtone and vibration (`ringtone.js`), the tab title (`title-flash.js`) and, when the
// tab is hidden, a system notification with Accept and Decline (`call-notification.js`);
// and the same for a missed call, without the sound.

import { CallNotification } from "./call-notification.js";
import { Ringtone } from "./ringtone.js";
import { TitleFlash } from "./title-flash.js";

export class CallAlert {
  #ringtone = new Ringtone();
  #title = new TitleFlash();
  #system;
  /** The call ringing: `{ callId, name, detail }`, or null. */
  #ringing = null;

  /**
   * `actions`: `{ accept(callId), decline(callId), open(callId) }`, what a click on a system
   * notification asks (`open`: the notification itself, an incoming or a missed call).
   */
  constructor(actions) {
    this.#system = new CallNotification(actions);
    document.addEventListener("visibilitychange", () => {
      const ringing = this.#ringing;
      if (!ringing) return;
      // The card is in view again: the system notification is one alert too many.
      if (document.visibilityState === "visible") this.#system.closeRinging();
      else this.#system.ring(ringing.callId, ringing.name, ringing.detail);
    });
  }

  /** Asks for the permission to notify, when the user first does something with a call. */
  askPermission() {
    this.#system.askPermission();
  }

  /** The call `callId` from `name` rings (`detail`: who else is in it, or ""). */
  ring(callId, name, detail) {
    this.#ringing = { callId, name, detail };
    this.#ringtone.start();
    this.#title.flash(`☎ ${name} is calling…`);
    this.#system.ring(callId, name, detail);
  }

  /** The ringing stopped (answered, declined, given up): sound, title and notification. */
  stop() {
    this.#ringing = null;
    this.#ringtone.stop();
    this.#title.stop();
    this.#system.closeRinging();
  }

  /** The call `callId` was missed: `text` stays in the title until the tab is looked at. */
  missed(callId, text) {
    this.stop();
    this.#title.steady(`☎ ${text}`);
    this.#system.missed(callId, text);
  }

  /** The ringtone's state, for the tests (see `Ringtone.state`). */
  ringtoneState() {
    return this.#ringtone.state();
  }
}
