// The golden frames both halves of the wire contract read (shared/tests/fixtures/wire.json),
// by name, for the browser codec's tests.

import { readFileSync } from "node:fs";

const FILE = JSON.parse(readFileSync(new URL("../../../shared/tests/fixtures/wire.json", import.meta.url), "utf8"));

/** Every fixture, in the file's order. */
export const fixtures = FILE.fixtures;

/** Every error code the server sends, as the fixtures file lists them. */
export const errorCodes = FILE.errorCodes;

/** The exact text of the fixture called `name`. */
export function json(name) {
  const fixture = fixtures.find((f) => f.name === name);
  if (!fixture) throw new Error(`no fixture ${name} in wire.json`);
  return fixture.json;
}
