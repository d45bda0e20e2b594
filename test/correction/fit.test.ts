import { describe, expect, it } from 'vitest';
import { fitLut } from '../../src/correction/fit.js';
import {
  allocLut,
  applyLut,
  distanceFromIdentity,
  sampleLut,
  type Lut3d,
} from '../../src/correction/lut3d.js';
import { haldCubeSize } from '../../src/correction/hald.js';
import type { Rect, RgbImage } from '../../src/image/image.js';

const W = 456;
const H = 256;
const FULL: Rect = { x: 0, y: 0, width: W, height: H };
/** The lattice the merge stage fits by default (hald_level 6). */
const DEFAULT_SIZE = haldCubeSize(6);

/** mulberry32: a small seeded generator, so the images are the same on every run. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function image(width: number, height: number): RgbImage {
  return { width, height, depth: 8, data: new Uint8Array(width * height * 3) };
}

/** Uniform random colours: the whole RGB cube, about equally often. */
function randomImage(seed: number): RgbImage {
  const img = image(W, H);
  const random = rng(seed);
  for (let i = 0; i < img.data.length; i++) img.data[i] = Math.floor(random() * 256);
  return img;
}

/** Smooth gradients: colours from a small part of the cube, like a real frame. */
function gradientImage(): RgbImage {
  const img = image(W, H);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const u = x / W;
      const v = y / H;
      const i = (y * W + x) * 3;
      img.data[i] = Math.round(255 * (0.2 + 0.6 * u * v));
      img.data[i + 1] = Math.round(255 * (0.3 + 0.4 * u));
      img.data[i + 2] = Math.round(255 * (0.1 + 0.5 * v * v));
    }
  }
  return img;
}

type Grade = (r: number, g: number, b: number) => [number, number, number];

/** dst = round(255 * clip(grade(src / 255))). */
function graded(src: RgbImage, grade: Grade): RgbImage {
  const dst = image(src.width, src.height);
  const q = (v: number) => Math.round(255 * Math.min(1, Math.max(0, v)));
  for (let i = 0; i < src.data.length; i += 3) {
    const [r, g, b] = grade(src.data[i]! / 255, src.data[i + 1]! / 255, src.data[i + 2]! / 255);
    dst.data[i] = q(r);
    dst.data[i + 1] = q(g);
    dst.data[i + 2] = q(b);
  }
  return dst;
}

/** Applies the LUT to src and compares with dst at the pixels fitLut samples (step 2 from the rect's corner). */
function errors(lut: Lut3d, src: RgbImage, dst: RgbImage, rect: Rect = FULL) {
  const out = image(src.width, src.height);
  applyLut(lut, src, out);
  let sum = 0;
  let n = 0;
  const max = [0, 0, 0];
  for (let y = rect.y; y < rect.y + rect.height; y += 2) {
    for (let x = rect.x; x < rect.x + rect.width; x += 2) {
      const i = (y * src.width + x) * 3;
      for (let c = 0; c < 3; c++) {
        const e = Math.abs(out.data[i + c]! - dst.data[i + c]!);
        sum += e;
        n++;
        max[c] = Math.max(max[c]!, e);
      }
    }
  }
  return { mean: sum / n, max: Math.max(...max), maxPerChannel: max };
}

const gamma08: Grade = (r, g, b) => [r ** 0.8, g ** 0.8, b ** 0.8];

describe('fitLut: affine grades', () => {
  it('an affine grade that stays inside [0, 1] is reproduced within one 8-bit step at every sampled pixel', () => {
    const src = randomImage(3);
    const dst = graded(src, (r, g, b) => [0.9 * r + 0.05, 0.9 * g + 0.1 * r, 0.95 * b + 0.02]);
    for (const size of [9, 17, DEFAULT_SIZE]) {
      const e = errors(fitLut(src, dst, FULL, allocLut(size)), src, dst);
      expect(e.max).toBeLessThanOrEqual(1);
      expect(e.mean).toBeLessThan(0.1);
    }
  });

  it('dst = clip(0.9 r + 0.05, 1.1 g, b - 0.02) on a random 456x256 image: mean error < 0.5/255', () => {
    const src = randomImage(3);
    const dst = graded(src, (r, g, b) => [0.9 * r + 0.05, 1.1 * g, b - 0.02]);
    const lut = allocLut(17);
    expect(fitLut(src, dst, FULL, lut)).toBe(lut);
    const e = errors(lut, src, dst);
    expect(e.mean).toBeLessThan(0.5);
    // Red never clips: within one step everywhere. Green and blue clip (1.1 g > 1 above g = 0.909,
    // b - 0.02 < 0 below b = 0.02); the lattice cannot follow those kinks exactly.
    expect(e.maxPerChannel[0]).toBeLessThanOrEqual(1);
    // Every LUT entry is a valid normalised value.
    expect(lut.data.every((v) => v >= 0 && v <= 1)).toBe(true);
  });
});

