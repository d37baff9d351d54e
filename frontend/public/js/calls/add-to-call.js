// "Add to call": the call panel's menu of the people online who are not in the call, each a
// button that rings them into it (#add-to-call opens #add-to-call-menu).

import { el } from "../ui.js";

export class AddToCall {
  #button;
  #menu;
  #list;
  #candidates;
  #invite;

  /**
   * `candidates()`: `[{ email, name }]` who could be added now; `invite(email)`: rings them.
   */
  constructor({ button, menu, list, candidates, invite }) {
    this.#button = button;
    this.#menu = menu;
    this.#list = list;
    this.#candidates = candidates;
    this.#invite = invite;
    button.addEventListener("click", () => (this.#menu.hidden ? this.open() : this.close()));
    menu.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.stopPropagation();
      this.close();
      button.focus();
    });
  }

  open() {
    const people = this.#candidates();
    this.#list.replaceChildren(
      ...people.map(({ email, name }) =>
        el(
          "li",
          {},
          el("button", {
            type: "button",
            class: "add-to-call-person",
            "data-email": email,
            text: name,
            title: name,
            on: {
              click: () => {
                this.close();
                this.#invite(email);
              },
            },
          }),
        ),
      ),
    );
    this.#menu.dataset.empty = String(people.length === 0);
    this.#menu.hidden = false;
    this.#button.setAttribute("aria-expanded", "true");
    (this.#list.querySelector("button") ?? this.#menu).focus?.();
  }

  close() {
    this.#menu.hidden = true;
    this.#button.setAttribute("aria-expanded", "false");
  }

  /** Whether the button is offered (in a call with room for more). */
  setAvailable(available) {
    this.#button.hidden = !available;
    if (!available) this.close();
  }
}
