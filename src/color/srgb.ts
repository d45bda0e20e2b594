/**
 * sRGB (8-bit, D65) to CIELAB, the colour space of the project's colour-error measures.
 *
 *   1. v = code / 255.
 *   2. Linearise with the IEC 61966-2-1 transfer: v / 12.92 where v <= 0.04045, else
 *      ((v + 0.055) / 1.055)^2.4. For 8-bit input this is a 256-entry table (`SRGB_TO_LINEAR`).
 *   3. Linear RGB to XYZ with the sRGB matrix of IEC 61966-2-1:
 *        X = 0.4124 R + 0.3576 G + 0.1805 B
 *        Y = 0.2126 R + 0.7152 G + 0.0722 B
 *        Z = 0.0193 R + 0.1192 G + 0.9505 B
 *   4. XYZ to CIELAB relative to the D65 white that this matrix gives RGB (1, 1, 1):
 *      Xn = 0.9505, Yn = 1, Zn = 1.0890 (the matrix's row sums), so every neutral grey has
 *      a* = b* = 0 exactly and white is L* = 100. With f(t) = cbrt(t) above (6/29)^3, else
 *      t / (3 (6/29)^2) + 4/29:
 *        L* = 116 f(Y/Yn) - 16,  a* = 500 (f(X/Xn) - f(Y/Yn)),  b* = 200 (f(Y/Yn) - f(Z/Zn)).
 */
import { UsageError, describeValue } from '../util/errors.js';

/** A CIELAB colour (D65). */
export interface Lab {
  readonly L: number;
  readonly a: number;
  readonly b: number;
}

/** The reference white (XYZ, Y = 1) the sRGB matrix maps RGB (1, 1, 1) to. */
export const D65_WHITE = Object.freeze({ X: 0.9505, Y: 1, Z: 1.089 });

/** The IEC 61966-2-1 decoding of one sRGB value in [0, 1] to linear light. */
export function srgbToLinear(v: number): number {
  return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
}

/** `srgbToLinear(code / 255)` for every 8-bit code. */
export const SRGB_TO_LINEAR: Readonly<Float64Array> = (() => {
  const t = new Float64Array(256);
  for (let i = 0; i < 256; i++) t[i] = srgbToLinear(i / 255);
  return t;
})();

const EPSILON = 216 / 24389; // (6/29)^3
const SLOPE = 841 / 108; // 1 / (3 (6/29)^2) = 29^2 / (3 * 6^2)
const OFFSET = 4 / 29;

function f(t: number): number {
  return t > EPSILON ? Math.cbrt(t) : t * SLOPE + OFFSET;
}

/** Linear-light RGB (each in [0, 1]) to XYZ (Y = 1 for white). */
export function linearToXyz(r: number, g: number, b: number): [X: number, Y: number, Z: number] {
  return [
    0.4124 * r + 0.3576 * g + 0.1805 * b,
    0.2126 * r + 0.7152 * g + 0.0722 * b,
    0.0193 * r + 0.1192 * g + 0.9505 * b,
  ];
}

/** XYZ (Y = 1 for white) to CIELAB relative to `D65_WHITE`. */
export function xyzToLab(X: number, Y: number, Z: number): Lab {
  const fx = f(X / D65_WHITE.X);
  const fy = f(Y / D65_WHITE.Y);
  const fz = f(Z / D65_WHITE.Z);
  return { L: 116 * fy - 16, a: 500 * (fx - fy), b: 200 * (fy - fz) };
}

/**
 * Writes the CIELAB of one 8-bit sRGB colour into out[o], out[o + 1], out[o + 2] without
 * allocating: the kernel of the image measures. Same arithmetic as `srgb8ToLab`.
 */
export function srgb8ToLabInto(r: number, g: number, b: number, out: Float64Array, o: number): void {
  const R = SRGB_TO_LINEAR[r]!;
  const G = SRGB_TO_LINEAR[g]!;
  const B = SRGB_TO_LINEAR[b]!;
  const fx = f((0.4124 * R + 0.3576 * G + 0.1805 * B) / D65_WHITE.X);
  const fy = f((0.2126 * R + 0.7152 * G + 0.0722 * B) / D65_WHITE.Y);
  const fz = f((0.0193 * R + 0.1192 * G + 0.9505 * B) / D65_WHITE.Z);
  out[o] = 116 * fy - 16;
  out[o + 1] = 500 * (fx - fy);
  out[o + 2] = 200 * (fy - fz);
}

