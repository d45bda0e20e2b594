/**
 * A 3D LUT on Y'CbCr: an RGB `Lut3d` composed with the source's Y'CbCr coding, so that an 8-bit
 * Y'CbCr pixel is graded by one table lookup with no colour conversion of its own.
 *
 * The lattice is regular in 8-bit code values: a point every `step` codes (4, 8 or 16) on each axis,
 * from 0 to 256 inclusive, so `points` = 256 / step + 1 (65, 33 or 17 per axis). A pixel's cell
 * and its position inside it are shifts and masks of its codes (`code >> shift`, `code & (step -
 * 1)`), and with the position a whole number of 1/step, the interpolation weights are small
 * integers: a tetrahedral lookup is four table entries, their weights read from a table indexed by
 * the three positions (`TetraTable`), and integer sums. The code 256 at the far end of each axis
 * is a point like the others (its value is extrapolated by the coding's affine maps), so every
 * code 0-255 has a full cell.
 *
 * Each point holds the output (Y', Cb', Cr') of the graded colour, as 8-bit codes in fixed point
 * with `YUV_LUT_FRACTION_BITS` fraction bits (Int16, four per point, the fourth 0: one 64-bit load
 * per corner).
 *
 * Composition, at the point's codes (y, cb, cr):
 *   rgb = toRgb(y, cb, cr)                   (the coding's affine map; may leave [0, 1])
 *   c   = clamp(rgb, 0, 1)                   (where ffmpeg's conversion to RGB clips)
 *   out = lut(c)                             (tetrahedral, as haldclut)
 *         + (rgb - c)       if outOfGamut is 'extend'
 *   point = fromRgb(out)
 *
 * 'clip' is exactly what today's path computes at that point (ffmpeg clips to [0, 1] before
 * haldclut), but the clip is a kink inside every lattice cell that straddles the edge of the RGB
 * cube, where interpolation then misses even for an identity LUT (greys next to black and white
 * are such cells). 'extend' carries the part outside the cube through unchanged: the composed
 * lattice of an affine LUT is affine over the whole code cube, so the identity comes out exact
 * for every code, and inside the cube the two agree; outside it, 'extend' keeps what the source
 * has beyond the cube (super-whites, colours outside R'G'B') where today's path clips it.
 */
import { sampleLut, type Lut3d } from '../correction/lut3d.js';
import { codingMaps, type YcbcrCoding } from './coding.js';

export const YUV_LUT_FRACTION_BITS = 5;
const ONE = 1 << YUV_LUT_FRACTION_BITS;

export const YUV_LUT_STEPS = [4, 8, 16] as const;
export type YuvLutStep = (typeof YUV_LUT_STEPS)[number];

export type OutOfGamut = 'extend' | 'clip';

export interface YuvLut {
  /** Codes between lattice points on each axis. */
  readonly step: YuvLutStep;
  /** log2(step). */
  readonly shift: number;
  /** Lattice points per axis: 256 / step + 1. */
  readonly points: number;
  /**
   * points^3 entries of four Int16 (Y', Cb', Cr', 0) in 1/32 code; entry (y, cb, cr) (lattice
   * indices) at `((y * points + cb) * points + cr) * 4`.
   */
  readonly data: Int16Array;
}

export function allocYuvLut(step: number): YuvLut {
  if (!(YUV_LUT_STEPS as readonly number[]).includes(step)) {
    throw new RangeError(
      `Expected one of ${YUV_LUT_STEPS.join(', ')} for the Y'CbCr LUT step but received ${step}`,
    );
  }
  const points = 256 / step + 1;
  return {
    step: step as YuvLutStep,
    shift: Math.log2(step),
    points,
    data: new Int16Array(points * points * points * 4),
  };
}

export interface ComposeOptions {
  /** The source's coding: how its codes become R'G'B'. */
  readonly coding: YcbcrCoding;
  /**
   * How graded R'G'B' becomes codes again (default: `coding`). Today's path differs here on
   * ffmpeg 5.1: its conversion to RGB follows the source's matrix tag, but the conversion back,
   * from an RGB frame that no longer carries the tag, uses BT.601 whatever the tag said.
   */
  readonly outputCoding?: YcbcrCoding;
  readonly outOfGamut: OutOfGamut;
}

/**
 * Composes `lut` (RGB) with `options.coding` into a Y'CbCr LUT, written into `out` (whose step is
 * kept) and returned.
 */
