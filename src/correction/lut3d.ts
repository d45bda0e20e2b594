import { maxValue, type Rect, type RgbImage } from '../image/image.js';

/**
 * A 3D colour lookup table: `size`^3 lattice points over the RGB cube, each an output RGB triple,
 * values normalised to [0, 1]. Stored red-fastest, like a Hald CLUT and a `.cube` file:
 * entry (r, g, b) lives at `((b * size + g) * size + r) * 3`.
 */
export interface Lut3d {
  readonly size: number;
  readonly data: Float32Array;
}

export function allocLut(size: number): Lut3d {
  if (!Number.isInteger(size) || size < 2 || size > 256) {
    throw new RangeError(`Expected integer between 2 and 256 for LUT size but received ${size}`);
  }
  return { size, data: new Float32Array(size * size * size * 3) };
}

/**
 * Fills `lut` (or a new one) from a per-point function of normalised RGB. A function that has a
 * `fillLattice` method fills the whole lattice itself (the same points in the same order, with the
 * same arithmetic), saving a call per point, whose numbers V8 boxes where it cannot inline it.
 */
export function fillLut(size: number, fn: ColourTransform, lut: Lut3d = allocLut(size)): Lut3d {
  const fillLattice = (fn as { fillLattice?: (size: number, data: Float32Array) => void }).fillLattice;
  if (fillLattice) {
    fillLattice(size, lut.data);
    return lut;
  }
  const out = new Float32Array(3);
  const step = 1 / (size - 1);
  let i = 0;
  for (let b = 0; b < size; b++) {
    for (let g = 0; g < size; g++) {
      for (let r = 0; r < size; r++) {
        fn(r * step, g * step, b * step, out);
        lut.data[i++] = out[0]!;
        lut.data[i++] = out[1]!;
        lut.data[i++] = out[2]!;
      }
    }
  }
  return lut;
}

export function identityLut(size: number): Lut3d {
  return fillLut(size, (r, g, b, out) => {
    out[0] = r;
    out[1] = g;
    out[2] = b;
  });
}

/** The range of a strength ({@link scaleLut}): encode's `strength` and the CLI's `--strength`. */
export const STRENGTH_RANGE = { min: 0, max: 1.5 } as const;

/**
 * The correction scaled towards the identity: lut' = identity + strength * (lut - identity),
 * clipped to [0, 1] (0: untouched, 1: the LUT itself, 1.5: half as much again). Writes into
 * `out` (same size; may be `lut` itself) and returns it.
 */
export function scaleLut(lut: Lut3d, strength: number, out: Lut3d = allocLut(lut.size)): Lut3d {
  if (out.size !== lut.size) {
    throw new RangeError(`LUT sizes differ: ${lut.size} (source) and ${out.size} (output)`);
  }
  const n = lut.size;
  const step = 1 / (n - 1);
  const mix = (id: number, v: number): number => {
    const x = id + strength * (v - id);
    return x < 0 ? 0 : x > 1 ? 1 : x;
  };
  let i = 0;
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < n; g++) {
      for (let r = 0; r < n; r++, i += 3) {
        out.data[i] = mix(r * step, lut.data[i]!);
        out.data[i + 1] = mix(g * step, lut.data[i + 1]!);
        out.data[i + 2] = mix(b * step, lut.data[i + 2]!);
      }
    }
  }
  return out;
}

/** Largest absolute difference from the identity, in normalised units. */
export function distanceFromIdentity(lut: Lut3d): number {
  const n = lut.size;
  const step = 1 / (n - 1);
  let worst = 0;
  let i = 0;
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < n; g++) {
      for (let r = 0; r < n; r++) {
        worst = Math.max(
          worst,
          Math.abs(lut.data[i]! - r * step),
          Math.abs(lut.data[i + 1]! - g * step),
          Math.abs(lut.data[i + 2]! - b * step),
        );
        i += 3;
      }
    }
  }
  return worst;
}

/**
 * Tetrahedral interpolation at one normalised point (r, g, b in [0, 1]), the same scheme as
 * ffmpeg's `lut3d`/`haldclut` (`interp=tetrahedral`), so the proxy we grade in JavaScript and the
 * full-resolution frame ffmpeg grades agree.
 */
export function sampleLut(lut: Lut3d, r: number, g: number, b: number, out: Float32Array): void {
  const n = lut.size;
  const max = n - 1;
  const fr = clamp01(r) * max;
  const fg = clamp01(g) * max;
  const fb = clamp01(b) * max;
  const r0 = Math.min(Math.floor(fr), max - 1);
  const g0 = Math.min(Math.floor(fg), max - 1);
  const b0 = Math.min(Math.floor(fb), max - 1);
  const dr = fr - r0;
  const dg = fg - g0;
  const db = fb - b0;
  const d = lut.data;
  const sr = 3;
  const sg = n * 3;
  const sb = n * n * 3;
  const c000 = (b0 * n + g0) * n * 3 + r0 * 3;
  const c111 = c000 + sr + sg + sb;
  // Pick the tetrahedron containing the point and its two middle corners.
  let cA: number, cB: number, wA: number, wB: number, wC: number, w0: number;
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
  for (let c = 0; c < 3; c++) {
    out[c] = w0 * d[c000 + c]! + wA * d[cA + c]! + wB * d[cB + c]! + wC * d[c111 + c]!;
  }
}

/** Resamples a LUT onto a lattice of another size. */
export function resampleLut(lut: Lut3d, size: number): Lut3d {
  if (size === lut.size) return { size, data: lut.data.slice() };
  return fillLut(size, (r, g, b, out) => sampleLut(lut, r, g, b, out));
}

/**
 * Applies a LUT to the pixels of `src` inside `rect`, writing `dst` (which may be `src`).
 * Pixels outside `rect` are copied unchanged.
 */
export function applyLut(lut: Lut3d, src: RgbImage, dst: RgbImage, rect?: Rect): void {
  const max = maxValue(src.depth);
  const inv = 1 / max;
  const out = new Float32Array(3);
  const s = src.data;
  const o = dst.data;
  if (o !== s) o.set(s);
  const x0 = rect?.x ?? 0;
  const y0 = rect?.y ?? 0;
  const x1 = x0 + (rect?.width ?? src.width);
  const y1 = y0 + (rect?.height ?? src.height);
  for (let y = y0; y < y1; y++) {
    let i = (y * src.width + x0) * 3;
    for (let x = x0; x < x1; x++, i += 3) {
      sampleLut(lut, s[i]! * inv, s[i + 1]! * inv, s[i + 2]! * inv, out);
      o[i] = Math.round(clamp01(out[0]!) * max);
      o[i + 1] = Math.round(clamp01(out[1]!) * max);
      o[i + 2] = Math.round(clamp01(out[2]!) * max);
    }
  }
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}

/** A colour correction as a function of normalised RGB, writing normalised RGB to `out`. */
export type ColourTransform = (r: number, g: number, b: number, out: Float32Array) => void;
