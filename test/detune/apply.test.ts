import { describe, expect, it } from 'vitest';
import {
  applyDetune,
  applyDetunes,
  applyDetunes16,
  compileDetunes,
  detuneTables,
} from '../../src/detune/apply.js';
import { FAMILIES, parseDetuneList, type Detune, type DetuneFamily } from '../../src/detune/families.js';
import { createRng } from '../../src/detune/random.js';
import { UsageError } from '../../src/util/errors.js';

/** Applies a detune list given as text to rgb24 pixels given as numbers. */
function detune8(pixels: number[], list: string): number[] {
  const src = Uint8Array.from(pixels);
  const dst = new Uint8Array(src.length);
  applyDetunes(src, dst, parseDetuneList(list));
  return [...dst];
}

function detune16(pixels: number[], list: string): number[] {
  const src = Uint16Array.from(pixels);
  const dst = new Uint16Array(src.length);
  applyDetunes16(src, dst, parseDetuneList(list));
  return [...dst];
}

/**
 * The table of docs/detunes.md transcribed literally, one pixel at a time, with no tables: the reference
 * the fast kernel must match bit for bit. `max` is 255 or 65535.
 */
function reference(src: ArrayLike<number>, detunes: readonly Detune[], max: number): Float64Array {
  const order = [...detunes].sort((x, y) => FAMILIES.indexOf(x.family) - FAMILIES.indexOf(y.family));
  const q = (v: number) => Math.round(Math.min(1, Math.max(0, v)) * max);
  const out = new Float64Array(src.length);
  for (let i = 0; i < src.length; i += 3) {
    let R = src[i]!;
    let G = src[i + 1]!;
    let B = src[i + 2]!;
    for (const { family, amount } of order) {
      if (amount === 0) continue;
      const L = amount / 3;
      const r = R / max;
      const g = G / max;
      const b = B / max;
      const each = (f: (x: number) => number) => {
        R = q(f(r));
        G = q(f(g));
        B = q(f(b));
      };
      switch (family) {
        case 'green':
          G = q(g * (1 + 0.3 * L));
          break;
        case 'blue':
          B = q(b * (1 + 0.3 * L));
          break;
        case 'orange':
          R = q(r * (1 + 0.3 * L));
          G = q(g * (1 + 0.12 * L));
          break;
        case 'black-high':
          each((x) => 0.12 * L + (1 - 0.12 * L) * x);
          break;
        case 'black-low':
          each((x) => (x - 0.08 * L) / (1 - 0.08 * L));
          break;
        case 'white-low':
          each((x) => x * (1 - 0.3 * L));
          break;
        case 'contrast-high':
          each((x) => 0.5 + (x - 0.5) * (1 + 0.6 * L));
          break;
        case 'saturation-low': {
          const Y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
          each((x) => Y + (x - Y) * (1 - 0.6 * L));
          break;
        }
      }
    }
    out[i] = R;
    out[i + 1] = G;
    out[i + 2] = B;
  }
  return out;
}