describe('fitLut: non-linear grades', () => {
  it('gamma 0.8 on a random 456x256 image, 9^3 lattice: mean error < 1.5/255', () => {
    const src = randomImage(5);
    const dst = graded(src, gamma08);
    const e = errors(fitLut(src, dst, FULL, allocLut(9)), src, dst);
    expect(e.mean).toBeLessThan(1.5);
  });

  it('gamma 0.8 on a gradient frame, at the default 36^3 lattice: mean error < 0.5/255, max <= 3/255', () => {
    const src = gradientImage();
    const dst = graded(src, gamma08);
    const e = errors(fitLut(src, dst, FULL, allocLut(DEFAULT_SIZE)), src, dst);
    expect(e.mean).toBeLessThan(0.5);
    expect(e.max).toBeLessThanOrEqual(3);
  });

  it('less shrink follows the curve more closely (shrink 0.5 vs the default 4)', () => {
    const src = randomImage(5);
    const dst = graded(src, gamma08);
    const loose = errors(fitLut(src, dst, FULL, allocLut(17), { shrink: 0.5 }), src, dst);
    const tight = errors(fitLut(src, dst, FULL, allocLut(17)), src, dst);
    expect(loose.mean).toBeLessThan(tight.mean);
  });

  // Regression (fixed; src/correction/fit.ts, last loop): each lattice point takes resid / (weight + shrink).
  // With shrink 0 (the merge stage allows min 0 for `shrink`) every point that no sample reaches
  // has 0 * (1 / 0) = NaN, and NaN survives the clamp `v < 0 ? 0 : v > 1 ? 1 : v`. A real frame
  // leaves most of the cube empty: on this gradient frame at 36^3, 135867 of 139968 values are NaN.
  // writeHald16 then writes 0 for them and applyLut turns any pixel near them black. Points with
  // no samples should keep the affine fit.
  it('shrink 0 still gives a finite LUT where no sample falls (those points keep the affine fit)', () => {
    const src = gradientImage();
    const dst = graded(src, gamma08);
    const lut = fitLut(src, dst, FULL, allocLut(DEFAULT_SIZE), { shrink: 0 });
    const nan = lut.data.filter((v) => Number.isNaN(v)).length;
    expect(nan).toBe(0);
  });
});

describe('fitLut: degenerate and identity input', () => {
  it('identity pairs give the identity LUT (distance < 1e-3)', () => {
    const src = randomImage(7);
    const dst = graded(src, (r, g, b) => [r, g, b]);
    expect(Buffer.compare(Buffer.from(dst.data.buffer), Buffer.from(src.data.buffer))).toBe(0);
    for (const size of [9, DEFAULT_SIZE]) {
      expect(distanceFromIdentity(fitLut(src, dst, FULL, allocLut(size)))).toBeLessThan(1e-3);
    }
    expect(distanceFromIdentity(fitLut(gradientImage(), gradientImage(), FULL, allocLut(17)))).toBeLessThan(
      1e-3,
    );
  });

  it('a flat frame stays well posed: its colour maps exactly, the rest of the cube gets the same offset', () => {
    const src = image(40, 30);
    const dst = image(40, 30);
    for (let i = 0; i < src.data.length; i += 3) {
      src.data.set([100, 150, 200], i);
      dst.data.set([110, 140, 190], i);
    }
    const lut = fitLut(src, dst, { x: 0, y: 0, width: 40, height: 30 }, allocLut(9));
    expect(lut.data.every((v) => Number.isFinite(v))).toBe(true);
    const out = new Float32Array(3);
    const at = (r: number, g: number, b: number) => {
      sampleLut(lut, r / 255, g / 255, b / 255, out);
      return [...out].map((v) => Math.round(v * 255));
    };
    expect(at(100, 150, 200)).toEqual([110, 140, 190]);
    expect(at(0, 0, 0)).toEqual([10, 0, 0]);
    expect(at(255, 255, 255)).toEqual([255, 245, 245]);
  });
});

describe('fitLut: rect', () => {
  it('pixels outside rect are ignored: garbage there changes nothing', () => {
    const rect: Rect = { x: 8, y: 6, width: 440, height: 244 };
    const src = randomImage(11);
    const dst = graded(src, (r, g, b) => [0.9 * r + 0.05, 0.9 * g + 0.1 * r, 0.95 * b + 0.02]);
    const clean = fitLut(src, dst, rect, allocLut(17));

    // Outside the rect: dst is the inverse of src there, a grade the fit must not see.
    const noisySrc = image(W, H);
    const noisyDst = image(W, H);
    noisySrc.data.set(src.data);
    noisyDst.data.set(dst.data);
    const random = rng(99);
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const inside = x >= rect.x && x < rect.x + rect.width && y >= rect.y && y < rect.y + rect.height;
        if (inside) continue;
        const i = (y * W + x) * 3;
        for (let c = 0; c < 3; c++) {
          const v = Math.floor(random() * 256);
          noisySrc.data[i + c] = v;
          noisyDst.data[i + c] = 255 - v;
        }
      }
    }
    const noisy = fitLut(noisySrc, noisyDst, rect, allocLut(17));
    expect(noisy.data).toEqual(clean.data);
    expect(errors(noisy, src, dst, rect).max).toBeLessThanOrEqual(1);

    // Sanity check that the garbage would matter: fitting the whole frame sees it.
    const whole = fitLut(noisySrc, noisyDst, FULL, allocLut(17));
    expect(whole.data).not.toEqual(clean.data);
  });
});
