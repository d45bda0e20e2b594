import { describe, expect, it } from 'vitest';
import { allocLut, fillLut, identityLut, type Lut3d } from '../../src/correction/lut3d.js';
import { inverseDetuneTransform } from '../../src/detune/inverse.js';
import { YCBCR_MATRICES, type YcbcrCoding } from '../../src/lut/coding.js';
import { referenceYuvLut420 } from '../../src/lut/reference.js';
import {
  applyYuvLut420,
  CHROMA_RULES,
  chromaSize,
  yuv420Bytes,
  yuv420Frame,
  type Yuv420Frame,
} from '../../src/lut/yuv420.js';
import { WasmYuv420Lut } from '../../src/lut/yuv420Wasm.js';
import {
  allocYuvLut,
  composeYuvLut,
  tetraTable,
  YUV_LUT_FRACTION_BITS,
  YUV_LUT_STEPS,
  type ComposeOptions,
} from '../../src/lut/yuvLut.js';
import { maxDifference, naturalFrame, randomFrame } from './random.js';

const BT709: YcbcrCoding = { matrix: 'bt709', range: 'limited' };
const extend = (coding: YcbcrCoding = BT709): ComposeOptions => ({ coding, outOfGamut: 'extend' });

/** An S-curve on every channel, green down 5 %: smooth, no clipping. */
const curve = (): Lut3d =>
  fillLut(17, (r, g, b, out) => {
    const s = (x: number): number => x + 0.5 * (x * x * (3 - 2 * x) - x);
    out[0] = s(r);
    out[1] = s(g) * 0.95;
    out[2] = s(b);
  });
/** Saturation x2.5, clipped: the kind of LUT a lattice serves worst (kinks inside cells). */
const saturate = (): Lut3d => fillLut(33, inverseDetuneTransform([{ family: 'saturation-low', amount: 3 }]));

describe('the Y\u2032CbCr lattice', () => {
  it.each(YUV_LUT_STEPS.map((step) => [step, 256 / step + 1]))(
    'step %i has %i points per axis, four Int16 per point',
    (step, points) => {
      const lut = allocYuvLut(step);
      expect(lut.points).toBe(points);
      expect(lut.shift).toBe(Math.log2(step));
      expect(lut.data.length).toBe(points ** 3 * 4);
    },
  );

  it('refuses a step that is not 4, 8 or 16', () => {
    for (const step of [2, 5, 32]) {
      expect(() => allocYuvLut(step)).toThrow(
        `Expected one of 4, 8, 16 for the Y'CbCr LUT step but received ${step}`,
      );
    }
  });

  it.each(YUV_LUT_STEPS)(
    'step %i: every weight-table key picks a tetrahedron whose weights sum to the step',
    (step) => {
      const t = tetraTable(step);
      const strides = [t.points * t.points, t.points, 1];
      for (let key = 0; key < step ** 3; key++) {
        const w = [...t.weights.subarray(key * 4, key * 4 + 4)];
        expect(w.every((x) => x >= 0)).toBe(true);
        expect(w.reduce((a, b) => a + b)).toBe(step);
        // The weighted corners reproduce the position: sum of w * corner = f (per axis).
        const f = [key >> (2 * Math.log2(step)), (key >> Math.log2(step)) & (step - 1), key & (step - 1)];
        const corner = (offset: number): number[] => strides.map((s) => Math.floor(offset / s) % t.points);
        const pos = [0, 1, 2].map(
          (axis) =>
            w[1]! * corner(t.offA[key]!)[axis]! +
            w[2]! * corner(t.offB[key]!)[axis]! +
            w[3]! * corner(t.off111)[axis]!,
        );
        expect(pos).toEqual(f);
      }
    },
  );

  it('composes the identity into the codes themselves, at every point, for every coding (extend)', () => {
    for (const matrix of YCBCR_MATRICES) {
      for (const range of ['limited', 'full'] as const) {
        const lut = composeYuvLut(identityLut(33), extend({ matrix, range }), allocYuvLut(8));
        const want = new Int16Array(lut.data.length);
        let i = 0;
        for (let y = 0; y < lut.points; y++) {
          for (let cb = 0; cb < lut.points; cb++) {
            for (let cr = 0; cr < lut.points; cr++, i += 4) {
              want.set(
                [y, cb, cr, 0].map((v) => (v * 8) << YUV_LUT_FRACTION_BITS),
                i,
              );
            }
          }
        }
        const wrong = want.reduce((n, v, k) => (lut.data[k] === v ? n : n + 1), 0);
        expect(wrong, `${matrix} ${range}: points not equal to their codes`).toBe(0);
      }
    }
  });

  it('clips what lies outside R\u2032G\u2032B\u2032 with outOfGamut clip, as ffmpeg does before haldclut', () => {
    const id = identityLut(17);
    const clip = composeYuvLut(id, { coding: BT709, outOfGamut: 'clip' }, allocYuvLut(16));
    const at = (y: number, cb: number, cr: number): number[] =>
      [...clip.data.subarray(((y * 17 + cb) * 17 + cr) * 4, ((y * 17 + cb) * 17 + cr) * 4 + 3)].map(
        (v) => v / (1 << YUV_LUT_FRACTION_BITS),
      );
    // Code 0 on every axis is blacker than black: clipped to black (16, 128, 128).
    expect(at(0, 8, 8)).toEqual([16, 128, 128]);
    // Code 256 luma with neutral chroma is whiter than white: clipped to (235, 128, 128).
    expect(at(16, 8, 8)).toEqual([235, 128, 128]);
    // A grey inside the cube is untouched.
    expect(at(8, 8, 8)).toEqual([128, 128, 128]);
  });
});