/** The CIELAB of one 8-bit sRGB colour (each code an integer 0..255). */
export function srgb8ToLab(r: number, g: number, b: number): Lab {
  for (const [name, v] of [
    ['r', r],
    ['g', g],
    ['b', b],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 255) {
      throw new UsageError(
        'E_USAGE',
        `Expected integer between 0 and 255 for ${name} but received ${describeValue(v)}`,
      );
    }
  }
  const [X, Y, Z] = linearToXyz(SRGB_TO_LINEAR[r]!, SRGB_TO_LINEAR[g]!, SRGB_TO_LINEAR[b]!);
  return xyzToLab(X, Y, Z);
}

/** Checks that `image` holds rgb24 data with at least one pixel; `name` names it in the message. */
export function checkRgb24(image: Uint8Array, name: string): void {
  if (image.length === 0 || image.length % 3 !== 0) {
    throw new UsageError(
      'E_USAGE',
      `Expected rgb24 data (a positive length, multiple of 3) for ${name} but received length ${describeValue(image.length)}`,
    );
  }
}

/** Checks two rgb24 images of the same size, named a and b. */
export function checkRgb24Pair(a: Uint8Array, b: Uint8Array): void {
  checkRgb24(a, 'image a');
  checkRgb24(b, 'image b');
  if (a.length !== b.length) {
    throw new UsageError(
      'E_USAGE',
      `Image b size (${b.length / 3} pixels) does not match image a size (${a.length / 3} pixels)`,
    );
  }
}

/**
 * The mean CIELAB colour of an rgb24 image: the mean of every pixel's L*, a*, b* (not the Lab of
 * the mean RGB). The flicker measure compares it frame to frame.
 */
export function meanLab(image: Uint8Array): Lab {
  checkRgb24(image, 'image');
  const lab = new Float64Array(3);
  let L = 0;
  let a = 0;
  let b = 0;
  for (let i = 0; i < image.length; i += 3) {
    srgb8ToLabInto(image[i]!, image[i + 1]!, image[i + 2]!, lab, 0);
    L += lab[0]!;
    a += lab[1]!;
    b += lab[2]!;
  }
  const n = image.length / 3;
  return { L: L / n, a: a / n, b: b / n };
}

/** The IEC 61966-2-1 encoding of one linear-light value in [0, 1]: the inverse of `srgbToLinear`. */
export function linearToSrgb(v: number): number {
  return v <= 0.0031308 ? v * 12.92 : 1.055 * Math.pow(v, 1 / 2.4) - 0.055;
}

/**
 * Writes the CIELAB of one sRGB colour given as normalised values (0..1, any depth) into out[o],
 * out[o + 1], out[o + 2]. Same arithmetic as `srgb8ToLabInto` on codes / 255.
 */
export function srgbToLabInto(
  r: number,
  g: number,
  b: number,
  out: Float32Array | Float64Array,
  o: number,
): void {
  const R = srgbToLinear(r);
  const G = srgbToLinear(g);
  const B = srgbToLinear(b);
  const fx = f((0.4124 * R + 0.3576 * G + 0.1805 * B) / D65_WHITE.X);
  const fy = f((0.2126 * R + 0.7152 * G + 0.0722 * B) / D65_WHITE.Y);
  const fz = f((0.0193 * R + 0.1192 * G + 0.9505 * B) / D65_WHITE.Z);
  out[o] = 116 * fy - 16;
  out[o + 1] = 500 * (fx - fy);
  out[o + 2] = 200 * (fy - fz);
}

/** The inverse of `f`. */
function finv(t: number): number {
  return t > 6 / 29 ? t * t * t : (t - OFFSET) / SLOPE;
}

/**
 * The inverse of `srgbToLabInto`: CIELAB (D65) to normalised sRGB, each channel clipped to [0, 1]
 * (a Lab colour outside the sRGB gamut comes back as its nearest per-channel clip).
 */
export function labToSrgbInto(L: number, a: number, b: number, out: Float32Array | Float64Array): void {
  const fy = (L + 16) / 116;
  const X = D65_WHITE.X * finv(fy + a / 500);
  const Y = D65_WHITE.Y * finv(fy);
  const Z = D65_WHITE.Z * finv(fy - b / 200);
  // The exact inverse of linearToXyz's matrix, so a round trip returns the colour it was given.
  const R = 3.240625477 * X - 1.537207972 * Y - 0.498628599 * Z;
  const G = -0.968930715 * X + 1.875756061 * Y + 0.041517524 * Z;
  const B = 0.05571012 * X - 0.204021051 * Y + 1.056995942 * Z;
  out[0] = linearToSrgb(R < 0 ? 0 : R > 1 ? 1 : R);
  out[1] = linearToSrgb(G < 0 ? 0 : G > 1 ? 1 : G);
  out[2] = linearToSrgb(B < 0 ? 0 : B > 1 ? 1 : B);
}
