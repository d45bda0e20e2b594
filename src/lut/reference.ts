/**
 * The straightforward form of what a `YuvLut` approximates, for tests and measurements: every
 * luma sample converted to R'G'B' with its site's Cb and Cr, clipped (and, with 'extend', the part
 * outside the cube kept aside), graded by the RGB LUT (tetrahedral), converted back, in floating
 * point; chroma by the same rule as the kernels (`yuv420.ts`). No Y'CbCr lattice.
 */
import { sampleLut, type Lut3d } from '../correction/lut3d.js';
import { applyAffine, codingMaps } from './coding.js';
import { checkChroma, checkFrames, chromaSize, type ChromaRule, type Yuv420Frame } from './yuv420.js';
import type { ComposeOptions } from './yuvLut.js';

export function referenceYuvLut420(
  lut: Lut3d,
  options: ComposeOptions,
  src: Yuv420Frame,
  dst: Yuv420Frame,
  chroma: ChromaRule = 'average',
): void {
  checkFrames(src, dst);
  checkChroma(chroma);
  const { toRgb } = codingMaps(options.coding);
  const { fromRgb } = codingMaps(options.outputCoding ?? options.coding);
  const extend = options.outOfGamut === 'extend';
  const rgb = new Float64Array(3);
  const graded = new Float32Array(3);
  const out = new Float64Array(3);
  const grade = (y: number, cb: number, cr: number): void => {
    applyAffine(toRgb, y, cb, cr, rgb);
    const r = clamp01(rgb[0]!);
    const g = clamp01(rgb[1]!);
    const b = clamp01(rgb[2]!);
    sampleLut(lut, r, g, b, graded);
    if (extend) {
      applyAffine(fromRgb, graded[0]! + rgb[0]! - r, graded[1]! + rgb[1]! - g, graded[2]! + rgb[2]! - b, out);
    } else {
      applyAffine(fromRgb, graded[0]!, graded[1]!, graded[2]!, out);
    }
  };
  const { width, height } = src;
  const c = chromaSize(width, height);
  for (let cy = 0; cy < c.height; cy++) {
    for (let cx = 0; cx < c.width; cx++) {
      const ci = cy * c.width + cx;
      const cb = src.cb[ci]!;
      const cr = src.cr[ci]!;
      let n = 0;
      let sumY = 0;
      let sumCb = 0;
      let sumCr = 0;
      for (let y = 2 * cy; y < Math.min(2 * cy + 2, height); y++) {
        for (let x = 2 * cx; x < Math.min(2 * cx + 2, width); x++) {
          const i = y * width + x;
          grade(src.y[i]!, cb, cr);
          dst.y[i] = toCode(out[0]!);
          sumY += src.y[i]!;
          sumCb += out[1]!;
          sumCr += out[2]!;
          n++;
        }
      }
      if (chroma === 'mean-luma') {
        grade(Math.floor((sumY + (n >> 1)) / n), cb, cr);
        dst.cb[ci] = toCode(out[1]!);
        dst.cr[ci] = toCode(out[2]!);
      } else {
        dst.cb[ci] = toCode(sumCb / n);
        dst.cr[ci] = toCode(sumCr / n);
      }
    }
  }
}

function toCode(v: number): number {
  const r = Math.floor(v + 0.5);
  return r < 0 ? 0 : r > 255 ? 255 : r;
}

function clamp01(v: number): number {
  return v < 0 ? 0 : v > 1 ? 1 : v;
}
