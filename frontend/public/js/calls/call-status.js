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
  const invites = call.invites();
  if (call.memberCount > 0) {
    const members = call.memberStates();
    const connected = members.filter((m) => m.state === "connected").map((m) => m.email);
    const connecting = members.filter((m) => m.state !== "connected").map((m) => m.email);
    const parts = [];
    if (connected.length) parts.push(`In call with ${names(connected)}`);
    if (connecting.length) parts.push(`connecting to ${names(connecting)}…`);
    const text = parts.join(", ");
    return {
      state: "in-call",
      text: text.charAt(0).toUpperCase() + text.slice(1),
      invites: invites.map(({ email, ringing }) => ({ email, name: nameOf(email), ringing })),
      inCall: true,
    };
  }
  const ringing = invites.some((invite) => invite.ringing);
  const who = names(invites.map((invite) => invite.email));
  return {
    state: ringing ? "ringing" : "calling",
    text: `${ringing ? "Ringing" : "Calling"} ${who}…`,
    invites: [],
    inCall: false,
  };
}
