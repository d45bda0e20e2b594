import { describe, expect, it } from 'vitest';
import { deltaE2000, deltaE2000Components, meanDeltaE2000 } from '../../src/color/ciede2000.js';
import { srgb8ToLab } from '../../src/color/srgb.js';
import { createRng } from '../../src/detune/random.js';

/**
 * All 34 test pairs of G. Sharma, W. Wu, E. N. Dalal, "The CIEDE2000 color-difference formula:
 * implementation notes, supplementary test data, and mathematical observations", Color Research &
 * Application 30(1):21-30, 2005, Table 1: L1 a1 b1, L2 a2 b2, ΔE00 (kL = kC = kH = 1).
 * Pairs 7-16 exercise the hue wrap-around and the mean hue near 0/360 degrees.
 */
const SHARMA_2005: ReadonlyArray<readonly [number, number, number, number, number, number, number]> = [
  [50.0, 2.6772, -79.7751, 50.0, 0.0, -82.7485, 2.0425],
  [50.0, 3.1571, -77.2803, 50.0, 0.0, -82.7485, 2.8615],
  [50.0, 2.8361, -74.02, 50.0, 0.0, -82.7485, 3.4412],
  [50.0, -1.3802, -84.2814, 50.0, 0.0, -82.7485, 1.0],
  [50.0, -1.1848, -84.8006, 50.0, 0.0, -82.7485, 1.0],
  [50.0, -0.9009, -85.5211, 50.0, 0.0, -82.7485, 1.0],
  [50.0, 0.0, 0.0, 50.0, -1.0, 2.0, 2.3669],
  [50.0, -1.0, 2.0, 50.0, 0.0, 0.0, 2.3669],
  [50.0, 2.49, -0.001, 50.0, -2.49, 0.0009, 7.1792],
  [50.0, 2.49, -0.001, 50.0, -2.49, 0.001, 7.1792],
  [50.0, 2.49, -0.001, 50.0, -2.49, 0.0011, 7.2195],
  [50.0, 2.49, -0.001, 50.0, -2.49, 0.0012, 7.2195],
  [50.0, -0.001, 2.49, 50.0, 0.0009, -2.49, 4.8045],
  [50.0, -0.001, 2.49, 50.0, 0.001, -2.49, 4.8045],
  [50.0, -0.001, 2.49, 50.0, 0.0011, -2.49, 4.7461],
  [50.0, 2.5, 0.0, 50.0, 0.0, -2.5, 4.3065],
  [50.0, 2.5, 0.0, 73.0, 25.0, -18.0, 27.1492],
  [50.0, 2.5, 0.0, 61.0, -5.0, 29.0, 22.8977],
  [50.0, 2.5, 0.0, 56.0, -27.0, -3.0, 31.903],
  [50.0, 2.5, 0.0, 58.0, 24.0, 15.0, 19.4535],
  [50.0, 2.5, 0.0, 50.0, 3.1736, 0.5854, 1.0],
  [50.0, 2.5, 0.0, 50.0, 3.2972, 0.0, 1.0],
  [50.0, 2.5, 0.0, 50.0, 1.8634, 0.5757, 1.0],
  [50.0, 2.5, 0.0, 50.0, 3.2592, 0.335, 1.0],
  [60.2574, -34.0099, 36.2677, 60.4626, -34.1751, 39.4387, 1.2644],
  [63.0109, -31.0961, -5.8663, 62.8187, -29.7946, -4.0864, 1.263],
  [61.2901, 3.7196, -5.3901, 61.4292, 2.248, -4.962, 1.8731],
  [35.0831, -44.1164, 3.7933, 35.0232, -40.0716, 1.5901, 1.8645],
  [22.7233, 20.0904, -46.694, 23.0331, 14.973, -42.5619, 2.0373],
  [36.4612, 47.858, 18.3852, 36.2715, 50.5065, 21.2231, 1.4146],
  [90.8027, -2.0831, 1.441, 91.1528, -1.6435, 0.0447, 1.4441],
  [90.9257, -0.5406, -0.9208, 88.6381, -0.8985, -0.7239, 1.5381],
  [6.7747, -0.2908, -2.4247, 5.8714, -0.0985, -2.2286, 0.6377],
  [2.0776, 0.0795, -1.135, 0.9033, -0.0636, -0.5514, 0.9082],
];

