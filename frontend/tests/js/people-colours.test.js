// people/colours.js without a browser: each person's colour comes from the email, is the
// same every time, spreads different emails over the hue circle (also emails that differ
// in one character), and keeps white initials readable (WCAG AA).

import assert from "node:assert/strict";
import { test } from "node:test";
import { MIN_CONTRAST, colourDistance, colourOf, contrastWithWhite, fromHex, hueOfEmail } from "../../public/js/people/colours.js";

/** The smaller angle between two hues, in degrees. */
function hueGap(a, b) {
  const d = Math.abs(a - b) % 360;
  return Math.min(d, 360 - d);
}

test("a person's colour is stable and a #rrggbb", () => {
  assert.match(colourOf("ann@example.com"), /^#[0-9a-f]{6}$/);
  assert.equal(colourOf("ann@example.com"), colourOf("ann@example.com"));
});

test("white initials are readable on every colour (4.5:1)", () => {
  let worst = Infinity;
  for (let i = 0; i < 2000; i++) {
    const ratio = contrastWithWhite(fromHex(colourOf(`user${i}@example.com`)));
    worst = Math.min(worst, ratio);
  }
  console.log(`worst contrast of white on 2000 people's colours: ${worst.toFixed(2)}:1`);
  assert.ok(worst >= MIN_CONTRAST, `worst contrast ${worst}`);
});

test("emails that differ in one character get hues far apart on average", () => {
  // The seed's hash (h * 31 + c) moved such hues by a fixed step: near-identical colours.
  const letters = "abcdefghijklmnopqrstuvwxyz";
  const gaps = [];
  for (const domain of ["example.com", "mail.example.org", "x.io"]) {
    for (let i = 0; i + 1 < letters.length; i++) {
      gaps.push(hueGap(hueOfEmail(`${letters[i]}@${domain}`), hueOfEmail(`${letters[i + 1]}@${domain}`)));
      gaps.push(hueGap(hueOfEmail(`ann${i}@${domain}`), hueOfEmail(`ann${i + 1}@${domain}`)));
    }
  }
  const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
  const close = gaps.filter((g) => g < 15).length / gaps.length;
  console.log(`neighbouring emails: mean hue gap ${mean.toFixed(1)}°, ${(close * 100).toFixed(1)}% closer than 15°`);
  // Uniform hues give a mean gap of 90° and 8.3% closer than 15°.
  assert.ok(mean > 70, `mean hue gap ${mean}`);
  assert.ok(close < 0.2, `share closer than 15°: ${close}`);
});

test("hues cover the circle but for mustard and olive", () => {
  const buckets = new Array(12).fill(0);
  for (let i = 0; i < 1200; i++) {
    const hue = hueOfEmail(`p${i}@example.com`);
    assert.ok(hue < 75 || hue >= 115, `hue ${hue} is in the left-out band`);
    buckets[Math.floor(hue / 30)]++;
  }
  for (const [i, n] of buckets.entries()) {
    if (i !== 2 && i !== 3) assert.ok(n > 60 && n < 150, `buckets ${buckets}`);
  }
});

test("the issue's people get colours that look different (not three olive greens)", () => {
  const cast = ["alice@example.com", "bob@example.com", "carol@example.com"];
  for (const a of cast) {
    for (const b of cast) {
      if (a < b) assert.ok(colourDistance(colourOf(a), colourOf(b)) > 0.1, `${a} and ${b} look alike`);
    }
  }
});

test("few pairs of people look alike", () => {
  const colours = Array.from({ length: 300 }, (_, i) => colourOf(`u${i}@example.com`));
  let pairs = 0;
  let alike = 0;
  for (let i = 0; i < colours.length; i++) {
    for (let j = i + 1; j < colours.length; j++) {
      pairs++;
      if (colourDistance(colours[i], colours[j]) < 0.03) alike++;
    }
  }
  console.log(`pairs of 300 people whose colours look alike (OKLab < 0.03): ${((alike / pairs) * 100).toFixed(1)}%`);
  assert.ok(alike / pairs < 0.06, `${alike} of ${pairs}`);
});
