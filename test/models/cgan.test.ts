import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tf, useBackend } from '../../src/models/backend.js';
import { createRng } from '../../src/detune/random.js';
import {
  applyCoefficients,
  buildGenerator,
  generate,
  generatorCoefficients,
} from '../../src/models/cgan/generator.js';
import { applyCoefficientsToImage } from '../../src/models/cgan/apply.js';
import { buildDiscriminator, discriminate } from '../../src/models/cgan/discriminator.js';
import { createCganTask, DEFAULT_CGAN_TRAIN } from '../../src/models/cgan/train.js';
import { CganModel } from '../../src/models/cgan/model.js';
import { saveModel, disposeParams } from '../../src/models/params.js';
import { syntheticReferences } from './fixtures.js';
import { blockAverage } from '../../src/models/grid.js';
import { compileDetunes } from '../../src/detune/apply.js';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('the generator', () => {
  it('is the identity before training (its heads start at zero)', () => {
    const g = buildGenerator({ base: 4, window: 1 }, createRng(1));
    const x = tf.randomUniform([2, 36, 64, 3], 0, 1, 'float32', 3) as tf.Tensor4D;
    const y = generate(g, x, 1);
    expect(tf.max(tf.abs(tf.sub(x, y))).dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([x, y]);
    disposeParams(g);
  });

  it('paints its correction on a grid 1/8 of the proxy: 57x32 for 456x256', () => {
    const g = buildGenerator({ base: 4, window: 1 }, createRng(1));
    const c = tf.tidy(() => generatorCoefficients(g, tf.zeros([1, 256, 456, 3]) as tf.Tensor4D, 1));
    expect(c.shape).toEqual([1, 32, 57, 12]);
    c.dispose();
    disposeParams(g);
  });

  it('corrects every frame of a window from the same view: a window of one frame repeated gives one answer', () => {
    const g = buildGenerator({ base: 4, window: 3 }, createRng(2));
    // Perturb the global head so the window mean matters.
    for (const [k, v] of g)
      if (k.startsWith('g/coefGlobal')) v.assign(tf.randomNormal(v.shape, 0, 0.1, 'float32', 5));
    const a = tf.randomUniform([1, 36, 64, 3], 0, 1, 'float32', 1) as tf.Tensor4D;
    const b = tf.randomUniform([1, 36, 64, 3], 0, 1, 'float32', 2) as tf.Tensor4D;
    const mixed = tf.tidy(() => generatorCoefficients(g, tf.concat([a, b, b]) as tf.Tensor4D, 3));
    const alone = tf.tidy(() => generatorCoefficients(g, a, 1));
    // Frame a's correction depends on its window (b is in it), so it differs from a alone.
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(tf.slice(mixed, [0], [1]), alone))).dataSync()[0]!);
    expect(diff).toBeGreaterThan(1e-4);
    expect(() => generatorCoefficients(g, tf.concat([a, b]) as tf.Tensor4D, 3)).toThrow(
      /whole number of 3-frame windows/,
    );
    tf.dispose([a, b, mixed, alone]);
    disposeParams(g);
  });
});

describe('applyCoefficientsToImage (the inference path)', () => {
  it('matches the training path (tfjs) to within rounding, in 8 and 16 bits, at odd sizes', () => {
    const gw = 7;
    const gh = 5;
    const width = 39;
    const height = 23;
    const coefs = tf.tidy(() =>
      tf.add(
        tf.randomNormal([1, gh, gw, 12], 0, 0.15, 'float32', 9),
        tf.tensor1d([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0]),
      ),
    ) as tf.Tensor4D;
    const rng = createRng(4);
    const src8 = new Uint8Array(width * height * 3).map(() => Math.floor(rng() * 256));
    const x = tf.tensor4d(
      Float32Array.from(src8, (v) => v / 255),
      [1, height, width, 3],
    );
    const expected = tf.tidy(() => applyCoefficients(coefs, x).dataSync());
    const got8 = applyCoefficientsToImage(
      coefs.dataSync() as Float32Array,
      gw,
      gh,
      src8,
      width,
      height,
      new Uint8Array(src8.length),
    );
    let worst = 0;
    for (let i = 0; i < got8.length; i++) worst = Math.max(worst, Math.abs(got8[i]! - expected[i]! * 255));
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-3);
    const src16 = Uint16Array.from(src8, (v) => v * 257);
    const got16 = applyCoefficientsToImage(
      coefs.dataSync() as Float32Array,
      gw,
      gh,
      src16,
      width,
      height,
      new Uint16Array(src16.length),
    );
    let worst16 = 0;
    for (let i = 0; i < got16.length; i++)
      worst16 = Math.max(worst16, Math.abs(got16[i]! - expected[i]! * 65535));
    expect(worst16).toBeLessThanOrEqual(0.5 + 0.05);
    tf.dispose([coefs, x]);
  });
});

