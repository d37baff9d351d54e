// People's colours: one per person, derived from the email (stable across reloads and
// devices), the same on the list's avatar and the map's marker. Hues are spread by a mixed
// hash over the whole circle at one perceptual lightness (OKLCH), and every colour keeps
// white initials readable (WCAG AA, 4.5:1).

/** The OKLCH lightness levels (one per person, from the hash) and the chroma of the colours. */
const LIGHTNESS_LEVELS = [0.56, 0.44];
const CHROMA = 0.15;
/** The hues left out (degrees, OKLCH): mustard and olive, which look alike when darkened. */
const SKIPPED_HUES = { from: 75, width: 40 };
/** The least contrast of white text on a person's colour (WCAG 2.1 AA for normal text). */
export const MIN_CONTRAST = 4.5;
/** How much darker each step of the contrast check makes a colour that fails it. */
const LIGHTNESS_STEP = 0.02;

/** 32-bit FNV-1a of the text's UTF-16 units, then murmur3's finaliser (every bit mixed). */
export function hash32(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The hue (degrees, 0 to 360, outside `SKIPPED_HUES`) of a person, from their email. */
export function hueOfEmail(email) {
  const hue = ((hash32(String(email)) >>> 1) / 2 ** 31) * (360 - SKIPPED_HUES.width);
  return hue < SKIPPED_HUES.from ? hue : hue + SKIPPED_HUES.width;
}

/** A person's colour as `#rrggbb`, from their email: its hue, and one of two lightnesses. */
export function colourOf(email) {
  const hue = hueOfEmail(email);
  let lightness = LIGHTNESS_LEVELS[hash32(`${email}#`) & 1];
  let rgb = oklchToRgb(lightness, CHROMA, hue);
  while (contrastWithWhite(fromHex(toHex(rgb))) < MIN_CONTRAST && lightness > 0.2) {
    lightness -= LIGHTNESS_STEP;
    rgb = oklchToRgb(lightness, CHROMA, hue);
  }
  return toHex(rgb);
}

/** sRGB channels in [0, 1] of an OKLCH colour, clipped to the sRGB gamut. */
export function oklchToRgb(l, c, hueDeg) {
  const h = (hueDeg * Math.PI) / 180;
  const a = c * Math.cos(h);
  const b = c * Math.sin(h);
  const l_ = (l + 0.3963377774 * a + 0.2158037573 * b) ** 3;
  const m_ = (l - 0.1055613458 * a - 0.0638541728 * b) ** 3;
  const s_ = (l - 0.0894841775 * a - 1.291485548 * b) ** 3;
  const linear = [
    4.0767416621 * l_ - 3.3077115913 * m_ + 0.2309699292 * s_,
    -1.2684380046 * l_ + 2.6097574011 * m_ - 0.3413193965 * s_,
    -0.0041960863 * l_ - 0.7034186147 * m_ + 1.707614701 * s_,
  ];
  return linear.map((v) => {
    const x = Math.min(1, Math.max(0, v));
    return x <= 0.0031308 ? 12.92 * x : 1.055 * x ** (1 / 2.4) - 0.055;
  });
}

/** WCAG's relative luminance of sRGB channels in [0, 1]. */
export function luminance(rgb) {
  const [r, g, b] = rgb.map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The contrast ratio of white text on `rgb`. */
export function contrastWithWhite(rgb) {
  return 1.05 / (luminance(rgb) + 0.05);
}

/** `#rrggbb` parsed into channels in [0, 1]. */
export function fromHex(hex) {
  return [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255);
}

function toHex(rgb) {
  return `#${rgb.map((v) => Math.round(v * 255).toString(16).padStart(2, "0")).join("")}`;
}

/** How different two `#rrggbb` colours look: their distance in OKLab (0.02 is barely seen). */
export function colourDistance(hexA, hexB) {
  const [a, b] = [hexA, hexB].map((hex) => oklab(fromHex(hex)));
  return Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);
}

function oklab(rgb) {
  const [r, g, b] = rgb.map((v) => (v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4));
  const l = Math.cbrt(0.4122214708 * r + 0.5363325363 * g + 0.0514459929 * b);
  const m = Math.cbrt(0.2119034982 * r + 0.6806995451 * g + 0.1073969566 * b);
  const s = Math.cbrt(0.0883024619 * r + 0.2817188376 * g + 0.6299787005 * b);
  return [
    0.2104542553 * l + 0.793617785 * m - 0.0040720468 * s,
    1.9779984951 * l - 2.428592205 * m + 0.4505937099 * s,
    0.0259040371 * l + 0.7827717662 * m - 0.808675766 * s,
  ];
}
