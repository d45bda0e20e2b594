import { describe, expect, it } from 'vitest';
import { allocLut, applyLut, fillLut, identityLut, type Lut3d } from '../../src/correction/lut3d.js';
import { WasmRgb24Lut } from '../../src/lut/rgb24Wasm.js';
import { bytes } from './random.js';

/**
 * What the kernel computes, per pixel and plainly: the JavaScript kernel the preview used before
 * it. Each 8-bit value v has the lattice position v / 255 * (size - 1), a cell (at most size - 2)
 * and the fraction into it, held in single precision; the tetrahedron and weights are
 * `sampleLut`'s, in double precision; out = sum * 255 + 0.5, clamped to 0-255 and truncated (NaN
 * gives 0, as a Uint8Array store does). `sampleLut` itself differs a little: see the last test.
 */
function reference(lut: Lut3d, src: Uint8Array, pixels: number): Uint8Array {
  const n = lut.size;
  const max = n - 1;
  const d = lut.data;
  const dst = new Uint8Array(pixels * 3);
  const position = (v: number): [cell: number, fraction: number] => {
    const f = (v / 255) * max;
    const cell = Math.min(Math.floor(f), max - 1);
    return [cell, Math.fround(f - cell)];
  };
  const point = (r: number, g: number, b: number): number => ((b * n + g) * n + r) * 3;
  for (let p = 0; p < pixels; p++) {
    const [r0, dr] = position(src[p * 3]!);
    const [g0, dg] = position(src[p * 3 + 1]!);
    const [b0, db] = position(src[p * 3 + 2]!);
    // sampleLut's tetrahedron: the axes stepped along from corner 000 to A and to B, the weights.
    let t: [a: string, b: string, w: number[]];
    if (dr > dg) {
      if (dg > db) t = ['r', 'rg', [1 - dr, dr - dg, dg - db, db]];
      else if (dr > db) t = ['r', 'rb', [1 - dr, dr - db, db - dg, dg]];
      else t = ['b', 'rb', [1 - db, db - dr, dr - dg, dg]];
    } else if (db > dg) t = ['b', 'gb', [1 - db, db - dg, dg - dr, dr]];
    else if (db > dr) t = ['g', 'gb', [1 - dg, dg - db, db - dr, dr]];
    else t = ['g', 'rg', [1 - dg, dg - dr, dr - db, db]];
    const [a, b, w] = t;
    const along = (axes: string): number =>
      point(r0 + +axes.includes('r'), g0 + +axes.includes('g'), b0 + +axes.includes('b'));
    const corners = [along(''), along(a), along(b), along('rgb')];
    for (let c = 0; c < 3; c++) {
      const sum =
        w[0]! * d[corners[0]! + c]! +
        w[1]! * d[corners[1]! + c]! +
        w[2]! * d[corners[2]! + c]! +
        w[3]! * d[corners[3]! + c]!;
      const v = sum * 255 + 0.5;
      dst[p * 3 + c] = Number.isNaN(v) ? 0 : v <= 0 ? 0 : v >= 255 ? 255 : Math.trunc(v);
    }
  }
  return dst;
}

/** `pixels` pixels of uniformly random bytes. */
function noise(pixels: number, seed: number): Uint8Array {
  const next = bytes(seed);
  return Uint8Array.from({ length: pixels * 3 }, next);
}

/** A smooth picture: three ramps at different angles, with long runs of one colour. */
function gradient(width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      out[i] = Math.floor((x * 255) / (width - 1));
      out[i + 1] = Math.floor((y * 255) / (height - 1));
      out[i + 2] = Math.floor(((x + y) * 255) / (width + height - 2));
    }
  }
  return out;
}

/** A LUT of uniformly random values in [-0.25, 1.25]: a third of them outside 0-1. */
function randomLut(size: number, seed: number): Lut3d {
  const next = bytes(seed);
  const lut = allocLut(size);
  for (let i = 0; i < lut.data.length; i++) lut.data[i] = ((next() << 8) | next()) / 65535 / (2 / 3) - 0.25;
  return lut;
}

let colours: Uint8Array | undefined;

