// Title flash: while a call rings the tab's title alternates between the page's own title
// and what is happening ("☎ Ann is calling…"), so a call is seen from another tab; a
// missed call stays in the title ("(1) Missed call…") until the tab is looked at.

/** How often the title alternates while it flashes. */
const FLASH_MS = 1000;

export class TitleFlash {
  /** The page's own title, while another is shown; null when none is. */
  #own = null;
  #timer = null;
  #steady = null;

  /** Alternates the title with `text` until `stop()` or `steady()`. */
  flash(text) {
    this.#clear();
    this.#own ??= document.title;
    let on = true;
    document.title = text;
    this.#timer = setInterval(() => {
      on = !on;
      document.title = on ? text : this.#own;
    }, FLASH_MS);
  }

  /**
   * Shows `text` before the page's title until the tab is visible (at once when it is),
   * e.g. a missed call seen from another tab.
   */
  steady(text) {
    this.#clear();
    if (document.visibilityState === "visible") {
      this.stop();
      return;
    }
    this.#own ??= document.title;
    document.title = `${text} · ${this.#own}`;
    this.#steady = () => {
      if (document.visibilityState === "visible") this.stop();
    };
    document.addEventListener("visibilitychange", this.#steady);
  }

  /** Puts the page's own title back. */
  stop() {
    this.#clear();
    if (this.#own !== null) document.title = this.#own;
    this.#own = null;
  }

  #clear() {
    clearInterval(this.#timer);
    this.#timer = null;
    if (this.#steady) document.removeEventListener("visibilitychange", this.#steady);
    this.#steady = null;
  }
}