describe('applyYuvLut420 (JavaScript) and WasmYuv420Lut (WebAssembly SIMD)', () => {
  it.each(YUV_LUT_STEPS)(
    'step %i: an identity LUT returns every frame exactly (extend, all codings, both chroma rules)',
    (step) => {
      const src = randomFrame(385, 289, 7);
      const kernel = new WasmYuv420Lut(385, 289);
      for (const matrix of YCBCR_MATRICES) {
        for (const range of ['limited', 'full'] as const) {
          const options = extend({ matrix, range });
          const lut = composeYuvLut(identityLut(17), options, allocYuvLut(step));
          kernel.compose(identityLut(17), options, step);
          for (const chroma of CHROMA_RULES) {
            const js = yuv420Frame(385, 289);
            applyYuvLut420(lut, src, js, chroma);
            expect(maxDifference(js, src)).toBe(0);
            const wasm = yuv420Frame(385, 289);
            kernel.apply(chroma, src, wasm);
            expect(maxDifference(wasm, src)).toBe(0);
          }
        }
      }
    },
  );

  it("composes the identity exactly at every lattice point, so an identity frame may skip the kernel (encode's apply: node does)", () => {
    // Every point holds its own codes: every tetrahedral lookup then returns the pixel's own codes
    // (checked once for all 2^24 (Y', Cb', Cr') at sizes 25 and 36, step 8, both ways of coding).
    const kernel = new WasmYuv420Lut(385, 289);
    const src = randomFrame(385, 289, 3);
    for (const matrix of YCBCR_MATRICES) {
      for (const range of ['limited', 'full'] as const) {
        // The sizes `merge` makes (Hald levels 2 to 8), and 17.
        for (const size of [4, 9, 16, 17, 25, 36, 49, 64]) {
          for (const step of YUV_LUT_STEPS) {
            const lut = kernel.compose(identityLut(size), extend({ matrix, range }), step);
            const one = 1 << YUV_LUT_FRACTION_BITS;
            let off = 0;
            for (let i = 0; i < lut.data.length; i += 4) {
              const y = Math.floor(i / 4 / (lut.points * lut.points));
              const cb = Math.floor(i / 4 / lut.points) % lut.points;
              const cr = (i / 4) % lut.points;
              const want = [y, cb, cr].map((v) => v * step * one);
              for (let c = 0; c < 3; c++) if (lut.data[i + c] !== want[c]) off++;
            }
            expect(off).toBe(0);
            const out = yuv420Frame(385, 289);
            kernel.apply('average', src, out);
            expect(maxDifference(out, src)).toBe(0);
          }
        }
      }
    }
  });

  it.each([
    // LUT, step, largest difference from the float reference with chroma 'average' (levels);
    // 'mean-luma' takes its chroma from one lookup, not four, and may miss by one more.
    ['curve', 4, 1, curve],
    ['curve', 8, 1, curve],
    ['curve', 16, 3, curve],
    ['saturation x2.5 (clipped)', 4, 2, saturate],
    ['saturation x2.5 (clipped)', 8, 5, saturate],
  ] as const)(
    '%s at step %i: within %i level(s) of the float reference on every plane',
    (_, step, tolerance, make) => {
      const lut = make();
      for (const src of [randomFrame(385, 289, 1), naturalFrame(385, 289, 2)]) {
        for (const outOfGamut of ['extend', 'clip'] as const) {
          const options: ComposeOptions = { coding: BT709, outOfGamut };
          const yuv = composeYuvLut(lut, options, allocYuvLut(step));
          for (const chroma of CHROMA_RULES) {
            const got = yuv420Frame(385, 289);
            applyYuvLut420(yuv, src, got, chroma);
            const want = yuv420Frame(385, 289);
            referenceYuvLut420(lut, options, src, want, chroma);
            expect(maxDifference(got, want)).toBeLessThanOrEqual(
              tolerance + (chroma === 'mean-luma' ? 1 : 0),
            );
          }
        }
      }
    },
  );

  it('grades one 2x2 site as worked out by hand: luma per pixel, chroma from the four lookups', () => {
    // BT.709 limited, a LUT that halves red. Per pixel R' = (Y' - 16) / 219 + 1.5748 (Cr - 128) / 224
    // loses R'/2, which moves Y' by 219 * 0.2126 * dR, Cb by -224 * 0.2126 / 1.8556 * dR and Cr by
    // 224 * 0.7874 / 1.5748 * dR = 112 dR.
    const halfRed = fillLut(2, (r, g, b, out) => {
      out[0] = r / 2;
      out[1] = g;
      out[2] = b;
    });
    const ys = [60, 100, 140, 170];
    const [cb, cr] = [110, 160]; // every R'G'B' inside [0, 1]: no clipping
    const dR = ys.map((y) => -((y - 16) / 219 + (1.5748 * (cr - 128)) / 224) / 2);
    const wantY = ys.map((y, i) => Math.round(y + 219 * 0.2126 * dR[i]!));
    const mean = dR.reduce((a, b) => a + b) / 4;
    const wantCb = Math.round(cb - ((224 * 0.2126) / 1.8556) * mean);
    const wantCr = Math.round(cr + 112 * mean);
    const src = yuv420Frame(2, 2);
    src.y.set(ys);
    src.cb[0] = cb;
    src.cr[0] = cr;
    const lut = composeYuvLut(halfRed, extend(), allocYuvLut(4));
    // The LUT is affine, so the lookup at the mean luma (118) gives the same chroma.
    for (const chroma of CHROMA_RULES) {
      const got = yuv420Frame(2, 2);
      applyYuvLut420(lut, src, got, chroma);
      expect([...got.y, got.cb[0], got.cr[0]]).toEqual([...wantY, wantCb, wantCr]);
    }
  });

  it.each([
    [1, 1],
    [1, 2],
    [3, 1],
    [2, 3],
    [5, 5],
    [33, 17],
    [385, 289],
  ])("%ix%i: WebAssembly gives the JavaScript kernel's bytes, odd edges included", (width, height) => {
    const src = randomFrame(width, height, width * 1000 + height);
    const kernel = new WasmYuv420Lut(width, height, { pictures: 2 });
    const held = [kernel.takePicture()!, kernel.takePicture()!];
    expect(kernel.takePicture()).toBeUndefined();
    const srcBytes = new Uint8Array(yuv420Bytes(width, height));
    srcBytes.set(src.y);
    srcBytes.set(src.cb, src.y.length);
    srcBytes.set(src.cr, src.y.length + src.cb.length);
    for (const step of YUV_LUT_STEPS) {
      const yuv = kernel.compose(saturate(), extend(), step);
      for (const chroma of CHROMA_RULES) {
        const js = yuv420Frame(width, height);
        applyYuvLut420(yuv, src, js, chroma);
        const wasm = yuv420Frame(width, height);
        kernel.apply(chroma, src, wasm);
        expect(maxDifference(wasm, js)).toBe(0);
        // The same through the kernel's own frames, with no copy.
        kernel.input.y.set(src.y);
        kernel.input.cb.set(src.cb);
        kernel.input.cr.set(src.cr);
        kernel.apply(chroma);
        expect(maxDifference(kernel.output, js)).toBe(0);
        // In place on a picture held in the kernel's memory, and from one such picture to another.
        const [a, b] = held.map((bytes) => yuv420Frame(width, height, bytes)) as [Yuv420Frame, Yuv420Frame];
        held[0]!.set(srcBytes);
        kernel.apply(chroma, a, b);
        expect(maxDifference(b, js)).toBe(0);
        kernel.apply(chroma, a, a);
        expect(maxDifference(a, js)).toBe(0);
      }
    }
  });

  it('composes in WebAssembly within 1/32 level of the JavaScript composition', () => {
    const kernel = new WasmYuv420Lut(2, 2);
    for (const [lut, options] of [
      [saturate(), { coding: BT709, outOfGamut: 'extend' }],
      [curve(), { coding: { matrix: 'bt601', range: 'full' }, outputCoding: BT709, outOfGamut: 'clip' }],
    ] as const) {
      for (const step of YUV_LUT_STEPS) {
        const js = composeYuvLut(lut, options, allocYuvLut(step));
        const wasm = kernel.compose(lut, options, step);
        let worst = 0;
        for (let i = 0; i < js.data.length; i++)
          worst = Math.max(worst, Math.abs(js.data[i]! - wasm.data[i]!));
        expect(worst).toBeLessThanOrEqual(1);
      }
    }
  });

  it('refuses frames that do not fit, naming the sizes', () => {
    const lut = composeYuvLut(identityLut(2), extend(), allocYuvLut(16));
    expect(() => applyYuvLut420(lut, yuv420Frame(4, 4), yuv420Frame(4, 2))).toThrow(
      'Output frame size (4x2) does not match input frame size (4x4)',
    );
    expect(() => yuv420Frame(4, 4, new Uint8Array(yuv420Bytes(4, 4) - 1))).toThrow(
      'A 4x4 yuv420p frame needs 24 bytes but the buffer holds 23',
    );
    expect(() => yuv420Frame(0, 4)).toThrow('Expected a positive whole frame size but received 0x4');
    expect(() => applyYuvLut420(lut, yuv420Frame(2, 2), yuv420Frame(2, 2), 'nearest' as never)).toThrow(
      'Expected one of average, mean-luma for chroma but received nearest',
    );
    const kernel = new WasmYuv420Lut(4, 4);
    expect(() => kernel.apply()).toThrow('No Y\u2032CbCr LUT loaded: call load() or compose() first');
    kernel.load(lut);
    expect(() => kernel.apply('average', yuv420Frame(6, 4), yuv420Frame(6, 4))).toThrow(
      "Frame size (6x4) does not match the kernel's (4x4)",
    );
    expect(() => kernel.compose(allocLut(66), extend(), 8)).toThrow(
      'Expected an RGB LUT of at most 65^3 but received 66^3',
    );
  });
});

