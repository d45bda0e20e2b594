import { beforeAll, describe, expect, it } from 'vitest';
import { tf, useBackend } from '../../src/models/backend.js';
import { blockAverage, gridFactor } from '../../src/models/grid.js';
import { reduceToGrid } from '../../src/models/layers.js';
import { createRng } from '../../src/detune/random.js';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('the working grid', () => {
  it('brings the 456x256 proxy to 114x64, and leaves a frame already near the grid alone', () => {
    expect(gridFactor(256)).toBe(4);
    expect(gridFactor(64)).toBe(1);
    expect(gridFactor(36)).toBe(1);
    expect(gridFactor(1080)).toBe(17);
  });

  it('averages blocks in JavaScript exactly as the networks do (odd sizes drop the partial blocks)', () => {
    const rng = createRng(2);
    const width = 39;
    const height = 23;
    const rgb = new Uint8Array(width * height * 3).map(() => Math.floor(rng() * 256));
    const js = blockAverage(rgb, width, height, 4);
    expect([js.width, js.height]).toEqual([9, 5]);
    const t = tf.tidy(() =>
      reduceToGrid(
        tf.tensor4d(
          Float32Array.from(rgb, (v) => v / 255),
          [1, height, width, 3],
        ),
        4,
      ).dataSync(),
    );
    expect(t.length).toBe(js.data.length);
    for (let i = 0; i < t.length; i++) expect(js.data[i]).toBeCloseTo(t[i]!, 5);
  });

  it('flips left-right when asked', () => {
    const rgb = new Uint8Array([0, 0, 0, 255, 255, 255]);
    expect(Array.from(blockAverage(rgb, 2, 1, 1, true).data)).toEqual([1, 1, 1, 0, 0, 0]);
  });
});
