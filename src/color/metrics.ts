/**
 * Pixel-level quality measures between a graded rgb24 frame and its reference (DESIGN.md, "Quality
 * measures"). Mean CIEDE2000 is in ciede2000.ts and mean CIELAB in srgb.ts.
 */
import { checkRgb24Pair } from './srgb.js';

/**
 * Peak signal-to-noise ratio in dB over all 8-bit values (R, G and B alike):
 * 10 log10(255^2 / MSE). Identical images give Infinity.
 */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  checkRgb24Pair(a, b);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  if (sum === 0) return Infinity;
  return 10 * Math.log10((255 * 255 * a.length) / sum);
}

/** The share (0..1) of pixels whose three 8-bit values all equal the other image's: the paper's figure. */
export function exactShare(a: Uint8Array, b: Uint8Array): number {
  checkRgb24Pair(a, b);
  let equal = 0;
  for (let i = 0; i < a.length; i += 3) {
    if (a[i] === b[i] && a[i + 1] === b[i + 1] && a[i + 2] === b[i + 2]) equal++;
  }
  return equal / (a.length / 3);
}
