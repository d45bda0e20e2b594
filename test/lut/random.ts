import { yuv420Frame, type Yuv420Frame } from '../../src/lut/yuv420.js';

/** A deterministic generator of integers in [0, 256) (mulberry32). */
export function bytes(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) & 255;
  };
}

/** A yuv420p frame of uniformly random codes on every plane (most of them outside R'G'B'). */
export function randomFrame(width: number, height: number, seed: number): Yuv420Frame {
  const next = bytes(seed);
  const frame = yuv420Frame(width, height);
  for (const plane of [frame.y, frame.cb, frame.cr]) for (let i = 0; i < plane.length; i++) plane[i] = next();
  return frame;
}

/** A yuv420p frame whose colours lie inside R'G'B' (BT.601 limited): a smooth picture with noise. */
export function naturalFrame(width: number, height: number, seed: number): Yuv420Frame {
  const next = bytes(seed);
  const frame = yuv420Frame(width, height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      frame.y[y * width + x] = 40 + Math.round((150 * (x + y)) / (width + height)) + (next() & 15);
    }
  }
  const cw = (width + 1) >> 1;
  for (let i = 0; i < frame.cb.length; i++) {
    const x = i % cw;
    frame.cb[i] = 112 + ((x * 3) & 31) + (next() & 3) - 8;
    frame.cr[i] = 120 + ((i * 7) & 15) + (next() & 3);
  }
  return frame;
}

export function maxDifference(a: Yuv420Frame, b: Yuv420Frame): number {
  let worst = 0;
  for (const p of ['y', 'cb', 'cr'] as const) {
    for (let i = 0; i < a[p].length; i++) worst = Math.max(worst, Math.abs(a[p][i]! - b[p][i]!));
  }
  return worst;
}