export function composeYuvLut(lut: Lut3d, options: ComposeOptions, out: YuvLut): YuvLut {
  const { toRgb } = codingMaps(options.coding);
  const { fromRgb } = codingMaps(options.outputCoding ?? options.coding);
  const extend = options.outOfGamut === 'extend';
  if (!extend && options.outOfGamut !== 'clip') {
    throw new RangeError(`Expected extend or clip for outOfGamut but received ${String(options.outOfGamut)}`);
  }
  const { step, points, data } = out;
  // rgb = toRgb(y, cb, cr) as a sum of one term per axis (the offset folded into the first).
  const axis = (column: number, offset: boolean): Float64Array => {
    const terms = new Float64Array(points * 3);
    for (let i = 0; i < points; i++) {
      for (let c = 0; c < 3; c++) {
        terms[i * 3 + c] = toRgb[c * 4 + column]! * i * step + (offset ? toRgb[c * 4 + 3]! : 0);
      }
    }
    return terms;
  };
  const ty = axis(0, true);
  const tcb = axis(1, false);
  const tcr = axis(2, false);
  const [m0, m1, m2, m3, m4, m5, m6, m7, m8, m9, m10, m11] = fromRgb as unknown as number[];
  const graded = new Float32Array(3);
  let i = 0;
  for (let iy = 0; iy < points; iy++) {
    for (let icb = 0; icb < points; icb++) {
      const r0 = ty[iy * 3]! + tcb[icb * 3]!;
      const g0 = ty[iy * 3 + 1]! + tcb[icb * 3 + 1]!;
      const b0 = ty[iy * 3 + 2]! + tcb[icb * 3 + 2]!;
      for (let icr = 0; icr < points; icr++, i += 4) {
        const r = r0 + tcr[icr * 3]!;
        const g = g0 + tcr[icr * 3 + 1]!;
        const b = b0 + tcr[icr * 3 + 2]!;
        const rc = r < 0 ? 0 : r > 1 ? 1 : r;
        const gc = g < 0 ? 0 : g > 1 ? 1 : g;
        const bc = b < 0 ? 0 : b > 1 ? 1 : b;
        sampleLut(lut, rc, gc, bc, graded);
        let go = graded[0]!;
        let gg = graded[1]!;
        let gb = graded[2]!;
        if (extend) {
          go += r - rc;
          gg += g - gc;
          gb += b - bc;
        }
        data[i] = toFixed(m0! * go + m1! * gg + m2! * gb + m3!);
        data[i + 1] = toFixed(m4! * go + m5! * gg + m6! * gb + m7!);
        data[i + 2] = toFixed(m8! * go + m9! * gg + m10! * gb + m11!);
        data[i + 3] = 0;
      }
    }
  }
  return out;
}

function toFixed(code: number): number {
  const v = Math.round(code * ONE);
  return v < -32768 ? -32768 : v > 32767 ? 32767 : v;
}

/**
 * Where a tetrahedral lookup reads, for every position inside a cell: the position's key is
 * `(fy << 2 shift) | (fcb << shift) | fcr` (each in [0, step)), and the four corners are the cell's
 * origin (weight w0), origin + offA (wA), origin + offB (wB) and the far corner origin + off111
 * (wC), offsets in entries. The weights are whole numbers summing to `step`: with f1 >= f2 >= f3
 * the positions sorted, w0 = step - f1, wA = f1 - f2, wB = f2 - f3, wC = f3, and offA steps along
 * the axis of f1, offB along those of f1 and f2 (the tetrahedron holding the point).
 */
export interface TetraTable {
  readonly step: number;
  readonly points: number;
  readonly off111: number;
  readonly offA: Int32Array;
  readonly offB: Int32Array;
  /** Four per key: w0, wA, wB, wC. */
  readonly weights: Int16Array;
}

const tetraCache = new Map<number, TetraTable>();

export function tetraTable(step: YuvLutStep): TetraTable {
  const cached = tetraCache.get(step);
  if (cached) return cached;
  const points = 256 / step + 1;
  const shift = Math.log2(step);
  const strides = [points * points, points, 1];
  const keys = step * step * step;
  const offA = new Int32Array(keys);
  const offB = new Int32Array(keys);
  const weights = new Int16Array(keys * 4);
  for (let key = 0; key < keys; key++) {
    const f = [key >> (2 * shift), (key >> shift) & (step - 1), key & (step - 1)];
    // Axes by descending position; ties keep axis order (their weight difference is 0).
    const order = [0, 1, 2].sort((a, b) => f[b]! - f[a]! || a - b);
    const [a1, a2, a3] = order as [number, number, number];
    offA[key] = strides[a1]!;
    offB[key] = strides[a1]! + strides[a2]!;
    weights[key * 4] = step - f[a1]!;
    weights[key * 4 + 1] = f[a1]! - f[a2]!;
    weights[key * 4 + 2] = f[a2]! - f[a3]!;
    weights[key * 4 + 3] = f[a3]!;
  }
  const table = { step, points, off111: strides[0]! + strides[1]! + strides[2]!, offA, offB, weights };
  tetraCache.set(step, table);
  return table;
}
