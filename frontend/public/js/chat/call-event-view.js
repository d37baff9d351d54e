// One call event of the log as a list item: "Missed call from Ann, 14:02" and a Call back
// button (see call-events.js).

import { el } from "../ui.js";

const WORDS = {
  missed: (name) => `Missed call from ${name}`,
  busy: (name) => `Missed call from ${name} (you were in another call)`,
};

/** The words of a call event, with its time: "Missed call from Ann, 14:02". */
export function callEventText(event) {
  const words = (WORDS[event.kind] ?? WORDS.missed)(event.name);
  return `${words}, ${new Date(event.at).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })}`;
}

/** The item of `event`; `onCallBack(event)` runs from its button. */
export function callEventItem(event, { onCallBack }) {
  return el(
    "li",
    { class: "chat-call-event", "data-kind": event.kind, "data-with": event.conversation, "data-call-id": event.id },
    el("span", { class: "chat-call-icon", "aria-hidden": "true", text: "☎" }),
    el("span", { class: "chat-call-text", text: callEventText(event) }),
    el("button", {
      type: "button",
      class: "chat-call-back",
      text: "Call back",
      "aria-label": `Call ${event.name} back`,
      on: { click: () => onCallBack(event) },
    }),
  );
}

/** What changes when anything shown of an event changes. */
export function callEventSignature(event) {
  return JSON.stringify([event.kind, event.name, event.at]);
}