describe('deltaE2000', () => {
  it('has all 34 published pairs', () => {
    expect(SHARMA_2005).toHaveLength(34);
  });

  it.each(SHARMA_2005.map((row, i) => [i + 1, ...row] as const))(
    'pair %i: (%f, %f, %f) against (%f, %f, %f) is %f to 4 decimals, both ways round',
    (_pair, L1, a1, b1, L2, a2, b2, expected) => {
      // toBeCloseTo(x, 4): |difference| < 0.5e-4, i.e. equal when rounded to 4 decimals like the table.
      expect(deltaE2000({ L: L1, a: a1, b: b1 }, { L: L2, a: a2, b: b2 })).toBeCloseTo(expected, 4);
      expect(deltaE2000({ L: L2, a: a2, b: b2 }, { L: L1, a: a1, b: b1 })).toBeCloseTo(expected, 4);
      expect(deltaE2000Components(L1, a1, b1, L2, a2, b2)).toBe(
        deltaE2000({ L: L1, a: a1, b: b1 }, { L: L2, a: a2, b: b2 }),
      );
    },
  );

  it('is 0 for equal colours, greys and chromatic alike', () => {
    expect(deltaE2000({ L: 50, a: 0, b: 0 }, { L: 50, a: 0, b: 0 })).toBe(0);
    expect(deltaE2000({ L: 37.5, a: -12, b: 44 }, { L: 37.5, a: -12, b: 44 })).toBe(0);
  });

  it('is |ΔL| / S_L between greys: black against white is 100 at mean L 50 where S_L = 1', () => {
    // Greys: C = 0 so ΔC' = ΔH' = 0; L̄' = 50 gives S_L = 1 + 0 = 1, so ΔE00 = 100.
    expect(deltaE2000({ L: 0, a: 0, b: 0 }, { L: 100, a: 0, b: 0 })).toBe(100);
    // L 20 against 30: L̄' = 25, (L̄' - 50)^2 = 625, S_L = 1 + 0.015 * 625 / sqrt(645)
    // = 1 + 9.375 / 25.396850 = 1.369140, ΔE00 = 10 / 1.369140 = 7.30385.
    expect(deltaE2000({ L: 20, a: 0, b: 0 }, { L: 30, a: 0, b: 0 })).toBeCloseTo(7.30385, 5);
  });
});

describe('meanDeltaE2000', () => {
  it('is 0 for identical images', () => {
    const img = Uint8Array.from([1, 2, 3, 250, 128, 0]);
    expect(meanDeltaE2000(img, img.slice())).toBe(0);
  });

  it('averages over pixels: one equal pixel and white against black give (0 + 100) / 2 = 50', () => {
    // sRGB white is L* 100 and black L* 0, both a* = b* = 0; their ΔE00 is 100 (see above).
    const a = Uint8Array.from([10, 20, 30, 255, 255, 255]);
    const b = Uint8Array.from([10, 20, 30, 0, 0, 0]);
    expect(meanDeltaE2000(a, b)).toBeCloseTo(50, 9);
  });

  it('matches converting each pixel to CIELAB and calling deltaE2000', () => {
    // Mid grey 128 (L* 53.58501) against black: L̄' = 26.79251, (L̄' - 50)^2 = 538.5877,
    // S_L = 1 + 0.015 * 538.5877 / sqrt(558.5877) = 1 + 8.078816 / 23.634461 = 1.341824,
    // ΔE00 = 53.58501 / 1.341824 = 39.9345.
    // The third pixel differs in B only, which must count too.
    const a = Uint8Array.from([128, 128, 128, 200, 30, 90, 100, 100, 100]);
    const b = Uint8Array.from([0, 0, 0, 190, 45, 70, 100, 100, 140]);
    const second = deltaE2000(srgb8ToLab(200, 30, 90), srgb8ToLab(190, 45, 70));
    const third = deltaE2000(srgb8ToLab(100, 100, 100), srgb8ToLab(100, 100, 140));
    expect(third).toBeGreaterThan(5);
    expect(deltaE2000(srgb8ToLab(128, 128, 128), srgb8ToLab(0, 0, 0))).toBeCloseTo(39.9345, 4);
    expect(meanDeltaE2000(a, b)).toBeCloseTo((39.9345 + second + third) / 3, 4);
  });

  it('measures a 456x256 frame in well under 100 ms', () => {
    const rng = createRng(99);
    const n = 456 * 256 * 3;
    const a = new Uint8Array(n);
    const b = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      a[i] = Math.floor(rng() * 256);
      b[i] = Math.floor(rng() * 256); // nearly every pixel differs: the worst case
    }
    meanDeltaE2000(a, b); // warm up the JIT
    // CPU time of this process (user + system), fastest of three runs, so that other processes sharing
    // the machine (ffmpeg, other test files) do not count. About 45 ms on one core here.
    let fastest = Infinity;
    for (let i = 0; i < 3; i++) {
      const before = process.cpuUsage();
      meanDeltaE2000(a, b);
      const used = process.cpuUsage(before);
      fastest = Math.min(fastest, (used.user + used.system) / 1000);
    }
    expect(fastest).toBeLessThan(100);
  });

  it('rejects images of different sizes or not made of whole pixels', () => {
    expect(() => meanDeltaE2000(new Uint8Array(6), new Uint8Array(3))).toThrow(
      'Image b size (1 pixels) does not match image a size (2 pixels)',
    );
    expect(() => meanDeltaE2000(new Uint8Array(4), new Uint8Array(4))).toThrow(
      'Expected rgb24 data (a positive length, multiple of 3) for image a but received length 4 of type number',
    );
    expect(() => meanDeltaE2000(new Uint8Array(0), new Uint8Array(0))).toThrow(
      'for image a but received length 0',
    );
  });
});
