// The phone's views: under 720 px one of the map, the people, the chat and the call at a
// time (`#app[data-view]`), chosen in the tab bar (#view-tabs). The Chat tab mirrors the
// unread total, the People tab the online count; the Call tab shows while #call-panel
// does, and a call that starts comes to the front. A call minimised to a bar goes back to
// the view before it (the bar stays above the tabs). On wider screens every view shows.

import { byId } from "../ui.js";

/** The widths at which one view shows at a time (the same as app.css's phone rules). */
export const PHONE_QUERY = "(max-width: 719.98px)";

export class Views {
  #app = byId("app");
  #tabs = [...byId("view-tabs").querySelectorAll("button.view-tab")];
  #phone = matchMedia(PHONE_QUERY);
  #current = "map";
  /** The last view in front but the call's: the one to go back to when the call ends. */
  #beforeCall = "map";
  #onShow;

  /** `onShow(view)` runs each time a view comes to the front. */
  constructor({ onShow = () => {} } = {}) {
    this.#onShow = onShow;
    for (const tab of this.#tabs) tab.addEventListener("click", () => this.show(tab.dataset.view));
    // A skip link to a view brings it to the front before the browser moves the focus there.
    for (const link of this.#app.querySelectorAll("a.skip-link[data-view]")) {
      link.addEventListener("click", () => this.show(link.dataset.view));
    }
    mirror(byId("unread-total"), byId("tab-chat-unread"));
    mirror(byId("online-count"), byId("tab-people-count"));
    this.#followCall(byId("call-panel"), byId("tab-call"));
    this.#phone.addEventListener("change", () => this.#onShow(this.#current));
  }

  /** The view in front on a phone. */
  get current() {
    return this.#current;
  }

  /** Whether `view` is on screen: on a phone the one in front, on wider screens all. */
  shows(view) {
    return !this.#phone.matches || this.#current === view;
  }

  /** Brings `view` (`map`, `people`, `chat` or `call`) to the front. */
  show(view) {
    const tab = this.#tabs.find((t) => t.dataset.view === view);
    if (!tab || tab.hidden) return;
    this.#current = view;
    if (view !== "call") this.#beforeCall = view;
    this.#app.dataset.view = view;
    for (const t of this.#tabs) {
      if (t === tab) t.setAttribute("aria-current", "true");
      else t.removeAttribute("aria-current");
    }
    this.#onShow(view);
  }

  /** Brings to the front the view holding `element` (its tab's `aria-controls`), if any. */
  showViewOf(element) {
    const tab = this.#tabs.find((t) => byId(t.getAttribute("aria-controls"))?.contains(element));
    if (tab) this.show(tab.dataset.view);
  }

  /**
   * The Call tab follows the call panel: shown with it, and in front when a call starts;
   * minimised to a bar, the call leaves the front to the view before it, and comes back
   * when the bar is opened again.
   */
  #followCall(panel, tab) {
    let wasBar = false;
    const sync = () => {
      const on = !panel.hidden;
      const bar = on && panel.dataset.minimised === "true";
      if (bar && this.#current === "call") this.show(this.#beforeCall);
      else if (on && wasBar && !bar && this.#current !== "call") this.show("call");
      wasBar = bar;
      if (on === !tab.hidden) return;
      tab.hidden = !on;
      if (on) this.show("call");
      else if (this.#current === "call") {
        this.show(this.#beforeCall);
      }
    };
    new MutationObserver(sync).observe(panel, { attributes: true, attributeFilter: ["hidden", "data-minimised"] });
    sync();
  }
}

/** Keeps `copy` showing the text of `source`, and hidden when it is. */
function mirror(source, copy) {
  const sync = () => {
    copy.textContent = source.textContent;
    copy.hidden = source.hidden;
  };
  new MutationObserver(sync).observe(source, {
    attributes: true,
    attributeFilter: ["hidden"],
    childList: true,
    characterData: true,
    subtree: true,
  });
  sync();
}
