import type { Lut3d } from '../correction/lut3d.js';

/** Per 8-bit value: the lattice cell's lower index and the fraction into it, for one LUT size. */
interface AxisTables {
  readonly size: number;
  readonly cell: Int32Array;
  readonly frac: Float32Array;
}

let cached: AxisTables | undefined;

function axisTables(size: number): AxisTables {
  if (cached?.size === size) return cached;
  const cell = new Int32Array(256);
  const frac = new Float32Array(256);
  const max = size - 1;
  for (let v = 0; v < 256; v++) {
    const f = (v / 255) * max;
    const c = Math.min(Math.floor(f), max - 1);
    cell[v] = c;
    frac[v] = f - c;
  }
  cached = { size, cell, frac };
  return cached;
}

/**
 * Applies a LUT to `pixels` rgb24 pixels of `src` into `dst`, with tetrahedral interpolation
 * (as `sampleLut` and ffmpeg's `haldclut`), for the preview: the cell and fraction of each 8-bit
 * value come from tables and the loop is inlined, several times faster than `applyLut`.
 */
export function applyLutRgb24(lut: Lut3d, src: Uint8Array, dst: Uint8Array, pixels: number): void {
  const n = lut.size;
  const { cell, frac } = axisTables(n);
  const d = lut.data;
  const sr = 3;
  const sg = n * 3;
  const sb = n * n * 3;
  let pr = -1;
  let pg = -1;
  let pb = -1;
  for (let p = 0, i = 0; p < pixels; p++, i += 3) {
    const r = src[i]!;
    const g = src[i + 1]!;
    const b = src[i + 2]!;
    if (r === pr && g === pg && b === pb) {
      // Same colour as the pixel before (flat areas are common): same answer.
      dst[i] = dst[i - 3]!;
      dst[i + 1] = dst[i - 2]!;
      dst[i + 2] = dst[i - 1]!;
      continue;
    }
    pr = r;
    pg = g;
    pb = b;
    const dr = frac[r]!;
    const dg = frac[g]!;
    const db = frac[b]!;
    const c000 = cell[b]! * sb + cell[g]! * sg + cell[r]! * sr;
    const c111 = c000 + sr + sg + sb;
    let cA: number, cB: number, w0: number, wA: number, wB: number, wC: number;
    if (dr > dg) {
      if (dg > db) {
        cA = c000 + sr;
        cB = c000 + sr + sg;
        w0 = 1 - dr;
        wA = dr - dg;
        wB = dg - db;
        wC = db;
      } else if (dr > db) {
        cA = c000 + sr;
        cB = c000 + sr + sb;
        w0 = 1 - dr;
        wA = dr - db;
        wB = db - dg;
        wC = dg;
      } else {
        cA = c000 + sb;
        cB = c000 + sr + sb;
        w0 = 1 - db;
        wA = db - dr;
        wB = dr - dg;
        wC = dg;
      }
    } else if (db > dg) {
      cA = c000 + sb;
      cB = c000 + sg + sb;
      w0 = 1 - db;
      wA = db - dg;
      wB = dg - dr;
      wC = dr;
    } else if (db > dr) {
      cA = c000 + sg;
      cB = c000 + sg + sb;
      w0 = 1 - dg;
      wA = dg - db;
      wB = db - dr;
      wC = dr;
    } else {
      cA = c000 + sg;
      cB = c000 + sr + sg;
      w0 = 1 - dg;
      wA = dg - dr;
      wB = dr - db;
      wC = db;
    }
    // A Uint8Array wraps out-of-range values: clamp first.
    for (let c = 0; c < 3; c++) {
      const v = (w0 * d[c000 + c]! + wA * d[cA + c]! + wB * d[cB + c]! + wC * d[c111 + c]!) * 255 + 0.5;
      dst[i + c] = v <= 0 ? 0 : v >= 255 ? 255 : v;
    }
  }
}
