import { describe, expect, it } from 'vitest';
import {
  allocLut,
  applyLut,
  distanceFromIdentity,
  fillLut,
  identityLut,
  resampleLut,
  scaleLut,
  sampleLut,
  type ColourTransform,
  type Lut3d,
} from '../../src/correction/lut3d.js';
import type { RgbImage } from '../../src/image/image.js';

/** mulberry32: a small seeded generator, so the random points are the same on every run. */
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** out = M * (r, g, b) + t, with a full (non-diagonal) matrix. */
const M = [
  [0.8, 0.15, -0.05],
  [0.1, 0.7, 0.2],
  [-0.1, 0.05, 1.1],
] as const;
const T = [0.05, -0.02, 0.01] as const;
function affine(r: number, g: number, b: number): [number, number, number] {
  return [0, 1, 2].map((c) => M[c]![0] * r + M[c]![1] * g + M[c]![2] * b + T[c]!) as [number, number, number];
}
const affineFn: ColourTransform = (r, g, b, out) => out.set(affine(r, g, b));

function sample(lut: Lut3d, r: number, g: number, b: number): number[] {
  const out = new Float32Array(3);
  sampleLut(lut, r, g, b, out);
  return [...out];
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

function image8(width: number, height: number, pixels: number[]): RgbImage {
  return { width, height, depth: 8, data: Uint8Array.from(pixels) };
}

function image16(width: number, height: number, pixels: number[]): RgbImage {
  return { width, height, depth: 16, data: Uint16Array.from(pixels) };
}

describe('allocLut / fillLut / layout', () => {
  it('accepts sizes 2..256 and names the bad value otherwise', () => {
    expect(allocLut(2).data).toHaveLength(24);
    expect(allocLut(17).data).toHaveLength(17 ** 3 * 3);
    expect(() => allocLut(1)).toThrow(
      new RangeError('Expected integer between 2 and 256 for LUT size but received 1'),
    );
    expect(() => allocLut(257)).toThrow(
      new RangeError('Expected integer between 2 and 256 for LUT size but received 257'),
    );
    expect(() => allocLut(4.5)).toThrow(RangeError);
  });

  it('stores red fastest: entry (r, g, b) at ((b * n + g) * n + r) * 3', () => {
    const lut = identityLut(3);
    // (r, g, b) = (2, 0, 1): ((1 * 3 + 0) * 3 + 2) * 3 = 33.
    expect([...lut.data.subarray(33, 36)]).toEqual([1, 0, 0.5]);
    // (0, 2, 1): ((1 * 3 + 2) * 3 + 0) * 3 = 45.
    expect([...lut.data.subarray(45, 48)]).toEqual([0, 1, 0.5]);
    expect([...lut.data.subarray(0, 3)]).toEqual([0, 0, 0]);
    expect([...lut.data.subarray(78, 81)]).toEqual([1, 1, 1]);
  });

  it('fillLut writes into a given LUT and returns it', () => {
    const lut = allocLut(2);
    expect(fillLut(2, affineFn, lut)).toBe(lut);
    // Corner (1, 0, 0) is entry 1: M's first column + T.
    expect(maxDiff(lut.data.subarray(3, 6), [0.85, 0.08, -0.09])).toBeLessThan(1e-7);
  });
});

describe('sampleLut (tetrahedral)', () => {
  it('identity is exact at every lattice point', () => {
    const n = 5;
    const lut = identityLut(n);
    for (let b = 0; b < n; b++) {
      for (let g = 0; g < n; g++) {
        for (let r = 0; r < n; r++) {
          expect(sample(lut, r / 4, g / 4, b / 4)).toEqual([r / 4, g / 4, b / 4]);
        }
      }
    }
  });

  it('identity returns the point itself in between lattice points (within 1e-6)', () => {
    const random = rng(1);
    for (const size of [2, 4, 17, 33]) {
      const lut = identityLut(size);
      let worst = 0;
      for (let k = 0; k < 2000; k++) {
        const p = [random(), random(), random()] as const;
        worst = Math.max(worst, maxDiff(sample(lut, p[0], p[1], p[2]), p));
      }
      expect(worst).toBeLessThan(1e-6);
    }
  });

  it('reproduces an affine colour map exactly (up to float32 storage) at random points, for several sizes', () => {
    const random = rng(2);
    for (const size of [2, 3, 9]) {
      const lut = fillLut(size, affineFn);
      let worst = 0;
      for (let k = 0; k < 2000; k++) {
        const [r, g, b] = [random(), random(), random()];
        worst = Math.max(worst, maxDiff(sample(lut, r, g, b), affine(r, g, b)));
      }
      expect(worst).toBeLessThan(1e-6);
    }
  });

  it('is exact in every one of the six tetrahedra and on their shared faces', () => {
    const lut = fillLut(3, affineFn);
    // Points in cell (0,0,0)-(0.5,0.5,0.5) with each ordering of (dr, dg, db) and with ties.
    const points = [
      [0.4, 0.25, 0.1], // r > g > b
      [0.4, 0.1, 0.25], // r > b > g
      [0.25, 0.1, 0.4], // b > r > g
      [0.1, 0.25, 0.4], // b > g > r
      [0.1, 0.4, 0.25], // g > b > r
      [0.25, 0.4, 0.1], // g > r > b
      [0.3, 0.3, 0.3],
      [0.3, 0.3, 0.1],
      [0.1, 0.3, 0.3],
      [0.3, 0.1, 0.3],
      [1, 1, 1],
      [1, 0.75, 0],
    ] as const;
    for (const [r, g, b] of points) expect(maxDiff(sample(lut, r, g, b), affine(r, g, b))).toBeLessThan(1e-6);
  });

  it('interpolates along the main diagonal of a cell between its two ends (a non-affine LUT)', () => {
    // A LUT of size 2 whose only non-zero entry is (1, 1, 1) -> (1, 1, 1): on the diagonal the
    // tetrahedral weight of that corner is the smallest of (dr, dg, db).
    const lut = allocLut(2);
    lut.data.set([1, 1, 1], 21);
    expect(sample(lut, 0.5, 0.5, 0.5)).toEqual([0.5, 0.5, 0.5]);
    expect(sample(lut, 0.75, 0.5, 0.25)).toEqual([0.25, 0.25, 0.25]);
    for (const v of sample(lut, 0.2, 0.9, 0.6)) expect(v).toBeCloseTo(0.2, 7);
  });

  it('clamps inputs outside [0, 1] to the cube', () => {
    const lut = fillLut(5, affineFn);
    expect(maxDiff(sample(lut, -0.5, 1.5, 0.5), affine(0, 1, 0.5))).toBeLessThan(1e-6);
    expect(maxDiff(sample(lut, 2, 2, -1), affine(1, 1, 0))).toBeLessThan(1e-6);
  });
});

describe('resampleLut', () => {
  it('to the same size gives an equal copy, not the same storage', () => {
    const lut = fillLut(4, affineFn);
    const copy = resampleLut(lut, 4);
    expect(copy.size).toBe(4);
    expect(copy.data).toEqual(lut.data);
    expect(copy.data).not.toBe(lut.data);
  });

  it('up or down keeps an affine LUT affine: equals the LUT filled directly at the new size', () => {
    const small = fillLut(3, affineFn);
    for (const size of [2, 5, 17]) {
      const resampled = resampleLut(small, size);
      expect(resampled.size).toBe(size);
      expect(maxDiff(resampled.data, fillLut(size, affineFn).data)).toBeLessThan(1e-6);
    }
  });

  it('a non-linear LUT keeps its values at the lattice points the two sizes share', () => {
    const gamma = fillLut(5, (r, g, b, out) => out.set([r ** 2, g ** 0.5, b ** 3]));
    const finer = resampleLut(gamma, 9);
    // Point (r, g, b) of the size-5 lattice is point (2r, 2g, 2b) of the size-9 lattice.
    for (const [r, g, b] of [
      [1, 2, 3],
      [4, 0, 2],
      [3, 3, 3],
    ] as const) {
      const i5 = ((b * 5 + g) * 5 + r) * 3;
      const i9 = ((2 * b * 9 + 2 * g) * 9 + 2 * r) * 3;
      expect(maxDiff(finer.data.subarray(i9, i9 + 3), gamma.data.subarray(i5, i5 + 3))).toBeLessThan(1e-6);
    }
    // Halfway between two lattice points of the size-5 LUT, along red only: the mean of the two.
    const iMid = ((0 * 9 + 0) * 9 + 3) * 3; // r = 3/8, between 1/4 and 1/2
    expect(finer.data[iMid]).toBeCloseTo((0.25 ** 2 + 0.5 ** 2) / 2, 6);
  });
});

describe('applyLut', () => {
  const swapRB = fillLut(2, (r, g, b, out) => out.set([b, g, r]));
  const halve = fillLut(2, (r, g, b, out) => out.set([r / 2, g / 2, b / 2]));
  const invert = fillLut(2, (r, g, b, out) => out.set([1 - r, 1 - g, 1 - b]));

  // A 3x2 rgb24 image, row by row.
  // prettier-ignore
  const pixels = [
    [10, 20, 30], [0, 128, 255], [254, 2, 100],
    [40, 60, 80], [255, 255, 255], [0, 0, 0],
  ].flat();

  it('a LUT that swaps red and blue swaps them in every pixel', () => {
    const src = image8(3, 2, pixels);
    const dst = image8(3, 2, new Array(18).fill(0));
    applyLut(swapRB, src, dst);
    // prettier-ignore
    expect([...dst.data]).toEqual([
      [30, 20, 10], [255, 128, 0], [100, 2, 254],
      [80, 60, 40], [255, 255, 255], [0, 0, 0],
    ].flat());
    expect([...src.data]).toEqual(pixels); // the source is untouched
  });

  it('a LUT that scales by 0.5 halves every value (255 -> 127.5 rounds to 128); works in place', () => {
    const img = image8(3, 2, pixels);
    applyLut(halve, img, img);
    // prettier-ignore
    expect([...img.data]).toEqual([
      [5, 10, 15], [0, 64, 128], [127, 1, 50],
      [20, 30, 40], [128, 128, 128], [0, 0, 0],
    ].flat());
  });

  it('only the pixels inside rect change; the rest are copied unchanged', () => {
    const src = image8(3, 2, pixels);
    const dst = image8(3, 2, new Array(18).fill(7));
    applyLut(swapRB, src, dst, { x: 1, y: 0, width: 2, height: 1 });
    // prettier-ignore
    expect([...dst.data]).toEqual([
      [10, 20, 30], [255, 128, 0], [100, 2, 254],
      [40, 60, 80], [255, 255, 255], [0, 0, 0],
    ].flat());
  });

  it('an identity LUT of any size leaves every 8-bit code unchanged', () => {
    const ramp = image8(256, 1, Array.from({ length: 256 }, (_, x) => [x, 255 - x, (x * 7) % 256]).flat());
    for (const size of [2, 17, 33]) {
      const out = image8(256, 1, new Array(768).fill(0));
      applyLut(identityLut(size), ramp, out);
      expect(out.data).toEqual(ramp.data);
    }
  });

  it('works on 16-bit images: inversion, swap and halving give the exact 16-bit values', () => {
    const src = image16(2, 2, [0, 1, 12345, 65535, 32768, 2, 40000, 65534, 100, 7, 8, 9]);
    const inv = image16(2, 2, new Array(12).fill(0));
    applyLut(invert, src, inv);
    expect([...inv.data]).toEqual([
      65535, 65534, 53190, 0, 32767, 65533, 25535, 1, 65435, 65528, 65527, 65526,
    ]);

    const swapped = image16(2, 2, new Array(12).fill(0));
    applyLut(swapRB, src, swapped);
    expect([...swapped.data]).toEqual([12345, 1, 0, 2, 32768, 65535, 100, 65534, 40000, 9, 8, 7]);

    const even = image16(2, 1, [0, 2, 65534, 40000, 1000, 20]);
    applyLut(halve, even, even);
    expect([...even.data]).toEqual([0, 1, 32767, 20000, 500, 10]);
  });

  it('clamps LUT output outside [0, 1] to the code range', () => {
    const boost = fillLut(2, (r, g, b, out) => out.set([2 * r, g - 0.5, b]));
    const img = image8(2, 1, [200, 100, 50, 100, 200, 0]);
    applyLut(boost, img, img);
    // 2 * 200 = 400 -> 255; 100 - 127.5 -> 0; 2 * 100 = 200; 200 - 127.5 = 72.5 -> 73 (rounded).
    expect([...img.data]).toEqual([255, 0, 50, 200, 73, 0]);
  });
});

describe('distanceFromIdentity', () => {
  it('is 0 for the identity at sizes whose steps float32 holds exactly, and tiny otherwise', () => {
    expect(distanceFromIdentity(identityLut(2))).toBe(0);
    expect(distanceFromIdentity(identityLut(17))).toBe(0);
    expect(distanceFromIdentity(identityLut(33))).toBe(0);
    expect(distanceFromIdentity(identityLut(4))).toBeLessThan(1e-7);
  });

  it('is the largest absolute difference over all entries and channels', () => {
    const lut = identityLut(5);
    lut.data[((2 * 5 + 1) * 5 + 3) * 3 + 1] = 0.25 + 0.375; // (3, 1, 2) green: 0.25 -> 0.625
    lut.data[((4 * 5 + 4) * 5 + 4) * 3 + 2] = 0.75; // (4, 4, 4) blue: 1 -> 0.75
    expect(distanceFromIdentity(lut)).toBe(0.375);
  });

  it('measures an offset LUT by its offset', () => {
    const lut = fillLut(9, (r, g, b, out) => out.set([r, g + 0.1, b]));
    expect(distanceFromIdentity(lut)).toBeCloseTo(0.1, 6);
    expect(distanceFromIdentity(fillLut(9, (r, g, b, out) => out.set([1 - r, g, b])))).toBe(1);
  });
});

describe('scaleLut (the strength trim)', () => {
  // A strong green cast: green lifted by 0.3, red and blue pulled down by 0.2.
  const cast = fillLut(5, (r, g, b, out) => {
    out[0] = r - 0.2;
    out[1] = g + 0.3;
    out[2] = b - 0.2;
  });

  it('0 is the identity, 1 the LUT itself (clipped), both exact', () => {
    expect(Array.from(scaleLut(cast, 0).data)).toEqual(Array.from(identityLut(5).data));
    const one = scaleLut(cast, 1);
    for (let i = 0; i < one.data.length; i++) {
      expect(one.data[i]).toBe(Math.min(1, Math.max(0, cast.data[i]!)));
    }
  });

  it('0.5 is halfway between identity and LUT; 1.5 goes half as far again, clipped to [0, 1]', () => {
    const mid = identityLut(5);
    const i = ((2 * 5 + 2) * 5 + 2) * 3; // the lattice point (0.5, 0.5, 0.5)
    const near = (values: Float32Array, expected: number[]): void => {
      expected.forEach((v, c) => expect(values[c]).toBeCloseTo(v, 6));
    };
    near(scaleLut(cast, 0.5).data.slice(i, i + 3), [0.4, 0.65, 0.4]);
    near(scaleLut(cast, 1.5).data.slice(i, i + 3), [0.2, 0.95, 0.2]);
    expect(mid.data[i]).toBe(0.5);
    const more = scaleLut(cast, 1.5);
    for (const v of more.data) expect(v >= 0 && v <= 1).toBe(true);
  });

  it('writes in place when given its input, and refuses an output of another size', () => {
    const copy = fillLut(5, (r, g, b, out) => {
      out[0] = r - 0.2;
      out[1] = g + 0.3;
      out[2] = b - 0.2;
    });
    expect(scaleLut(copy, 0, copy)).toBe(copy);
    expect(Array.from(copy.data)).toEqual(Array.from(identityLut(5).data));
    expect(() => scaleLut(cast, 0.5, allocLut(4))).toThrow('LUT sizes differ: 5 (source) and 4 (output)');
  });
});
