import { meanLab } from '../color/srgb.js';

/**
 * Flicker of a sequence (DESIGN.md): the mean absolute frame-to-frame change of each frame's mean
 * CIELAB colour, taken as the Euclidean distance between consecutive frames' mean (L, a, b).
 * Compared between a graded sequence and its reference: a ratio above 1 means grading added flicker.
 */
export function flicker(frames: readonly Uint8Array[]): number {
  if (frames.length < 2) return 0;
  const means = frames.map((f) => meanLab(f));
  let sum = 0;
  for (let i = 1; i < means.length; i++) {
    const a = means[i - 1]!;
    const b = means[i]!;
    sum += Math.hypot(b.L - a.L, b.a - a.a, b.b - a.b);
  }
  return sum / (means.length - 1);
}