/** Every one of the 2^24 colours, once. */
function allColours(): Uint8Array {
  if (colours) return colours;
  const out = (colours = new Uint8Array(3 << 24));
  for (let i = 0; i < 1 << 24; i++) {
    out[i * 3] = i & 255;
    out[i * 3 + 1] = (i >> 8) & 255;
    out[i * 3 + 2] = i >> 16;
  }
  return out;
}

function run(kernel: WasmRgb24Lut, lut: Lut3d, src: Uint8Array, pixels: number): Uint8Array {
  const dst = new Uint8Array(pixels * 3);
  kernel.apply(lut, src, dst, pixels);
  return dst;
}

const SIZES = [2, 17, 25, 33, 65];
/** An odd picture size: 385x289, not a multiple of anything the kernel might step by. */
const PIXELS = 385 * 289;

describe('WasmRgb24Lut (WebAssembly SIMD)', () => {
  const kernel = new WasmRgb24Lut();

  it.each(SIZES)(
    'size %i: random LUTs (values outside 0-1 included) on random pictures give the reference, byte for byte',
    (size) => {
      for (let seed = 1; seed <= 3; seed++) {
        const lut = randomLut(size, 100 * size + seed);
        const src = noise(PIXELS, seed);
        expect(Buffer.compare(run(kernel, lut, src, PIXELS), reference(lut, src, PIXELS))).toBe(0);
      }
    },
  );

  it.each(SIZES)('size %i: a smooth LUT on a smooth picture gives the reference, byte for byte', (size) => {
    const lut = fillLut(size, (r, g, b, out) => {
      out[0] = r * 1.1 - 0.02;
      out[1] = g * g;
      out[2] = Math.sqrt(b) * 0.95;
    });
    const src = gradient(385, 289);
    expect(Buffer.compare(run(kernel, lut, src, PIXELS), reference(lut, src, PIXELS))).toBe(0);
  });

  it('clamps to 0-255 what the LUT puts outside 0-1, and makes NaN 0', () => {
    const src = noise(1000, 7);
    const constant = (value: number): Lut3d => {
      const lut = allocLut(17);
      lut.data.fill(value);
      return lut;
    };
    expect(run(kernel, constant(1.5), src, 1000).every((v) => v === 255)).toBe(true);
    expect(run(kernel, constant(-0.5), src, 1000).every((v) => v === 0)).toBe(true);
    expect(run(kernel, constant(NaN), src, 1000).every((v) => v === 0)).toBe(true);
    // Just outside: 255.6 codes round to 256, -1.6 to -1 (a Uint8Array would wrap both).
    const edges = fillLut(2, (r, g, b, out) => {
      out[0] = 255.6 / 255;
      out[1] = -1.6 / 255;
      out[2] = r > 0.5 ? 254.4 / 255 : 0.6 / 255;
    });
    const corners = Uint8Array.from([0, 0, 0, 255, 255, 255]);
    expect([...run(kernel, edges, corners, 2)]).toEqual([255, 0, 1, 255, 0, 254]);
  });

  it('a LUT holding infinities and NaN at some points: the reference, byte for byte (the same corners on ties)', () => {
    for (const size of [2, 17]) {
      const lut = randomLut(size, size);
      const next = bytes(size);
      for (let i = 0; i < lut.data.length; i++) {
        const pick = next();
        if (pick < 8) lut.data[i] = Infinity;
        else if (pick < 16) lut.data[i] = -Infinity;
        else if (pick < 24) lut.data[i] = NaN;
      }
      // Random bytes, and colours with equal channels: equal fractions, where only the choice
      // of corners decides whether 0 * Infinity (NaN) enters the sum.
      const src = noise(PIXELS, size);
      for (let i = 0; i < src.length; i += 6) src[i + 1] = src[i]!;
      expect(Buffer.compare(run(kernel, lut, src, PIXELS), reference(lut, src, PIXELS))).toBe(0);
    }
  });

  it.each(SIZES)('size %i: the identity leaves every one of the 2^24 colours as it is', (size) => {
    const src = allColours();
    expect(Buffer.compare(run(kernel, identityLut(size), src, 1 << 24), src)).toBe(0);
  });

  it('grades pixel counts that are no multiple of anything, and none, leaving the rest of dst alone', () => {
    const lut = randomLut(25, 5);
    const src = noise(40, 9);
    for (const pixels of [0, 1, 2, 3, 5, 7, 31]) {
      const dst = new Uint8Array(40 * 3).fill(0xab);
      kernel.apply(lut, src, dst, pixels);
      expect(Buffer.compare(dst.subarray(0, pixels * 3), reference(lut, src, pixels))).toBe(0);
      expect(dst.subarray(pixels * 3).every((v) => v === 0xab)).toBe(true);
    }
  });

  it('writes in place when dst is src', () => {
    const lut = randomLut(33, 3);
    const src = noise(PIXELS, 4);
    const expected = reference(lut, src, PIXELS);
    kernel.apply(lut, src, src, PIXELS);
    expect(Buffer.compare(src, expected)).toBe(0);
  });

  it('sizes its memory on first use, keeps it while pictures and LUTs fit, and grows for bigger ones', () => {
    const fresh = new WasmRgb24Lut();
    const small = noise(16, 1);
    const lut = randomLut(25, 1);
    run(fresh, lut, small, 16);
    const first = fresh.memoryBytes;
    // The same again, a smaller picture, a LUT of 65^3 (reserved for from the start): no growth.
    expect(Buffer.compare(run(fresh, lut, small, 16), reference(lut, small, 16))).toBe(0);
    const lut65 = randomLut(65, 2);
    expect(Buffer.compare(run(fresh, lut65, small, 7), reference(lut65, small, 7))).toBe(0);
    expect(fresh.memoryBytes).toBe(first);
    // A bigger picture (960x540, the preview's), then a LUT bigger than 65^3: grown once each.
    const big = noise(960 * 540, 2);
    expect(Buffer.compare(run(fresh, lut, big, 960 * 540), reference(lut, big, 960 * 540))).toBe(0);
    const grown = fresh.memoryBytes;
    expect(grown).toBeGreaterThan(first);
    expect(Buffer.compare(run(fresh, lut, small, 16), reference(lut, small, 16))).toBe(0);
    expect(fresh.memoryBytes).toBe(grown);
    const huge = randomLut(100, 3);
    expect(Buffer.compare(run(fresh, huge, big, 960 * 540), reference(huge, big, 960 * 540))).toBe(0);
    expect(fresh.memoryBytes).toBeGreaterThan(grown);
  });

  it('refuses a LUT, a pixel count or pictures that do not fit, naming what mismatched', () => {
    const src = new Uint8Array(30);
    expect(() => kernel.apply({ size: 3, data: new Float32Array(80) }, src, src, 10)).toThrow(
      'Expected 81 values for a LUT of size 3 but received 80',
    );
    expect(() => kernel.apply({ size: 1, data: new Float32Array(3) }, src, src, 10)).toThrow(
      'Expected integer between 2 and 256 for LUT size but received 1',
    );
    expect(() => kernel.apply(identityLut(2), src, src, 2.5)).toThrow(
      'Expected a non-negative integer for pixels but received 2.5',
    );
    expect(() => kernel.apply(identityLut(2), src, src, 11)).toThrow(
      'Expected at least 33 bytes (11 rgb24 pixels) for src but received 30',
    );
    expect(() => kernel.apply(identityLut(2), src, new Uint8Array(29), 10)).toThrow(
      'Expected at least 30 bytes (10 rgb24 pixels) for dst but received 29',
    );
  });

  it("agrees with applyLut (sampleLut) within one code, on a few samples in a million: sampleLut's fractions are double, its sums single precision", () => {
    let differing = 0;
    let worst = 0;
    let samples = 0;
    for (const size of SIZES) {
      const lut = randomLut(size, size + 1);
      const src = noise(PIXELS, size + 1);
      const viaSampleLut = { width: PIXELS, height: 1, depth: 8 as const, data: new Uint8Array(PIXELS * 3) };
      applyLut(lut, { width: PIXELS, height: 1, depth: 8, data: src }, viaSampleLut);
      const out = run(kernel, lut, src, PIXELS);
      for (let i = 0; i < out.length; i++) {
        const diff = Math.abs(out[i]! - viaSampleLut.data[i]!);
        worst = Math.max(worst, diff);
        if (diff) differing++;
      }
      samples += out.length;
    }
    expect(worst).toBeLessThanOrEqual(1);
    expect(differing / samples).toBeLessThan(1e-5);
  });
});