/** Field `f` (0: the top lines) of an interlaced frame, as a frame of its own: every other line of each plane. */
function fieldOf(frame: Yuv420Frame, f: number): Yuv420Frame {
  const { width, height } = frame;
  const cw = chromaSize(width, height).width;
  const field = yuv420Frame(width, height / 2);
  for (let row = 0; row < height / 2; row++) {
    field.y.set(frame.y.subarray((2 * row + f) * width, (2 * row + f + 1) * width), row * width);
  }
  for (let row = 0; row < height / 4; row++) {
    for (const p of ['cb', 'cr'] as const) {
      field[p].set(frame[p].subarray((2 * row + f) * cw, (2 * row + f + 1) * cw), row * cw);
    }
  }
  return field;
}

/** The frame whose fields are `top` and `bottom`. */
function weave(top: Yuv420Frame, bottom: Yuv420Frame): Yuv420Frame {
  const { width } = top;
  const height = 2 * top.height;
  const cw = chromaSize(width, height).width;
  const frame = yuv420Frame(width, height);
  for (const [f, field] of [top, bottom].entries()) {
    for (let row = 0; row < height / 2; row++) {
      frame.y.set(field.y.subarray(row * width, (row + 1) * width), (2 * row + f) * width);
    }
    for (let row = 0; row < height / 4; row++) {
      for (const p of ['cb', 'cr'] as const) {
        frame[p].set(field[p].subarray(row * cw, (row + 1) * cw), (2 * row + f) * cw);
      }
    }
  }
  return frame;
}

