// The online list (`#online-list`): one row per user online in the room, updated in place;
// each row shows the person's colour (the same as on the map), their distance and age, and
// picking the person shows them on the map (the keyboard path to each marker).

import { byId, el, initials } from "../ui.js";
import { colourOf } from "./colours.js";

/**
 * The online list (`#online-list`): one `li.online-user[data-email]` per user, updated in
 * place so focus and scroll survive updates.
 */
export class OnlineList {
  #list;
  #actions;

  /**
   * `actions`: `{ onCall(email), onMessage(email), onLocate(email, { fromKeyboard }),
   * unreadFor(email), inCall(user), place(email), callLabel(user) }` (`place` as
   * `Places.describe`; `callLabel`: the call button's words, "Call" by default).
   */
  constructor(list, actions) {
    this.#list = list;
    this.#actions = actions;
  }

  /** Redraws from `users` (self first), keeping existing rows. */
  render(users, selfEmail) {
    const existing = new Map(
      [...this.#list.querySelectorAll("li.online-user")].map((li) => [li.dataset.email, li]),
    );
    let previous = null;
    for (const user of users) {
      const isSelf = user.email === selfEmail;
      let li = existing.get(user.email);
      if (li && li.classList.contains("self") !== isSelf) {
        li.remove();
        li = null;
      }
      li ??= this.#row(user, isSelf);
      existing.delete(user.email);
      this.#update(li, user, isSelf);
      const expectedPlace = previous ? previous.nextSibling : this.#list.firstChild;
      if (li !== expectedPlace) this.#list.insertBefore(li, expectedPlace);
      previous = li;
    }
    for (const li of existing.values()) li.remove();
    const count = byId("online-count");
    count.textContent = String(users.length);
  }

  #row(user, isSelf) {
    const li = el("li", { class: isSelf ? "online-user self" : "online-user", "data-email": user.email });
    const avatar = el("span", { class: "avatar", "aria-hidden": "true" });
    avatar.style.setProperty("--person", colourOf(user.email));
    // The button's name is what it shows (WCAG's label in name), after what it does.
    const who = el(
      "span",
      { class: "who" },
      el("span", { class: "user-locate-what visually-hidden" }),
      el("span", { class: "user-name" }),
      isSelf ? el("span", { class: "user-you", text: "(you)" }) : null,
      el("span", { class: "user-meta" }),
      el("span", { class: "user-badges" }),
    );
    // A click reports no clicks (`detail` 0) when it comes from the keyboard.
    const locate = el(
      "button",
      { type: "button", class: "user-locate", on: { click: (e) => this.#actions.onLocate(user.email, { fromKeyboard: e.detail === 0 }) } },
      avatar,
      who,
    );
    li.append(locate);
    if (!isSelf) {
      li.append(
        el(
          "span",
          { class: "user-actions" },
          el("span", {
            class: "unread",
            "data-conversation": user.email,
            hidden: true,
            title: "Unread direct messages",
            text: "0",
          }),
          el("button", {
            type: "button",
            class: "call",
            text: "Call",
            on: { click: () => this.#actions.onCall(user.email) },
          }),
          el("button", {
            type: "button",
            class: "message",
            text: "Message",
            on: { click: () => this.#actions.onMessage(user.email) },
          }),
        ),
      );
    }
    return li;
  }

  #update(li, user, isSelf) {
    li.querySelector(".user-name").textContent = user.name;
    li.querySelector(".avatar").textContent = initials(user.name);
    li.title = user.email;
    const badges = li.querySelector(".user-badges");
    const noPosition = user.latitude === null || user.longitude === null;
    const place = this.#actions.place(user.email);
    const meta = li.querySelector(".user-meta");
    if (meta.textContent !== place.summary) showSummary(meta, place);
    meta.hidden = !place.summary;
    li.classList.toggle("stale", place.stale);
    const locate = li.querySelector("button.user-locate");
    locate.disabled = noPosition;
    li.querySelector(".user-locate-what").textContent = noPosition ? "" : "Show on the map: ";
    const inCall = this.#actions.inCall(user);
    toggleBadge(badges, "user-in-call", inCall, "in a call");
    toggleBadge(badges, "user-position-missing", noPosition, "no location");
    if (!isSelf) {
      const unread = this.#actions.unreadFor(user.email);
      const badge = li.querySelector(".unread");
      badge.textContent = String(unread);
      badge.hidden = unread === 0;
      li.querySelector("button.call").textContent = this.#actions.callLabel?.(user) ?? "Call";
      for (const button of li.querySelectorAll("button.call, button.message")) {
        button.setAttribute("aria-label", `${button.textContent} ${user.name}`);
      }
    }
  }
}

/** The distance and the age, each kept on one line ("10 m away · updated just now"). */
function showSummary(meta, place) {
  const parts = [place.distance && `${place.distance} away`, place.age].filter(Boolean);
  meta.replaceChildren(...parts.flatMap((text, i) => [i > 0 ? " · " : "", el("span", { text })]).filter(Boolean));
}

function toggleBadge(container, className, on, text) {
  const badge = container.querySelector(`.${className}`);
  if (on && !badge) container.append(el("span", { class: `badge ${className}`, text }));
  if (!on && badge) badge.remove();
}
