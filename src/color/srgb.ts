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
