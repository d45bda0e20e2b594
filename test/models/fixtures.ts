import type { ReferenceSet } from '../../src/models/data.js';
import { createRng } from '../../src/detune/random.js';

/**
 * Small synthetic "footage": smooth colour gradients with a few soft blobs, different per frame,
 * with runs of slowly moving frames. Enough picture for a network to learn a colour correction on.
 */
export function syntheticReferences(
  count: number,
  width = 64,
  height = 36,
  seed = 1,
  runLength = 6,
): ReferenceSet {
  const rng = createRng(seed);
  const frames: Uint8Array[] = [];
  const runs: number[][] = [];
  for (let i = 0; i < count; i++) {
    const base = [rng(), rng(), rng()].map((v) => 40 + v * 150);
    const slope = [rng() - 0.5, rng() - 0.5, rng() - 0.5].map((v) => v * 120);
    const bx = rng() * width;
    const by = rng() * height;
    const blob = [rng(), rng(), rng()].map((v) => (v - 0.3) * 160);
    for (let k = 0; k < runLength; k++) {
      const f = new Uint8Array(width * height * 3);
      for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
          const d = Math.hypot(x - bx - k, y - by) / (width / 5);
          const w = Math.exp(-d * d);
          for (let c = 0; c < 3; c++) {
            const v = base[c]! + (slope[c]! * x) / width + blob[c]! * w + (rng() - 0.5) * 6;
            f[(y * width + x) * 3 + c] = Math.max(0, Math.min(255, Math.round(v)));
          }
        }
      }
      frames.push(f);
    }
    runs.push(Array.from({ length: runLength }, (_, k) => i * runLength + k));
  }
  return { width, height, frames, runs };
}
