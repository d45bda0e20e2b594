import { describe, expect, it } from 'vitest';
import { downscaleRgb24 } from '../../src/image/downscale.js';
import { createRng } from '../../src/detune/random.js';

/**
 * The proxy the live source makes: each output pixel the rounded mean of its box of source
 * pixels, the boxes tiling the picture (columns [round(x W / w), round((x + 1) W / w)), at least
 * one pixel). The reference sums every box pixel by pixel.
 */
function reference(
  src: Uint8Array,
  W: number,
  H: number,
  dst: Uint8Array,
  dstWidth: number,
  rect: { x: number; y: number; width: number; height: number },
): void {
  for (let y = 0; y < rect.height; y++) {
    const ya = Math.round((y * H) / rect.height);
    const yb = Math.max(ya + 1, Math.round(((y + 1) * H) / rect.height));
    for (let x = 0; x < rect.width; x++) {
      const xa = Math.round((x * W) / rect.width);
      const xb = Math.max(xa + 1, Math.round(((x + 1) * W) / rect.width));
      for (let c = 0; c < 3; c++) {
        let sum = 0;
        for (let sy = ya; sy < yb; sy++) for (let sx = xa; sx < xb; sx++) sum += src[(sy * W + sx) * 3 + c]!;
        dst[((rect.y + y) * dstWidth + rect.x + x) * 3 + c] = Math.round(
          sum / ((yb - ya) * (xb - xa)) + 1e-9,
        );
      }
    }
  }
}

function noise(bytes: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  return Uint8Array.from({ length: bytes }, () => Math.floor(rng() * 256));
}

describe('downscaleRgb24', () => {
  it.each([
    [960, 540, 456, 256, { x: 0, y: 0, width: 456, height: 256 }],
    [640, 360, 456, 256, { x: 0, y: 0, width: 456, height: 256 }], // boxes of 1 and 2 pixels
    [97, 61, 40, 30, { x: 3, y: 4, width: 33, height: 19 }], // odd sizes, a padded rectangle
    [20, 10, 20, 10, { x: 0, y: 0, width: 20, height: 10 }], // the same size: a copy
  ])('%ix%i into %ix%i: every pixel the rounded mean of its box', (W, H, dw, dh, rect) => {
    const src = noise(W * H * 3, W + H);
    const got = new Uint8Array(dw * dh * 3).fill(7);
    const want = new Uint8Array(dw * dh * 3).fill(7);
    downscaleRgb24(src, W, H, got, dw, rect);
    reference(src, W, H, want, dw, rect);
    expect(Buffer.from(got).equals(Buffer.from(want))).toBe(true);
  });

  it('leaves the pixels outside the rectangle as they were', () => {
    const dst = new Uint8Array(10 * 10 * 3).fill(9);
    downscaleRgb24(new Uint8Array(40 * 40 * 3).fill(200), 40, 40, dst, 10, {
      x: 2,
      y: 3,
      width: 5,
      height: 4,
    });
    expect(dst[0]).toBe(9);
    expect(dst[((3 * 10 + 2) * 3) | 0]).toBe(200);
    expect(dst[((7 * 10 + 2) * 3) | 0]).toBe(9);
  });
});