describe('the discriminator', () => {
  it('scores large patches: a 114x64 pair gives an 8x15 map of logits', () => {
    const d = buildDiscriminator({ base: 4 }, createRng(1));
    const x = tf.zeros([2, 64, 114, 3]) as tf.Tensor4D;
    const logits = discriminate(d, x, x);
    expect(logits.shape).toEqual([2, 8, 15, 1]);
    tf.dispose([x, logits]);
    disposeParams(d);
  });
});

describe('training the cGAN', () => {
  // A colourist's look (orange-2 over black-high-1) learnt from before/after pairs: a task with one
  // right answer, so a few steps must get most of the way there.
  const look = compileDetunes([
    { family: 'orange', amount: 2 },
    { family: 'black-high', amount: 1 },
  ]);
  const toPairs = (frames: Uint8Array[]) => ({
    inputs: frames.map((f) => blockAverage(f, 64, 36, 1)),
    targets: frames.map((f) => {
      const o = new Uint8Array(f.length);
      look(f, o);
      return blockAverage(o, 64, 36, 1);
    }),
  });

  it('lowers the validation MSE tenfold within 20 steps on a fixed look', async () => {
    const refs = syntheticReferences(10, 64, 36, 1, 1);
    const task = createCganTask(
      {
        ...DEFAULT_CGAN_TRAIN,
        batch: 8,
        learningRate: 5e-3,
        input: { width: 64, height: 36 },
        generator: { base: 4, window: 1 },
        discriminator: { base: 4 },
      },
      { kind: 'pairs', train: toPairs(refs.frames.slice(0, 8)), validation: toPairs(refs.frames.slice(8)) },
      3,
    );
    const before = await task.validate();
    expect(Math.abs(before.mse! - before.mseInput!) / before.mseInput!).toBeLessThan(1e-3); // identity at the start
    const rng = createRng(5);
    for (let s = 0; s < 20; s++) {
      const losses = await task.step(rng, s);
      expect(Number.isFinite(losses.loss)).toBe(true);
      expect(losses.discriminator).toBeGreaterThan(0);
    }
    const after = await task.validate();
    expect(after.mse).toBeLessThan(before.mse! / 10);
    for (const g of Object.values(task.groups)) disposeParams(g);
  });

  it('trains the temporal form on windows of detuned runs with flips (steps alternate single / window)', async () => {
    const train = syntheticReferences(4, 64, 36, 1);
    const validation = syntheticReferences(2, 64, 36, 2);
    const task = createCganTask(
      {
        ...DEFAULT_CGAN_TRAIN,
        batch: 4,
        windows: 1,
        input: { width: 64, height: 36 },
        generator: { base: 4, window: 6 },
        discriminator: { base: 4 },
      },
      { kind: 'references', train, validation },
      3,
    );
    const rng = createRng(5);
    const windows = [];
    for (let s = 0; s < 4; s++) windows.push((await task.step(rng, s)).window);
    expect(windows).toEqual([1, 6, 1, 6]);
    const v = await task.validate();
    expect(v.mseWindows).toBeGreaterThan(0);
    expect(v.loss).toBeCloseTo((v.mse! + v.mseWindows!) / 2, 9);
    for (const g of Object.values(task.groups)) disposeParams(g);
  });
});

describe('CganModel', () => {
  let dir: string;
  afterAll(() => rm(dir, { recursive: true, force: true, maxRetries: 10 }));

  it('loads what training saved, refuses a stream of another size, and grades a frame', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-cgan-'));
    const params = buildGenerator({ base: 4, window: 1 }, createRng(1));
    const config = {
      ...DEFAULT_CGAN_TRAIN,
      input: { width: 64, height: 36 },
      generator: { base: 4, window: 1 },
      discriminator: { base: 4 },
    };
    await saveModel(dir, { format: 'vgrade-cgan', formatVersion: 1, config }, params);
    const model = await CganModel.load(dir);
    expect(() => model.checkInput(456, 256)).toThrow(
      /expects 64x36 proxy frames but the stream gives 456x256; set downscale to 64x36/,
    );
    const frame = syntheticReferences(1, 64, 36, 3, 1).frames[0]!;
    const [c] = model.corrections([frame], 1);
    const out = CganModel.applyCorrection(c!, frame, 64, 36, new Uint8Array(frame.length));
    expect(Buffer.compare(Buffer.from(out), Buffer.from(frame))).toBe(0); // untrained = identity
    expect(() => model.corrections([new Uint8Array(10)], 1)).toThrow(/Expected 64x36 RGB frames/);
    model.dispose();
    disposeParams(params);
  });
});
