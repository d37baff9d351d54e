// Error frames: every code the server sends (docs/PROTOCOL.md, "Errors") by the name the app
// knows it by, and what each means for the connection. No code leaves the wire layer: the
// app sees `reason`s (`emailClaimed`, `targetOffline`, ...).

/** Refuses a first `add-user`: who the user says they are, or what they proved. */
const LOGIN = "login";
/** Answers a `link-device` or a `sign-out` (a seed-like connection, a busy server, ...). */
const REQUEST = "request";

/** Each code's reason, and whether it refuses a login or answers a request. */
const ERRORS = Object.freeze({
  "invalid-json": { reason: "invalidJson" },
  "missing-type": { reason: "missingType" },
  "unknown-type": { reason: "unknownType" },
  // Refuses a login only when it names an identity field (see `IDENTITY_FIELDS`).
  "invalid-field": { reason: "invalidField" },
  "not-registered": { reason: "notRegistered", means: REQUEST },
  "email-mismatch": { reason: "emailMismatch", means: LOGIN },
  "room-mismatch": { reason: "roomMismatch" },
  "missing-target": { reason: "missingTarget" },
  "target-offline": { reason: "targetOffline" },
  "binary-not-supported": { reason: "binaryNotSupported" },
  "rate-limited": { reason: "rateLimited", means: REQUEST },
  "access-denied": { reason: "accessDenied", means: LOGIN },
  "email-in-use": { reason: "emailInUse", means: LOGIN },
  "invalid-token": { reason: "invalidToken", means: LOGIN },
  "email-claimed": { reason: "emailClaimed", means: LOGIN },
  "email-confusable": { reason: "emailConfusable", means: LOGIN },
  "invalid-link-code": { reason: "invalidLinkCode", means: LOGIN },
  "too-many-attempts": { reason: "tooManyAttempts", means: LOGIN },
  "no-device": { reason: "noDevice", means: REQUEST },
  "internal": { reason: "internal", means: REQUEST },
  "payload-too-large": { reason: "payloadTooLarge" },
  // Chat refusals: the app ties them to a message by the error's `clientId`.
  "unknown-recipient": { reason: "unknownRecipient" },
  "unknown-conversation": { reason: "unknownConversation" },
  "unknown-message": { reason: "unknownMessage" },
  "not-your-message": { reason: "notYourMessage" },
  "edit-window-closed": { reason: "editWindowClosed" },
  "client-id-reused": { reason: "clientIdReused" },
  "store-unavailable": { reason: "storeUnavailable" },
});

/** Every error code the server sends, as this module knows them. */
export const ERROR_CODES = Object.freeze(Object.keys(ERRORS));

/** The fields of `add-user` whose `invalid-field` refuses the identity. */
const IDENTITY_FIELDS = ["email", "name", "room", "accessCode", "token", "linkCode"];

/**
 * An `error` frame as `{ event: "error", reason, message, field, clientId, refusesLogin,
 * answersRequest }`: `reason` the code's name (`unknown` for a code this app does not
 * know), `field` the field it names or null, `clientId` the refused chat message's or null.
 */
export function readError(frame) {
  const known = Object.hasOwn(ERRORS, frame.code) ? ERRORS[frame.code] : null;
  const field = typeof frame.field === "string" ? frame.field : null;
  const identity = frame.code === "invalid-field" && IDENTITY_FIELDS.includes(field);
  return {
    event: "error",
    reason: known?.reason ?? "unknown",
    message: String(frame.message ?? "the server refused a message"),
    field,
    clientId: typeof frame.clientId === "string" ? frame.clientId : null,
    refusesLogin: known?.means === LOGIN || identity,
    answersRequest: known?.means === REQUEST,
  };
}
