// What the layout tests share: phone users (390×844 with touch), the awkward names the
// protocol allows, the checks for horizontal overflow, ellipsised names and small touch
// targets, and axe-core's WCAG 2.1 AA rules run in the page.

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

import { DESKTOP, PHONE } from "../support/browser.js";

export { DESKTOP, PHONE };

/** 64 characters (the longest name allowed), no space to break at. */
export const LONG_NAME = "Maximilian-Alexander-Friedrich-Wilhelm-von-Hohenzollern-Sigmarin";
export const RTL_NAME = "نور الهدى عبد الرحمن";
export const EMOJI_NAME = "Zoë 🦊🌍 Ørsted-Ñúñez";
/** The longest room name allowed (64 characters). */
export const LONG_ROOM = "the-room-with-the-longest-name-anyone-could-type-into-this-field";

export { NEXT_DOOR, PARIS } from "../support/places.js";

/**
 * A user whose page is a phone (390×844, touch, mobile viewport), or `viewport` with a
 * mouse; logged in like `world.newUser`.
 */
export async function phoneUser(world, { email, name, room, position, label, viewport = PHONE, touch = true }) {
  return world.newUser({ email, name, room, position, viewport, touch, label: label ?? `${email} (${viewport.width}px)` });
}

/**
 * Shows `view` by its tab on a phone (a tap on a touch screen, else a click); on a wider
 * screen, where every view shows and there is no tab bar, nothing.
 */
export async function showView(user, view) {
  const tab = user.page.locator(`#tab-${view}`);
  if (!(await tab.isVisible())) return;
  const touch = await user.page.evaluate(() => navigator.maxTouchPoints > 0);
  await (touch ? tab.tap() : tab.click());
  await user.page.locator(`#app[data-view="${view}"]`).waitFor({ state: "attached" });
}

/**
 * What sticks out sideways on the page: the page wider than the window, or a visible
 * element (clipped by the ancestors that clip it) beyond the window's left or right edge.
 */
export async function horizontalOverflow(page) {
  return page.evaluate(() => {
    const width = document.documentElement.clientWidth;
    const found = [];
    const page = document.documentElement.scrollWidth;
    if (page > width + 1) found.push(`the page is ${page} px wide in ${width} px`);
    for (const node of document.querySelectorAll("body *")) {
      if (!node.checkVisibility({ visibilityProperty: true })) continue;
      const rect = node.getBoundingClientRect();
      if (rect.width === 0 || rect.height === 0) continue;
      let [left, right] = [rect.left, rect.right];
      for (let up = node.parentElement; up && up !== document.body; up = up.parentElement) {
        if (getComputedStyle(up).overflowX === "visible") continue;
        const clip = up.getBoundingClientRect();
        [left, right] = [Math.max(left, clip.left), Math.min(right, clip.right)];
      }
      if (right - left <= 0) continue;
      if (left < -1 || right > width + 1) {
        const name = `${node.tagName.toLowerCase()}${node.id ? `#${node.id}` : ""}.${[...node.classList].join(".")}`;
        found.push(`${name} spans ${Math.round(left)}..${Math.round(right)} px of ${width}`);
      }
    }
    return found.slice(0, 12);
  });
}

/**
 * Elements of `selectors` showing `text` that are not one line cut with an ellipsis, so
 * that a name never pushes anything aside.
 */
export async function namesNotEllipsised(page, text, selectors) {
  return page.evaluate(
    ({ text, selectors }) => {
      const found = [];
      for (const node of document.querySelectorAll(selectors)) {
        if (!node.textContent.includes(text) || !node.checkVisibility({ visibilityProperty: true })) continue;
        const style = getComputedStyle(node);
        const cut = style.textOverflow === "ellipsis" && style.overflowX === "hidden" && style.whiteSpace === "nowrap";
        if (!cut) {
          found.push(`${node.tagName.toLowerCase()}${node.id ? `#${node.id}` : ""}.${node.className} (${style.textOverflow}, ${style.whiteSpace})`);
        }
      }
      return found;
    },
    { text, selectors },
  );
}

/** Visible buttons and links smaller than 44×44 px (WCAG 2.5.5's target size). */
export async function smallTargets(page, within = "body") {
  return page.evaluate((within) => {
    const found = [];
    const controls = new Set();
    for (const part of document.querySelectorAll(within)) {
      for (const node of part.querySelectorAll("button, a[href], input, select")) controls.add(node);
    }
    for (const node of controls) {
      if (!node.checkVisibility({ visibilityProperty: true }) || node.classList.contains("skip-link")) continue;
      if (node.type === "checkbox") continue; // its label is the target
      if (node.closest(".leaflet-control-attribution")) continue; // links in a sentence are exempt
      const { width, height } = node.getBoundingClientRect();
      if (width < 43.5 || height < 43.5) {
        found.push(`${node.tagName.toLowerCase()}${node.id ? `#${node.id}` : ""}.${node.className} ${Math.round(width)}×${Math.round(height)}`);
      }
    }
    return found;
  }, within);
}

/** Whether `selector` is on screen: laid out, painted (not `visibility: hidden`). */
export async function onScreen(page, selector) {
  return page.locator(selector).evaluate((node) => node.checkVisibility({ visibilityProperty: true }));
}

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
/** The rules of WCAG 2.0 and 2.1, levels A and AA. */
const AA_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"];

/**
 * axe-core's WCAG 2.1 AA violations on the page as it is now (loaded through the
 * debugger, which the page's Content-Security-Policy does not cover), one line each.
 */
export async function axeViolations(page) {
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async (tags) => {
    const result = await window.axe.run(document, { runOnly: { type: "tag", values: tags } });
    return result.violations.map((v) => ({
      id: v.id,
      nodes: v.nodes.slice(0, 4).map((n) => `${n.target.join(" ")}: ${n.failureSummary?.split("\n")[1]?.trim() ?? ""}`),
    }));
  }, AA_TAGS);
  return violations.map((v) => `${v.id}: ${v.nodes.join(" | ")}`);
}