describe('interlaced 4:2:0 frames', () => {
  // Two unlike fields woven together, as a frame with motion between its fields is: at an odd
  // width, so that the last column of sites (graded outside the SIMD kernel) is covered too.
  const width = 385;
  const height = 288;
  const bottom = naturalFrame(width, height / 2, 12);
  bottom.cb.forEach((v, i) => (bottom.cb[i] = v - 40));
  bottom.cr.forEach((v, i) => (bottom.cr[i] = v + 30));
  const frame = weave(naturalFrame(width, height / 2, 11), bottom);
  const lut = composeYuvLut(saturate(), extend(), allocYuvLut(8));

  it.each(CHROMA_RULES)(
    'are graded field by field: each field exactly as it is graded alone (%s chroma, JavaScript and WebAssembly)',
    (chroma) => {
      const fields = [0, 1].map((f) => {
        const graded = yuv420Frame(width, height / 2);
        applyYuvLut420(lut, fieldOf(frame, f), graded, chroma);
        return graded;
      });
      const expected = weave(fields[0]!, fields[1]!);
      const js = yuv420Frame(width, height);
      applyYuvLut420(lut, frame, js, chroma, 'interlaced');
      expect(maxDifference(js, expected)).toBe(0);
      const kernel = new WasmYuv420Lut(width, height);
      kernel.load(lut);
      const wasm = yuv420Frame(width, height);
      kernel.apply(chroma, frame, wasm, 'interlaced');
      expect(maxDifference(wasm, expected)).toBe(0);
      // In place in the kernel's memory, as encode's apply: node grades its pictures.
      kernel.input.y.set(frame.y);
      kernel.input.cb.set(frame.cb);
      kernel.input.cr.set(frame.cr);
      kernel.apply(chroma, kernel.input, kernel.input, 'interlaced');
      expect(maxDifference(kernel.input, expected)).toBe(0);
      // Graded as one picture, the fields' chroma is mixed.
      const progressive = yuv420Frame(width, height);
      applyYuvLut420(lut, frame, progressive, chroma);
      expect(maxDifference(progressive, expected)).toBeGreaterThan(8);
    },
  );

  it('need a height that is a multiple of 4, so that both fields hold whole sites', () => {
    expect(() => applyYuvLut420(lut, yuv420Frame(8, 6), yuv420Frame(8, 6), 'average', 'interlaced')).toThrow(
      'An interlaced 4:2:0 frame needs a height that is a multiple of 4 but received 6',
    );
    const kernel = new WasmYuv420Lut(8, 6);
    kernel.load(lut);
    expect(() => kernel.apply('average', kernel.input, kernel.output, 'interlaced')).toThrow(
      'An interlaced 4:2:0 frame needs a height that is a multiple of 4 but received 6',
    );
  });
});
