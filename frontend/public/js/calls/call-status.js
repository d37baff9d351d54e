// Call status: the words for a call, as the call panel shows them (who is in it, who is
// being rung) and as notifications use them ("Bob, Carol and Dan").

/** "Bob", "Bob and Carol", "Bob, Carol and Dan". */
export function listOf(names) {
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names[names.length - 1]}`;
}

/**
 * What the panel shows for `call` (a `GroupCall`), with display names from `nameOf(email)`:
 * `{ state, text, invites, inCall }`, where `state` and `text` are the status line,
 * `invites` the people still being rung once someone has joined (`[{ email, name,
 * ringing }]`), and `inCall` whether anyone has accepted.
 */
export function describeCall(call, nameOf) {
  const names = (emails) => listOf(emails.map((email) => nameOf(email)));
  const invites = [...call.invites];
  if (call.members.size > 0) {
    const members = [...call.members];
    const connected = members.filter(([, m]) => m.state === "connected").map(([e]) => e);
    const connecting = members.filter(([, m]) => m.state !== "connected").map(([e]) => e);
    const parts = [];
    if (connected.length) parts.push(`In call with ${names(connected)}`);
    if (connecting.length) parts.push(`connecting to ${names(connecting)}…`);
    const text = parts.join(", ");
    return {
      state: "in-call",
      text: text.charAt(0).toUpperCase() + text.slice(1),
      invites: invites.map(([email, invite]) => ({ email, name: nameOf(email), ringing: invite.ringing })),
      inCall: true,
    };
  }
  const ringing = invites.some(([, invite]) => invite.ringing);
  const who = names(invites.map(([email]) => email));
  return {
    state: ringing ? "ringing" : "calling",
    text: `${ringing ? "Ringing" : "Calling"} ${who}…`,
    invites: [],
    inCall: false,
  };
}
