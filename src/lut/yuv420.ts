/**
 * 8-bit 4:2:0 frames (ffmpeg's `yuv420p`, planes packed one after another as rawvideo has them)
 * graded through a `YuvLut`, in plain JavaScript: the reference for the WebAssembly kernel
 * (`yuv420Wasm.ts`), which computes the same integers.
 *
 * Luma: every pixel is looked up at its own Y' with its site's Cb and Cr; its output Y' is the
 * lookup's Y'. Chroma, per 4:2:0 site (the 2x2 luma samples that share one Cb and Cr):
 *
 * - 'average' (the default): the Cb' and Cr' of the four lookups above, averaged (rounded). The
 *   lookups are there anyway (each gives all three outputs), so chroma costs four additions. As
 *   Y'CbCr is linear in R'G'B', this is the chroma of the mean of the four graded R'G'B' colours:
 *   what a conversion of the graded RGB picture back to 4:2:0 does with a box filter.
 * - 'mean-luma': one more lookup per site, at the site's mean Y' (rounded) with its Cb and Cr.
 *
 * Sites at the right or bottom edge of an odd-sized frame hold two or one luma samples; 'average'
 * averages those.
 *
 * An interlaced frame's two fields are two pictures woven line by line, and 4:2:0 codes each
 * field's chroma on its own: chroma rows alternate between the fields as luma rows do, and a site
 * of chroma row 2m + f (field f) covers luma rows 4m + f and 4m + f + 2. Graded as progressive, a
 * site would pair a line of each field, so where the fields differ (anything that moves) each
 * field's luma would be looked up with the other's chroma and the chroma written back would mix
 * the two. `fields: 'interlaced'` grades each field's sites on their own lines; it needs a height
 * that is a multiple of 4 (whole sites in both fields), as interlaced formats have.
 */
import { YUV_LUT_FRACTION_BITS, tetraTable, type YuvLut } from './yuvLut.js';

export type ChromaRule = 'average' | 'mean-luma';
export const CHROMA_RULES: readonly ChromaRule[] = ['average', 'mean-luma'];

/** How a frame's lines make its picture: one picture, or two fields woven line by line. */
export type FieldLayout = 'progressive' | 'interlaced';

/** A yuv420p frame: three planes, each packed (stride = plane width). */
export interface Yuv420Frame {
  readonly width: number;
  readonly height: number;
  readonly y: Uint8Array;
  readonly cb: Uint8Array;
  readonly cr: Uint8Array;
}

export function chromaSize(width: number, height: number): { width: number; height: number } {
  return { width: (width + 1) >> 1, height: (height + 1) >> 1 };
}

/** Bytes of one packed yuv420p frame. */
export function yuv420Bytes(width: number, height: number): number {
  const c = chromaSize(width, height);
  return width * height + 2 * c.width * c.height;
}

/** A frame over `buffer` (or a new one), planes in rawvideo order: Y', then Cb, then Cr. */
export function yuv420Frame(width: number, height: number, buffer?: Uint8Array): Yuv420Frame {
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new RangeError(`Expected a positive whole frame size but received ${width}x${height}`);
  }
  const bytes = yuv420Bytes(width, height);
  const data = buffer ?? new Uint8Array(bytes);
  if (data.length < bytes) {
    throw new RangeError(
      `A ${width}x${height} yuv420p frame needs ${bytes} bytes but the buffer holds ${data.length}`,
    );
  }
  const luma = width * height;
  const c = chromaSize(width, height);
  const chroma = c.width * c.height;
  return {
    width,
    height,
    y: data.subarray(0, luma),
    cb: data.subarray(luma, luma + chroma),
    cr: data.subarray(luma + chroma, luma + 2 * chroma),
  };
}

export function checkFrames(src: Yuv420Frame, dst: Yuv420Frame): void {
  if (src.width !== dst.width || src.height !== dst.height) {
    throw new RangeError(
      `Output frame size (${dst.width}x${dst.height}) does not match input frame size (${src.width}x${src.height})`,
    );
  }
  const c = chromaSize(src.width, src.height);
  for (const f of [src, dst]) {
    if (
      f.y.length < f.width * f.height ||
      f.cb.length < c.width * c.height ||
      f.cr.length < c.width * c.height
    ) {
      throw new RangeError(`A ${f.width}x${f.height} yuv420p frame's planes are too short`);
    }
  }
}

export function checkChroma(chroma: string): asserts chroma is ChromaRule {
  if (!(CHROMA_RULES as readonly string[]).includes(chroma)) {
    throw new RangeError(`Expected one of ${CHROMA_RULES.join(', ')} for chroma but received ${chroma}`);
  }
}

export function checkFields(fields: FieldLayout, height: number): void {
  if (fields !== 'progressive' && fields !== 'interlaced') {
    throw new RangeError(`Expected progressive or interlaced for fields but received ${String(fields)}`);
  }
  if (fields === 'interlaced' && height % 4 !== 0) {
    throw new RangeError(
      `An interlaced 4:2:0 frame needs a height that is a multiple of 4 but received ${height}`,
    );
  }
}