/** The first place where the kernel's output and the reference differ, or null: readable and fast on big frames. */
function firstDifference(actual: ArrayLike<number>, expected: ArrayLike<number>): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} against ${expected.length}`;
  for (let i = 0; i < actual.length; i++) {
    if (actual[i] !== expected[i])
      return `value ${i} (pixel ${Math.floor(i / 3)}): ${actual[i]} against ${expected[i]}`;
  }
  return null;
}

function randomImage8(width: number, height: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  return Uint8Array.from({ length: width * height * 3 }, () => Math.floor(rng() * 256));
}

describe('applyDetunes on rgb24: each family at hand-computed values', () => {
  // Arithmetic in 8-bit units: x' = 255 f(x / 255), then clipped to [0, 255] and rounded half up.
  // L = amount / 3: level 1 is L = 1/3, level 3 is L = 1.
  const green = 'green scales G by 1 + 0.30 L';
  const saturation = 'saturation-low pulls each channel toward luma: x = Y + (x - Y)(1 - 0.6 L)';
  // Each row: the detune, the rule of docs/detunes.md it follows, pixels in, pixels out, the arithmetic.
  it.each<[string, string, number[], number[], string]>([
    [
      'green-3',
      green,
      [7, 101, 9, 7, 200, 9],
      [7, 131, 9, 7, 255, 9],
      '101 * 1.3 = 131.3 -> 131; 200 * 1.3 = 260 -> clipped 255; R and B untouched',
    ],
    ['green-1', green, [0, 101, 0], [0, 111, 0], '101 * 1.1 = 111.1 -> 111'],
    ['green-2', green, [0, 101, 0], [0, 121, 0], '101 * 1.2 = 121.2 -> 121'],
    ['green:1.5', green, [0, 101, 0], [0, 116, 0], 'L = 0.5: 101 * 1.15 = 116.15 -> 116'],
    ['blue-1', 'blue scales B by 1 + 0.30 L', [50, 60, 101], [50, 60, 111], '101 * 1.1 = 111.1 -> 111'],
    [
      'orange-3',
      'orange scales R by 1 + 0.30 L and G by 1 + 0.12 L',
      [101, 101, 101],
      [131, 113, 101],
      'R 101 * 1.3 = 131.3 -> 131; G 101 * 1.12 = 113.12 -> 113; B stays 101',
    ],
    [
      'black-high-3',
      'black-high lifts black: x = b + (1 - b) x with b = 0.12 L',
      [0, 100, 255],
      [31, 119, 255],
      'b = 0.12, in 8-bit units 30.6 + 0.88 x: 0 -> 30.6 -> 31; 100 -> 118.6 -> 119; 255 -> 255',
    ],
    [
      'black-low-1',
      'black-low crushes black: x = (x - b) / (1 - b) with b = 0.08 L',
      [0, 100, 255],
      [0, 96, 255],
      'b = 0.08 / 3, 255 b = 6.8, 1 - b = 0.973333: 0 -> -6.99 -> 0; 100 -> 93.2 / 0.973333 = 95.75 -> 96; 255 -> 255',
    ],
    [
      'white-low-2',
      'white-low scales every channel by 1 - 0.30 L',
      [200, 101, 0],
      [160, 81, 0],
      'L = 2/3, factor 0.8: 200 -> 160; 101 -> 80.8 -> 81; 0 -> 0',
    ],
    [
      'contrast-high-3',
      'contrast-high stretches about 0.5: x = 0.5 + (x - 0.5)(1 + 0.6 L)',
      [101, 201, 10],
      [85, 245, 0],
      'factor 1.6 about 127.5: 101 -> 127.5 - 26.5 * 1.6 = 85.1 -> 85; 201 -> 127.5 + 73.5 * 1.6 = 245.1 -> 245; 10 -> 127.5 - 117.5 * 1.6 = -60.5 -> 0',
    ],
    [
      'saturation-low-3',
      saturation,
      [200, 100, 50],
      [151, 111, 91],
      'factor 0.4; Y = 0.2126 * 200 + 0.7152 * 100 + 0.0722 * 50 = 117.65: R = 117.65 + 82.35 * 0.4 = 150.59 -> 151; ' +
        'G = 117.65 - 17.65 * 0.4 = 110.59 -> 111; B = 117.65 - 67.65 * 0.4 = 90.59 -> 91',
    ],
    ['saturation-low-3', saturation, [77, 77, 77], [77, 77, 77], 'a grey has Y = x, so it stays'],
  ])('%s: %s', (list, _rule, input, output) => {
    expect(detune8(input, list)).toEqual(output);
  });
});

describe('applyDetunes: several detunes', () => {
  it('applies them in table order whatever order they are given in', () => {
    // green first: 101 -> 131 (131.3 rounded), then contrast-high-3: 127.5 + 3.5 * 1.6 = 133.1 -> 133.
    // (contrast first would give 85, then 85 * 1.3 = 110.5: nowhere near 133.)
    const given = [
      { family: 'contrast-high', amount: 3 },
      { family: 'green', amount: 3 },
    ] as const;
    const dst = new Uint8Array(3);
    applyDetunes(Uint8Array.from([0, 101, 0]), dst, given);
    expect([...dst]).toEqual([0, 133, 0]);
  });

  it('rounds each detune to 8 bits before the next', () => {
    // green-1 then white-low-3 on G = 16: 16 * 1.1 = 17.6 -> 18, then 18 * 0.7 = 12.6 -> 13.
    // Without the rounding in between it would be 17.6 * 0.7 = 12.32 -> 12.
    expect(detune8([0, 16, 0], 'green-1,white-low-3')).toEqual([0, 13, 0]);
  });

  it('runs per-channel detunes and saturation-low in the same pass, saturation last', () => {
    // white-low-3 (factor 0.7) on (200, 100, 50): 140, 70, 35.
    // Then saturation-low-3 (factor 0.4): Y = 0.2126 * 140 + 0.7152 * 70 + 0.0722 * 35
    // = 29.764 + 50.064 + 2.527 = 82.355; R = 82.355 + 57.645 * 0.4 = 105.413 -> 105;
    // G = 82.355 - 12.355 * 0.4 = 77.413 -> 77; B = 82.355 - 47.355 * 0.4 = 63.413 -> 63.
    expect(detune8([200, 100, 50], 'saturation-low-3,white-low-3')).toEqual([105, 77, 63]);
  });

  it('matches the literal per-pixel reference on a random 385x289 image, for random lists', () => {
    const src = randomImage8(385, 289, 7);
    const rng = createRng(11);
    for (let trial = 0; trial < 4; trial++) {
      const detunes = FAMILIES.filter(() => rng() < 0.5).map((family) => ({
        family,
        amount: trial % 2 === 0 ? 1 + Math.floor(rng() * 3) : 3 * rng(),
      }));
      const dst = new Uint8Array(src.length);
      applyDetunes(src, dst, detunes);
      expect(firstDifference(dst, reference(src, detunes, 255)), JSON.stringify(detunes)).toBeNull();
    }
  });

  it('matches the reference for every family at every level on all 256 grey levels and random colours', () => {
    const src = new Uint8Array(256 * 3 * 2);
    for (let v = 0; v < 256; v++) src.set([v, v, v], v * 3);
    src.set(randomImage8(256, 1, 3), 768);
    for (const family of FAMILIES) {
      for (const amount of [1, 2, 3]) {
        const dst = new Uint8Array(src.length);
        applyDetune(src, dst, { family, amount });
        expect(
          firstDifference(dst, reference(src, [{ family, amount }], 255)),
          `${family}-${amount}`,
        ).toBeNull();
      }
    }
  });
});

describe('applyDetunes: identity and aliasing', () => {
  it('leaves every value unchanged at amount 0, for every family', () => {
    const src = randomImage8(17, 15, 5);
    for (const family of FAMILIES) {
      const dst = new Uint8Array(src.length);
      applyDetune(src, dst, { family, amount: 0 });
      expect(dst).toEqual(src);
    }
  });

  it('copies src to dst for an empty list', () => {
    const src = randomImage8(3, 2, 6);
    const dst = new Uint8Array(src.length);
    applyDetunes(src, dst, []);
    expect(dst).toEqual(src);
  });

  it('works in place (src and dst the same array) with the same result', () => {
    const src = randomImage8(33, 7, 8);
    const detunes = parseDetuneList('orange:1.7,black-low-2,contrast-high:0.4,saturation-low-2');
    const expected = new Uint8Array(src.length);
    applyDetunes(src, expected, detunes);
    applyDetunes(src, src, detunes);
    expect(src).toEqual(expected);
  });

  it('compiles once and runs on frames of different sizes', () => {
    const kernel = compileDetunes(parseDetuneList('blue-2'));
    const small = Uint8Array.from([0, 0, 100]);
    const big = Uint8Array.from([0, 0, 100, 0, 0, 200]);
    kernel(small, small);
    kernel(big, big);
    // blue-2: factor 1.2: 100 -> 120; 200 -> 240.
    expect([...small]).toEqual([0, 0, 120]);
    expect([...big]).toEqual([0, 0, 120, 0, 0, 240]);
  });
});

describe('applyDetunes: errors', () => {
  it('rejects a bad family or amount with E_USAGE', () => {
    const px = new Uint8Array(3);
    expect(() => applyDetunes(px, px, [{ family: 'pink' as DetuneFamily, amount: 1 }])).toThrow(UsageError);
    expect(() => applyDetunes(px, px, [{ family: 'green', amount: 4 }])).toThrow(
      'Expected number between 0 and 3 for green amount but received 4 of type number',
    );
  });

  it('rejects data that is not whole pixels, and dst of another size', () => {
    expect(() => applyDetunes(new Uint8Array(4), new Uint8Array(4), [])).toThrow(
      'Expected rgb24 data (length a multiple of 3) for src but received length 4 of type number',
    );
    expect(() => applyDetunes(new Uint8Array(6), new Uint8Array(3), [])).toThrow(
      'dst length (3) does not match src length (6)',
    );
  });
});

describe('applyDetunes16 on rgb48', () => {
  it('scales by 65535 and rounds to 16 bits', () => {
    // green-3: 10001 * 1.3 = 13001.3 -> 13001; 60000 * 1.3 = 78000 -> clipped 65535.
    expect(detune16([1, 10001, 2, 1, 60000, 2], 'green-3')).toEqual([1, 13001, 2, 1, 65535, 2]);
    // contrast-high-3 about 32767.5: 30001 -> 32767.5 - 2766.5 * 1.6 = 28341.1 -> 28341.
    expect(detune16([30001, 30001, 30001], 'contrast-high-3')).toEqual([28341, 28341, 28341]);
    // saturation-low-3 on (50000, 20000, 10000): Y = 10630 + 14304 + 722 = 25656;
    // R = 25656 + 24344 * 0.4 = 35393.6 -> 35394; G = 25656 - 5656 * 0.4 = 23393.6 -> 23394;
    // B = 25656 - 15656 * 0.4 = 19393.6 -> 19394.
    expect(detune16([50000, 20000, 10000], 'saturation-low-3')).toEqual([35394, 23394, 19394]);
  });

  it('matches the literal reference on random 16-bit pixels', () => {
    const rng = createRng(21);
    const src = Uint16Array.from({ length: 3 * 4000 }, () => Math.floor(rng() * 65536));
    const detunes = parseDetuneList(
      'orange:2.2,black-high-1,black-low:0.7,contrast-high:1.9,saturation-low:2.5',
    );
    const dst = new Uint16Array(src.length);
    applyDetunes16(src, dst, detunes);
    expect(firstDifference(dst, reference(src, detunes, 65535))).toBeNull();
  });

  it('is the identity at amount 0 and works in place', () => {
    const src = Uint16Array.from([0, 1, 65535, 32768, 12345, 54321]);
    const dst = new Uint16Array(src.length);
    applyDetunes16(
      src,
      dst,
      FAMILIES.map((family) => ({ family, amount: 0 })),
    );
    expect(dst).toEqual(src);
    applyDetunes16(src, src, parseDetuneList('white-low-2'));
    // factor 0.8: 0, 0.8 -> 1, 52428, 26214.4 -> 26214, 9876, 43456.8 -> 43457.
    expect([...src]).toEqual([0, 1, 52428, 26214, 9876, 43457]);
  });
});

describe('detuneTables', () => {
  it('exposes the composed per-channel tables and the saturation factors', () => {
    const t = detuneTables(parseDetuneList('green-3,white-low-2,saturation-low-1'));
    // G: 101 -> 131 (green-3), -> 131 * 0.8 = 104.8 -> 105 (white-low-2). R: 101 * 0.8 = 80.8 -> 81.
    expect(t.g[101]).toBe(105);
    expect(t.r[101]).toBe(81);
    expect(t.b[101]).toBe(81);
    // saturation-low-1: 1 - 0.6 / 3 = 0.8.
    expect(t.saturation).toHaveLength(1);
    expect(t.saturation[0]).toBeCloseTo(0.8, 12);
  });
});
