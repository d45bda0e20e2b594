import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGradients, tf, useBackend } from '../../src/models/backend.js';
import { createRng } from '../../src/detune/random.js';

/**
 * Every gradient the models rely on, computed on wasm (with our Conv2DBackpropFilter) and on the
 * cpu backend (the reference), on random shapes, strides and paddings.
 */
type Case = {
  n: number;
  h: number;
  w: number;
  ci: number;
  co: number;
  k: number;
  stride: number;
  pad: 'same' | 'valid';
};

function randomCases(count: number, seed: number): Case[] {
  const rng = createRng(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
  const cases: Case[] = [];
  for (let i = 0; i < count; i++) {
    cases.push({
      n: pick([1, 2, 3]),
      h: 5 + Math.floor(rng() * 14),
      w: 5 + Math.floor(rng() * 14),
      ci: pick([1, 3, 4, 8]),
      co: pick([1, 2, 5, 8]),
      k: pick([1, 2, 3, 4, 5]),
      stride: pick([1, 2, 3]),
      pad: pick(['same', 'valid'] as const),
    });
  }
  return cases;
}

function data(shape: number[], seed: number): Float32Array {
  const rng = createRng(seed);
  const size = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng() * 2 - 1;
  return out;
}

async function convGradients(backend: 'wasm' | 'cpu', c: Case, seed: number) {
  await useBackend(backend);
  loadGradients();
  const xShape = [c.n, c.h, c.w, c.ci];
  const wShape = [c.k, c.k, c.ci, c.co];
  const x = tf.tensor4d(data(xShape, seed), xShape as [number, number, number, number]);
  const w = tf.tensor4d(data(wShape, seed + 1), wShape as [number, number, number, number]);
  const f = (xx: tf.Tensor4D, ww: tf.Tensor4D) => tf.sum(tf.square(tf.conv2d(xx, ww, c.stride, c.pad)));
  const g = tf.grads(f as (...a: tf.Tensor[]) => tf.Scalar);
  const [dx, dw] = g([x, w]);
  const out = { dx: await dx!.data(), dw: await dw!.data(), dwShape: dw!.shape };
  tf.dispose([x, w, dx!, dw!]);
  return out;
}

function maxRelError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let scale = 1e-3;
  for (let i = 0; i < b.length; i++) scale = Math.max(scale, Math.abs(b[i]!));
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!) / scale);
  return worst;
}

describe('the wasm backend can train', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });
  afterAll(async () => {
    await useBackend('wasm');
  });

  it('has a Conv2DBackpropFilter kernel once the backend is chosen', () => {
    expect(tf.getKernel('Conv2DBackpropFilter', 'wasm')).toBeDefined();
  });

  const cases = randomCases(24, 7).filter((c) => c.pad === 'same' || (c.h >= c.k && c.w >= c.k));
  it.each(cases.map((c, i) => [i, c] as const))(
    'conv2d gradients match the cpu backend (case %i: %o)',
    async (i, c) => {
      const wasm = await convGradients('wasm', c, 100 + i);
      const cpu = await convGradients('cpu', c, 100 + i);
      expect(wasm.dwShape).toEqual([c.k, c.k, c.ci, c.co]);
      expect(wasm.dw.length).toBe(cpu.dw.length);
      expect(maxRelError(wasm.dw, cpu.dw)).toBeLessThan(1e-4);
      expect(maxRelError(wasm.dx, cpu.dx)).toBeLessThan(1e-4);
    },
  );

  it('frees everything the kernel made', async () => {
    await useBackend('wasm');
    const c: Case = { n: 2, h: 9, w: 11, ci: 3, co: 4, k: 3, stride: 2, pad: 'same' };
    await convGradients('wasm', c, 1);
    const before = tf.memory().numTensors;
    const bytesBefore = tf.memory().numBytes;
    await convGradients('wasm', c, 1);
    expect(tf.memory().numTensors).toBe(before);
    expect(tf.memory().numBytes).toBe(bytesBefore);
  });
});
