import { maxValue, type Rect, type RgbImage } from '../image/image.js';
import type { Lut3d } from './lut3d.js';

/**
 * Fits a 3D LUT that maps `src` to `dst` (the proxy before and after grading), so a grade found on
 * the proxy can be applied to the full-resolution frame.
 *
 * Two layers: a global affine colour transform (3x4, least squares) carries the grade everywhere,
 * including colours the frame does not contain; on top of it, a lattice regression adds what the
 * affine model misses: each sample spreads its residual over the 8 surrounding lattice points with
 * trilinear weights, and each point takes the weighted mean residual shrunk towards zero by
 * `shrink` (a point with few samples stays close to the affine fit).
 */
export function fitLut(
  src: RgbImage,
  dst: RgbImage,
  rect: Rect,
  out: Lut3d,
  opts: { step?: number; shrink?: number } = {},
): Lut3d {
  const step = opts.step ?? 2;
  const shrink = opts.shrink ?? 4;
  const inv = 1 / maxValue(src.depth);
  const n = out.size;
  const max = n - 1;
  // Normal equations for the affine fit: X^T X (4x4) and X^T Y (4x3).
  const xtx = new Float64Array(16);
  const xty = new Float64Array(12);
  const s = src.data;
  const d = dst.data;
  const samples: number[] = [];
  for (let y = rect.y; y < rect.y + rect.height; y += step) {
    for (let x = rect.x; x < rect.x + rect.width; x += step) {
      const i = (y * src.width + x) * 3;
      const v = [s[i]! * inv, s[i + 1]! * inv, s[i + 2]! * inv, 1];
      const t = [d[i]! * inv, d[i + 1]! * inv, d[i + 2]! * inv];
      for (let a = 0; a < 4; a++) {
        for (let b = 0; b < 4; b++) xtx[a * 4 + b]! += v[a]! * v[b]!;
        for (let c = 0; c < 3; c++) xty[a * 3 + c]! += v[a]! * t[c]!;
      }
      samples.push(i);
    }
  }
  // A little ridge towards identity keeps degenerate frames (a flat colour) well posed.
  const ridge = 1e-3 * Math.max(1, samples.length);
  for (let a = 0; a < 3; a++) {
    xtx[a * 4 + a]! += ridge;
    xty[a * 3 + a]! += ridge;
  }
  const affine = solve4x3(xtx, xty);
  const evalAffine = (r: number, g: number, b: number, c: number): number =>
    affine[c]! * r + affine[3 + c]! * g + affine[6 + c]! * b + affine[9 + c]!;

  const weight = new Float64Array(n * n * n);
  const resid = new Float64Array(n * n * n * 3);
  for (const i of samples) {
    const r = s[i]! * inv;
    const g = s[i + 1]! * inv;
    const b = s[i + 2]! * inv;
    const fr = r * max;
    const fg = g * max;
    const fb = b * max;
    const r0 = Math.min(Math.floor(fr), max - 1);
    const g0 = Math.min(Math.floor(fg), max - 1);
    const b0 = Math.min(Math.floor(fb), max - 1);
    const dr = fr - r0;
    const dg = fg - g0;
    const db = fb - b0;
    const e0 = d[i]! * inv - evalAffine(r, g, b, 0);
    const e1 = d[i + 1]! * inv - evalAffine(r, g, b, 1);
    const e2 = d[i + 2]! * inv - evalAffine(r, g, b, 2);
    for (let k = 0; k < 8; k++) {
      const kr = k & 1;
      const kg = (k >> 1) & 1;
      const kb = (k >> 2) & 1;
      const w = (kr ? dr : 1 - dr) * (kg ? dg : 1 - dg) * (kb ? db : 1 - db);
      if (w === 0) continue;
      const node = ((b0 + kb) * n + (g0 + kg)) * n + (r0 + kr);
      weight[node]! += w;
      resid[node * 3]! += w * e0;
      resid[node * 3 + 1]! += w * e1;
      resid[node * 3 + 2]! += w * e2;
    }
  }
  const o = out.data;
  let node = 0;
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < n; g++) {
      for (let r = 0; r < n; r++, node++) {
        const rn = r / max;
        const gn = g / max;
        const bn = b / max;
        const total = weight[node]! + shrink;
        const k = total > 0 ? 1 / total : 0;
        for (let c = 0; c < 3; c++) {
          const v = evalAffine(rn, gn, bn, c) + resid[node * 3 + c]! * k;
          o[node * 3 + c] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
      }
    }
  }
  return out;
}

/** Solves the 4x4 system A X = B for X (4x3) by Gaussian elimination with partial pivoting. */
function solve4x3(a: Float64Array, b: Float64Array): Float64Array {
  const m = Float64Array.from(a);
  const x = Float64Array.from(b);
  for (let col = 0; col < 4; col++) {
    let pivot = col;
    for (let row = col + 1; row < 4; row++)
      if (Math.abs(m[row * 4 + col]!) > Math.abs(m[pivot * 4 + col]!)) pivot = row;
    if (pivot !== col) {
      for (let k = 0; k < 4; k++) [m[col * 4 + k], m[pivot * 4 + k]] = [m[pivot * 4 + k]!, m[col * 4 + k]!];
      for (let k = 0; k < 3; k++) [x[col * 3 + k], x[pivot * 3 + k]] = [x[pivot * 3 + k]!, x[col * 3 + k]!];
    }
    const p = m[col * 4 + col]!;
    if (Math.abs(p) < 1e-12) continue;
    for (let row = 0; row < 4; row++) {
      if (row === col) continue;
      const f = m[row * 4 + col]! / p;
      if (f === 0) continue;
      for (let k = 0; k < 4; k++) m[row * 4 + k]! -= f * m[col * 4 + k]!;
      for (let k = 0; k < 3; k++) x[row * 3 + k]! -= f * x[col * 3 + k]!;
    }
  }
  for (let row = 0; row < 4; row++) {
    const p = m[row * 4 + row]!;
    for (let k = 0; k < 3; k++) x[row * 3 + k] = Math.abs(p) < 1e-12 ? 0 : x[row * 3 + k]! / p;
  }
  return x;
}
