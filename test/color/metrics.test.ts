import { describe, expect, it } from 'vitest';
import { exactShare, psnr } from '../../src/color/metrics.js';

describe('psnr', () => {
  it('is infinite for identical images', () => {
    const img = Uint8Array.from([1, 2, 3, 4, 5, 6]);
    expect(psnr(img, img.slice())).toBe(Infinity);
  });

  it('is 20 log10(255) = 48.1308 dB when every value is off by one', () => {
    // MSE = 1, PSNR = 10 log10(255^2 / 1) = 20 * 2.4065402 = 48.130804.
    const a = Uint8Array.from([10, 20, 30, 40, 50, 60]);
    const b = Uint8Array.from([11, 19, 31, 39, 51, 59]);
    expect(psnr(a, b)).toBeCloseTo(48.130804, 5);
  });

  it('counts R, G and B values alike: one full-scale error among three values is 10 log10(3) dB', () => {
    // MSE = 255^2 / 3, PSNR = 10 log10(255^2 / (255^2 / 3)) = 10 log10(3) = 4.771213.
    expect(psnr(Uint8Array.from([0, 0, 0]), Uint8Array.from([0, 0, 255]))).toBeCloseTo(4.771213, 5);
  });

  it('rejects images of different sizes', () => {
    expect(() => psnr(new Uint8Array(3), new Uint8Array(6))).toThrow(
      'Image b size (2 pixels) does not match image a size (1 pixels)',
    );
  });
});

describe('exactShare', () => {
  it('is the share of pixels whose three values all match', () => {
    // Four pixels; the third differs in B only: 3 of 4 match = 0.75.
    const a = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    const b = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 10, 10, 11, 12]);
    expect(exactShare(a, b)).toBe(0.75);
  });

  it('is 1 for identical and 0 for wholly different images', () => {
    const a = Uint8Array.from([9, 9, 9, 0, 0, 0]);
    expect(exactShare(a, a.slice())).toBe(1);
    expect(exactShare(a, Uint8Array.from([9, 9, 8, 0, 1, 0]))).toBe(0);
  });

  it('rejects data that is not whole pixels', () => {
    expect(() => exactShare(new Uint8Array(5), new Uint8Array(5))).toThrow(
      'Expected rgb24 data (a positive length, multiple of 3) for image a but received length 5 of type number',
    );
  });
});