/**
 * The first luma row of chroma row `cy`'s sites, and the step to its second: rows 2cy and 2cy + 1
 * of a progressive frame, rows 4m + f and 4m + f + 2 of an interlaced one (cy = 2m + f).
 */
export function siteRows(cy: number, fields: FieldLayout): { first: number; step: number } {
  return fields === 'interlaced'
    ? { first: ((cy >> 1) << 2) + (cy & 1), step: 2 }
    : { first: 2 * cy, step: 1 };
}

/** Grades `src` into `dst` (same size; may be the same frame). */
export function applyYuvLut420(
  lut: YuvLut,
  src: Yuv420Frame,
  dst: Yuv420Frame,
  chroma: ChromaRule = 'average',
  fields: FieldLayout = 'progressive',
): void {
  checkFrames(src, dst);
  checkChroma(chroma);
  checkFields(fields, src.height);
  const c = chromaSize(src.width, src.height);
  gradeSites(lut, src, dst, chroma, 0, c.width, 0, c.height, fields);
}

/**
 * Grades the 4:2:0 sites [cx0, cx1) x [cy0, cy1) (chroma coordinates). The WebAssembly kernel
 * grades the full 2x2 sites and leaves the edge of an odd-sized frame to this.
 */
export function gradeSites(
  lut: YuvLut,
  src: Yuv420Frame,
  dst: Yuv420Frame,
  chroma: ChromaRule,
  cx0: number,
  cx1: number,
  cy0: number,
  cy1: number,
  fields: FieldLayout = 'progressive',
): void {
  const { shift, points, data } = lut;
  const { offA, offB, off111, weights } = tetraTable(lut.step);
  const mask = lut.step - 1;
  const plane = points * points;
  const total = shift + YUV_LUT_FRACTION_BITS;
  const half = 1 << (total - 1);
  const { width, height } = src;
  const cStride = chromaSize(width, height).width;
  const sy = src.y;
  const dy = dst.y;
  let acc0 = 0;
  let acc1 = 0;
  let acc2 = 0;
  // One tetrahedral lookup: sums in units of 1 / (step << fraction bits).
  const lookup = (y: number, cb: number, cr: number): void => {
    const key = ((y & mask) << (2 * shift)) | ((cb & mask) << shift) | (cr & mask);
    const o = ((y >> shift) * plane + (cb >> shift) * points + (cr >> shift)) * 4;
    const a = o + offA[key]! * 4;
    const b = o + offB[key]! * 4;
    const e = o + off111 * 4;
    const k = key * 4;
    const w0 = weights[k]!;
    const wA = weights[k + 1]!;
    const wB = weights[k + 2]!;
    const wC = weights[k + 3]!;
    acc0 = w0 * data[o]! + wA * data[a]! + wB * data[b]! + wC * data[e]!;
    acc1 = w0 * data[o + 1]! + wA * data[a + 1]! + wB * data[b + 1]! + wC * data[e + 1]!;
    acc2 = w0 * data[o + 2]! + wA * data[a + 2]! + wB * data[b + 2]! + wC * data[e + 2]!;
  };
  for (let cy = cy0; cy < cy1; cy++) {
    const { first: y0, step } = siteRows(cy, fields);
    const rows = y0 + step < height ? 2 : 1;
    for (let cx = cx0; cx < cx1; cx++) {
      const x0 = 2 * cx;
      const cols = x0 + 1 < width ? 2 : 1;
      const ci = cy * cStride + cx;
      const cb = src.cb[ci]!;
      const cr = src.cr[ci]!;
      let sumCb = 0;
      let sumCr = 0;
      let sumY = 0;
      for (let j = 0; j < rows; j++) {
        let i = (y0 + j * step) * width + x0;
        for (let k = 0; k < cols; k++, i++) {
          const y = sy[i]!;
          sumY += y;
          lookup(y, cb, cr);
          dy[i] = toCode(acc0 + half, total);
          sumCb += acc1;
          sumCr += acc2;
        }
      }
      if (chroma === 'mean-luma') {
        const n = rows * cols;
        lookup(Math.floor((sumY + (n >> 1)) / n), cb, cr);
        dst.cb[ci] = toCode(acc1 + half, total);
        dst.cr[ci] = toCode(acc2 + half, total);
      } else {
        // 1, 2 or 4 samples: a power of two.
        const extra = rows * cols === 4 ? 2 : rows * cols === 2 ? 1 : 0;
        dst.cb[ci] = toCode(sumCb + (half << extra), total + extra);
        dst.cr[ci] = toCode(sumCr + (half << extra), total + extra);
      }
    }
  }
}

function toCode(sum: number, shift: number): number {
  const v = sum >> shift;
  return v < 0 ? 0 : v > 255 ? 255 : v;
}
