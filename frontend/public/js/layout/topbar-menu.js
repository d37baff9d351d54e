// The header's menu on narrower screens (#menu-toggle, #topbar-menu): who you are, the
// location's state, "Add a device" and "Log out" folded away so the header keeps one row.
// On wide screens the same items sit in the header and the toggle is not shown.

import { byId } from "../ui.js";

/** Opens and closes the menu: the toggle, Escape, a click elsewhere, or picking an item. */
export function setUpTopbarMenu() {
  const toggle = byId("menu-toggle");
  const menu = byId("topbar-menu");
  const setOpen = (open, { refocus = false } = {}) => {
    menu.classList.toggle("open", open);
    toggle.setAttribute("aria-expanded", String(open));
    if (open) menu.querySelector("button")?.focus();
    else if (refocus) toggle.focus();
  };
  toggle.addEventListener("click", () => setOpen(!menu.classList.contains("open")));
  menu.addEventListener("keydown", (event) => {
    if (event.key === "Escape") setOpen(false, { refocus: true });
  });
  menu.addEventListener("click", (event) => {
    if (event.target.closest("button")) setOpen(false);
  });
  document.addEventListener("pointerdown", (event) => {
    if (!menu.classList.contains("open") || menu.contains(event.target) || toggle.contains(event.target)) return;
    setOpen(false);
  });
}
