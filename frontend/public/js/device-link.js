// "Add a device": asks the server for a one-time link code and shows it in a dialog, large,
// with a copy button and a live countdown to its expiry. Escape or "Close" dismisses it.

import { byId } from "./ui.js";

/**
 * The longest a code lives (docs/PROTOCOL.md, `link-device`): the countdown never shows
 * more, so a client clock far from the server's cannot show a code good for hours.
 */
const LINK_CODE_MAX_MS = 5 * 60 * 1000;
/** How long "Copied" shows on the copy button. */
const COPIED_FOR_MS = 2000;
const COPY_TEXT = "Copy code";

/** Wires `#add-device` to `connection.linkDevice()` and the `#device-link` dialog. */
export function setUpDeviceLink(connection) {
  const dialog = byId("device-link");
  const copy = byId("device-link-copy");
  let countdown = null;
  /** Counts requests, so an answer arriving after the dialog closed or asked again is dropped. */
  let request = 0;

  const ask = async () => {
    const mine = ++request;
    clearInterval(countdown);
    showCode("····-····", false);
    showExpiry("Asking the server for a code…");
    showError("");
    byId("device-link-renew").hidden = true;
    try {
      const { code, expiresAt } = await connection.linkDevice();
      if (mine !== request) return;
      showCode(code, true);
      const deadline = Date.now() + remainingMs(expiresAt);
      const tick = () => {
        const left = deadline - Date.now();
        if (left > 0) {
          showExpiry(`Works once, for ${clock(left)} more`);
          return;
        }
        clearInterval(countdown);
        showCode(code, false);
        byId("device-link-code").classList.add("expired");
        showExpiry("This code has expired.");
        byId("device-link-renew").hidden = false;
      };
      tick();
      countdown = setInterval(tick, 1000);
    } catch (err) {
      if (mine !== request) return;
      showExpiry("");
      showError(err.reason === "noDevice" ? "This server does not link devices." : `No code: ${err.message}`);
      byId("device-link-renew").hidden = false;
    }
  };

  byId("add-device").addEventListener("click", () => {
    if (!dialog.open) dialog.showModal();
    ask();
  });
  byId("device-link-renew").addEventListener("click", ask);
  byId("device-link-close").addEventListener("click", () => dialog.close());
  // Escape closes a modal dialog by itself; either way, the countdown stops.
  dialog.addEventListener("close", () => {
    request += 1;
    clearInterval(countdown);
  });
  copy.addEventListener("click", async () => {
    const code = byId("device-link-code").textContent;
    try {
      await navigator.clipboard.writeText(code);
      copy.textContent = "Copied";
    } catch {
      selectText(byId("device-link-code"));
      copy.textContent = "Selected: copy it";
    }
    setTimeout(() => (copy.textContent = COPY_TEXT), COPIED_FOR_MS);
  });
}

/** How long the code has left, by the server's `expiresAt` as far as the clocks agree. */
function remainingMs(expiresAt) {
  const left = expiresAt - Date.now();
  // A code is fresh when it arrives: outside (0, max] only the clocks disagree.
  return left > 0 && left <= LINK_CODE_MAX_MS ? left : LINK_CODE_MAX_MS;
}

/** `m:ss` of a duration. */
function clock(ms) {
  const seconds = Math.ceil(ms / 1000);
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function showCode(text, usable) {
  const node = byId("device-link-code");
  node.textContent = text;
  node.classList.remove("expired");
  byId("device-link-copy").disabled = !usable;
}

function showExpiry(text) {
  byId("device-link-expiry").textContent = text;
}

function showError(text) {
  const node = byId("device-link-error");
  node.textContent = text;
  node.hidden = !text;
}

function selectText(node) {
  const range = document.createRange();
  range.selectNodeContents(node);
  const selection = getSelection();
  selection?.removeAllRanges();
  selection?.addRange(range);
}
