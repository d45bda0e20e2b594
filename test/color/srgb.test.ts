import { describe, expect, it } from 'vitest';
import {
  D65_WHITE,
  SRGB_TO_LINEAR,
  linearToXyz,
  meanLab,
  srgb8ToLab,
  srgbToLinear,
  xyzToLab,
} from '../../src/color/srgb.js';

describe('sRGB transfer (IEC 61966-2-1)', () => {
  it('is linear below 0.04045 and a 2.4 power above', () => {
    // 10 / 255 = 0.0392157 <= 0.04045: 0.0392157 / 12.92 = 0.00303527.
    expect(SRGB_TO_LINEAR[10]).toBeCloseTo(0.00303527, 8);
    // 11 / 255 = 0.0431373 > 0.04045: ((0.0431373 + 0.055) / 1.055)^2.4 = 0.0930211^2.4
    // = exp(2.4 * ln 0.0930211) = exp(2.4 * -2.374929) = exp(-5.699830) = 0.00334654.
    expect(SRGB_TO_LINEAR[11]).toBeCloseTo(0.00334654, 8);
    // 128 / 255 = 0.501961: (0.556961 / 1.055)^2.4 = 0.527925^2.4 = exp(2.4 * -0.638800) = 0.2158605.
    expect(SRGB_TO_LINEAR[128]).toBeCloseTo(0.2158605, 7);
  });

  it('maps 0 to 0 and 255 to 1, and the table equals the formula for every code', () => {
    expect(SRGB_TO_LINEAR[0]).toBe(0);
    expect(SRGB_TO_LINEAR[255]).toBe(1);
    expect(SRGB_TO_LINEAR).toHaveLength(256);
    for (let i = 0; i < 256; i++) expect(SRGB_TO_LINEAR[i]).toBe(srgbToLinear(i / 255));
  });

  it('is continuous where the two pieces meet', () => {
    // At 0.04045: 0.04045 / 12.92 = 0.003130805 and ((0.04045 + 0.055) / 1.055)^2.4 = 0.003130807.
    expect(srgbToLinear(0.04045)).toBeCloseTo(0.003130805, 9);
    expect(Math.abs(srgbToLinear(0.04045 + 1e-12) - srgbToLinear(0.04045))).toBeLessThan(1e-8);
  });
});

describe('linear RGB to XYZ and CIELAB', () => {
  it('uses the sRGB matrix, whose row sums are the D65 white', () => {
    const [X, Y, Z] = linearToXyz(1, 1, 1);
    // 0.4124 + 0.3576 + 0.1805 = 0.9505; 0.2126 + 0.7152 + 0.0722 = 1; 0.0193 + 0.1192 + 0.9505 = 1.089.
    expect(X).toBeCloseTo(0.9505, 12);
    expect(Y).toBeCloseTo(1, 12);
    expect(Z).toBeCloseTo(1.089, 12);
    expect(D65_WHITE).toEqual({ X: 0.9505, Y: 1, Z: 1.089 });
    expect(linearToXyz(0, 1, 0)).toEqual([0.3576, 0.7152, 0.1192]);
  });

  it('gives white L* 100 and black L* 0, both neutral', () => {
    const white = srgb8ToLab(255, 255, 255);
    expect(white.L).toBeCloseTo(100, 10);
    expect(white.a).toBeCloseTo(0, 10);
    expect(white.b).toBeCloseTo(0, 10);
    expect(srgb8ToLab(0, 0, 0)).toEqual({ L: 0, a: 0, b: 0 });
  });

  it('gives mid grey 128 L* 53.585 and no chroma', () => {
    // Y = 0.2158605 (above); f = cbrt(0.2158605) = 0.599871; L* = 116 * 0.599871 - 16 = 53.5850.
    const grey = srgb8ToLab(128, 128, 128);
    expect(grey.L).toBeCloseTo(53.585, 3);
    expect(grey.a).toBeCloseTo(0, 10);
    expect(grey.b).toBeCloseTo(0, 10);
  });

  it('uses the linear segment of f below (6/29)^3 = 0.008856', () => {
    // (1, 1, 1): Y = 1 / 255 / 12.92 = 0.000303527 < 0.008856, so f = Y * 841/108 + 4/29 and
    // L* = 116 f - 16 = Y * 116 * 841 / 108 = Y * 903.2963 = 0.274175.
    expect(srgb8ToLab(1, 1, 1).L).toBeCloseTo(0.274175, 6);
  });

  it('gives sRGB red (53.2329, 80.1053, 67.2228)', () => {
    // Linear (1, 0, 0) -> XYZ (0.4124, 0.2126, 0.0193). X/Xn = 0.4124 / 0.9505 = 0.433877,
    // Z/Zn = 0.0193 / 1.089 = 0.0177227. f: cbrt(0.433877) = 0.7570458, cbrt(0.2126) = 0.5968352,
    // cbrt(0.0177227) = 0.2607213 (all above 0.008856).
    // L* = 116 * 0.5968352 - 16 = 53.2329; a* = 500 * (0.7570458 - 0.5968352) = 80.1053;
    // b* = 200 * (0.5968352 - 0.2607213) = 67.2228.
    const red = srgb8ToLab(255, 0, 0);
    expect(red.L).toBeCloseTo(53.2329, 3);
    expect(red.a).toBeCloseTo(80.1053, 3);
    expect(red.b).toBeCloseTo(67.2228, 3);
  });

  it('xyzToLab of the white itself is (100, 0, 0)', () => {
    expect(xyzToLab(D65_WHITE.X, D65_WHITE.Y, D65_WHITE.Z)).toEqual({ L: 100, a: 0, b: 0 });
  });

  it('rejects codes outside 0..255', () => {
    expect(() => srgb8ToLab(256, 0, 0)).toThrow(
      'Expected integer between 0 and 255 for r but received 256 of type number',
    );
    expect(() => srgb8ToLab(0, 1.5, 0)).toThrow('for g but received 1.5 of type number');
  });
});

describe('meanLab', () => {
  it('averages L*, a*, b* over pixels: black and white give (50, 0, 0)', () => {
    const m = meanLab(Uint8Array.from([0, 0, 0, 255, 255, 255]));
    expect(m.L).toBeCloseTo(50, 10);
    expect(m.a).toBeCloseTo(0, 10);
    expect(m.b).toBeCloseTo(0, 10);
  });

  it('averages the Lab of each pixel, not the Lab of the mean RGB', () => {
    // Red and black: ((53.2329 + 0) / 2, 80.1053 / 2, 67.2228 / 2) = (26.6164, 40.0527, 33.6114).
    // The Lab of the mean RGB (128, 0, 0) would have L* 25.5, not 26.6.
    const m = meanLab(Uint8Array.from([255, 0, 0, 0, 0, 0]));
    expect(m.L).toBeCloseTo(26.6164, 3);
    expect(m.a).toBeCloseTo(40.0527, 3);
    expect(m.b).toBeCloseTo(33.6114, 3);
  });

  it('of a uniform image is the colour itself', () => {
    const img = new Uint8Array(7 * 5 * 3).fill(128);
    expect(meanLab(img).L).toBeCloseTo(53.585, 3);
  });

  it('rejects an empty image', () => {
    expect(() => meanLab(new Uint8Array(0))).toThrow(
      'Expected rgb24 data (a positive length, multiple of 3) for image but received length 0 of type number',
    );
  });
});
