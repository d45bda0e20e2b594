import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tf, useBackend } from '../../src/models/backend.js';
import { createRng } from '../../src/detune/random.js';
import {
  buildClassifier,
  classify,
  classifyStatistics,
  DEFAULT_STATISTICS_CLASSIFIER,
  NUM_CLASSES,
  type ClassifierConfig,
} from '../../src/models/classifier/network.js';
import { combineClassifiers } from '../../src/models/classifier/combine.js';
import { frameStatistics, STATISTICS_LENGTH } from '../../src/models/classifier/statistics.js';
import { createClassifierTask, DEFAULT_CLASSIFIER_TRAIN } from '../../src/models/classifier/train.js';
import { diagnose, isNeighbour, scoreDoubles, scoreSingles } from '../../src/models/classifier/metrics.js';
import { ClassifierModel } from '../../src/models/classifier/model.js';
import { disposeParams, saveModel } from '../../src/models/params.js';
import { CLASS_LABELS, FAMILIES } from '../../src/detune/families.js';
import { syntheticReferences } from './fixtures.js';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('the classifier network', () => {
  it('gives 25 class logits and 8 amounts in [0, 3] per frame', () => {
    const p = buildClassifier({ base: 4, hidden: 16 }, createRng(1));
    const x = tf.randomUniform([3, 36, 64, 3]) as tf.Tensor4D;
    const out = classify(p, x);
    expect(out.logits.shape).toEqual([3, NUM_CLASSES]);
    expect(out.amounts.shape).toEqual([3, FAMILIES.length]);
    const a = out.amounts.dataSync();
    expect(Math.min(...a)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...a)).toBeLessThanOrEqual(3);
    tf.dispose([x, out.logits, out.amounts]);
    disposeParams(p);
  });
});

describe('training the classifier', () => {
  it('lowers its training loss within a few dozen steps', async () => {
    const refs = syntheticReferences(6, 64, 36, 1, 1);
    const task = createClassifierTask(
      {
        ...DEFAULT_CLASSIFIER_TRAIN,
        batch: 16,
        learningRate: 3e-3,
        input: { width: 64, height: 36 },
        network: { base: 4, hidden: 32 },
      },
      refs,
      syntheticReferences(2, 64, 36, 2, 1),
      1,
    );
    // The same batch before and after: the loss on it must fall.
    const losses: number[] = [];
    for (let s = 0; s < 40; s++) losses.push((await task.step(createRng(s % 4), s)).loss!);
    const first = losses.slice(0, 4).reduce((a, b) => a + b) / 4;
    const last = losses.slice(-4).reduce((a, b) => a + b) / 4;
    expect(last).toBeLessThan(first * 0.8);
    const v = await task.validate();
    for (const k of ['exact', 'exactOrNeighbour', 'doublesDiagnosed', 'crossEntropy', 'amountMse']) {
      expect(v[k]!).toBeGreaterThanOrEqual(0);
    }
    expect(v.loss).toBeCloseTo(1 - v.exact! + (1 - v.doublesDiagnosed!), 9);
    disposeParams(task.network);
  });
});

describe('the statistics form', () => {
  const standardisation = {
    mean: new Float32Array(STATISTICS_LENGTH).fill(0.5),
    std: new Float32Array(STATISTICS_LENGTH).fill(0.25),
  };

  it('reads the standardised statistics, and cannot be built without their standardisation', () => {
    const config = { ...DEFAULT_STATISTICS_CLASSIFIER, hidden: 16 };
    expect(() => buildClassifier(config, createRng(1))).toThrow(/standardisation/);
    const p = buildClassifier(config, createRng(1), standardisation);
    const x = tf.randomUniform([2, STATISTICS_LENGTH]) as tf.Tensor2D;
    const out = classifyStatistics(p, x);
    expect(out.logits.shape).toEqual([2, NUM_CLASSES]);
    expect(out.amounts.shape).toEqual([2, FAMILIES.length]);
    tf.dispose([x, out.logits, out.amounts]);
    disposeParams(p);
  });

  it('has as many hidden layers as its depth says (two when it says none), and reads them all', () => {
    const deep = buildClassifier(
      { ...DEFAULT_STATISTICS_CLASSIFIER, hidden: 8, depth: 3 },
      createRng(1),
      standardisation,
    );
    expect([...deep.keys()].filter((k) => k.startsWith('s/h'))).toEqual([
      's/h1/w',
      's/h1/b',
      's/h2/w',
      's/h2/b',
      's/h3/w',
      's/h3/b',
    ]);
    const x = tf.randomUniform([2, STATISTICS_LENGTH]) as tf.Tensor2D;
    const before = classifyStatistics(deep, x).logits.dataSync().slice();
    // Zeroing the third layer's weights changes the output only if that layer is read.
    deep.get('s/h3/w')!.assign(tf.zerosLike(deep.get('s/h3/w')!));
    expect(classifyStatistics(deep, x).logits.dataSync()).not.toEqual(before);
    const plain = buildClassifier(
      { ...DEFAULT_STATISTICS_CLASSIFIER, hidden: 8 },
      createRng(1),
      standardisation,
    );
    expect(plain.has('s/h2/w') && !plain.has('s/h3/w')).toBe(true);
    tf.dispose(x);
    disposeParams(deep);
    disposeParams(plain);
  });

  it('lowers its training loss and never trains its standardisation', async () => {
    const task = createClassifierTask(
      {
        ...DEFAULT_CLASSIFIER_TRAIN,
        batch: 16,
        learningRate: 3e-3,
        input: { width: 64, height: 36 },
        network: { ...DEFAULT_STATISTICS_CLASSIFIER, hidden: 32 },
      },
      syntheticReferences(6, 64, 36, 1, 1),
      syntheticReferences(2, 64, 36, 2, 1),
      1,
    );
    const mean = task.network.get('s/norm/mean')!.dataSync().slice();
    const losses: number[] = [];
    for (let s = 0; s < 40; s++) losses.push((await task.step(createRng(s % 4), s)).loss!);
    const first = losses.slice(0, 4).reduce((a, b) => a + b) / 4;
    const last = losses.slice(-4).reduce((a, b) => a + b) / 4;
    expect(last).toBeLessThan(first * 0.8);
    expect(task.network.get('s/norm/mean')!.dataSync()).toEqual(mean);
    disposeParams(task.network);
  });

  it('loads as a ClassifierModel that takes whole proxies and measures them itself', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-classifier-'));
    try {
      const network = { ...DEFAULT_STATISTICS_CLASSIFIER, hidden: 16 };
      const params = buildClassifier(network, createRng(2), standardisation);
      const config = { ...DEFAULT_CLASSIFIER_TRAIN, input: { width: 64, height: 36 }, network };
      await saveModel(dir, { format: 'vgrade-classifier', formatVersion: 1, config }, params);
      const frame = syntheticReferences(1, 64, 36, 3, 1).frames[0]!;
      const statistics = frameStatistics(frame);
      const expected = tf.tidy(() =>
        tf
          .softmax(classifyStatistics(params, tf.tensor2d(statistics, [1, STATISTICS_LENGTH])).logits)
          .dataSync(),
      );
      const model = await ClassifierModel.load(dir);
      expect(model.takes).toBe('pixels');
      const fromPixels = model.predict([frame]).probs;
      const fromStatistics = model.predict([statistics]).probs;
      for (let k = 0; k < NUM_CLASSES; k++) {
        expect(fromPixels[k]).toBeCloseTo(expected[k]!, 5);
        expect(fromStatistics[k]).toBeCloseTo(expected[k]!, 5);
      }
      expect(() => model.predict([new Float32Array(10)])).toThrow(/131 statistics/);
      model.dispose();
      disposeParams(params);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('an ensemble of classifiers', () => {
  const standardisation = {
    mean: new Float32Array(STATISTICS_LENGTH).fill(0.5),
    std: new Float32Array(STATISTICS_LENGTH).fill(0.25),
  };
  const save = async (dir: string, network: ClassifierConfig, seed: number, width = 64): Promise<string> => {
    const params = buildClassifier(network, createRng(seed), standardisation);
    const config = { ...DEFAULT_CLASSIFIER_TRAIN, input: { width, height: 36 }, network };
    await saveModel(dir, { format: 'vgrade-classifier', formatVersion: 1, config }, params);
    disposeParams(params);
    return dir;
  };

  it('averages its members: one folder, loaded as a classifier that takes whole proxies', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-ensemble-'));
    try {
      const grid = await save(path.join(dir, 'grid'), { base: 4, hidden: 16, histograms: true }, 1);
      const stats = await save(path.join(dir, 'stats'), { ...DEFAULT_STATISTICS_CLASSIFIER, hidden: 16 }, 2);
      expect(await combineClassifiers([grid, stats], path.join(dir, 'both'))).toMatchObject({ members: 2 });
      const [a, b, both] = await Promise.all(
        [grid, stats, path.join(dir, 'both')].map((d) => ClassifierModel.load(d)),
      );
      expect(both!.takes).toBe('pixels');
      expect(both!.input).toEqual({ width: 64, height: 36 });
      const frames = syntheticReferences(2, 64, 36, 7, 1).frames;
      const pa = a!.predict(frames);
      const pb = b!.predict(frames);
      const p = both!.predict(frames);
      p.probs.forEach((v, i) => expect(v).toBeCloseTo((pa.probs[i]! + pb.probs[i]!) / 2, 6));
      p.amounts.forEach((v, i) => expect(v).toBeCloseTo((pa.amounts[i]! + pb.amounts[i]!) / 2, 5));
      for (const m of [a, b, both]) m!.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('can be stored in half precision: half the bytes, and reads frames as the full-precision one does', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-ensemble-'));
    try {
      const grid = await save(path.join(dir, 'grid'), { base: 4, hidden: 16, histograms: true }, 1);
      const stats = await save(path.join(dir, 'stats'), { ...DEFAULT_STATISTICS_CLASSIFIER, hidden: 16 }, 2);
      await combineClassifiers([grid, stats], path.join(dir, 'full'));
      await combineClassifiers([grid, stats], path.join(dir, 'half'), { float16: true });
      const size = async (d: string): Promise<number> => (await stat(path.join(dir, d, 'weights.bin'))).size;
      expect(await size('half')).toBe((await size('full')) / 2);
      const [full, half] = await Promise.all(
        ['full', 'half'].map((d) => ClassifierModel.load(path.join(dir, d))),
      );
      const frames = syntheticReferences(2, 64, 36, 7, 1).frames;
      const a = full!.predict(frames);
      const b = half!.predict(frames);
      b.probs.forEach((v, i) => expect(v).toBeCloseTo(a.probs[i]!, 2));
      b.amounts.forEach((v, i) => expect(v).toBeCloseTo(a.amounts[i]!, 2));
      full!.dispose();
      half!.dispose();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('takes one network out of an ensemble as DIR#K, reading frames as that network alone', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-ensemble-'));
    try {
      const grid = await save(path.join(dir, 'grid'), { base: 4, hidden: 16, histograms: true }, 1);
      const stats = await save(path.join(dir, 'stats'), { ...DEFAULT_STATISTICS_CLASSIFIER, hidden: 16 }, 2);
      const other = await save(path.join(dir, 'other'), { ...DEFAULT_STATISTICS_CLASSIFIER, hidden: 16 }, 3);
      const both = path.join(dir, 'both');
      await combineClassifiers([grid, stats], both);
      await combineClassifiers([`${both}#1`, other], path.join(dir, 'swapped'));
      const [s, o, swapped] = await Promise.all(
        [stats, other, path.join(dir, 'swapped')].map((d) => ClassifierModel.load(d)),
      );
      const frames = syntheticReferences(2, 64, 36, 7, 1).frames;
      const ps = s!.predict(frames);
      const po = o!.predict(frames);
      const p = swapped!.predict(frames);
      p.probs.forEach((v, i) => expect(v).toBeCloseTo((ps.probs[i]! + po.probs[i]!) / 2, 6));
      for (const m of [s, o, swapped]) m!.dispose();
      await expect(combineClassifiers([both, other], path.join(dir, 'x'))).rejects.toThrow(
        /already an ensemble of 2 networks; name one of them as .*both#0 to .*both#1/,
      );
      await expect(combineClassifiers([`${both}#2`, other], path.join(dir, 'x'))).rejects.toThrow(/#0 to/);
      await expect(combineClassifiers([`${other}#0`, grid], path.join(dir, 'x'))).rejects.toThrow(
        /one network, not an ensemble/,
      );
      // A folder whose own name ends in #K is a folder, not a pick.
      const hashed = await save(
        path.join(dir, 'stats#1'),
        { ...DEFAULT_STATISTICS_CLASSIFIER, hidden: 16 },
        2,
      );
      expect(await combineClassifiers([hashed, grid], path.join(dir, 'y'))).toMatchObject({ members: 2 });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('refuses members made for different proxies, or a single member', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-ensemble-'));
    try {
      const small = await save(path.join(dir, 'a'), { base: 4, hidden: 16 }, 1);
      const wide = await save(path.join(dir, 'b'), { base: 4, hidden: 16 }, 1, 96);
      await expect(combineClassifiers([small, wide], path.join(dir, 'c'))).rejects.toThrow(
        /different proxies cannot be combined: .* takes 64x36, .* 96x36/,
      );
      await expect(combineClassifiers([small], path.join(dir, 'c'))).rejects.toThrow(/at least two/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('scoring', () => {
  it('counts a neighbouring level, and none next to level 1, as near', () => {
    expect(isNeighbour('green-2', 'green-1')).toBe(true);
    expect(isNeighbour('green-2', 'green-3')).toBe(true);
    expect(isNeighbour('green-1', 'green-3')).toBe(false);
    expect(isNeighbour('green-1', 'blue-1')).toBe(false);
    expect(isNeighbour('none', 'blue-1')).toBe(true);
    expect(isNeighbour('none', 'blue-2')).toBe(false);
    expect(isNeighbour('white-low-1', 'none')).toBe(true);
  });

  it('scores singles exactly and near', () => {
    const probs = new Float32Array(3 * NUM_CLASSES);
    const green2 = CLASS_LABELS.indexOf('green-2');
    const green3 = CLASS_LABELS.indexOf('green-3');
    const blue1 = CLASS_LABELS.indexOf('blue-1');
    probs[0 * NUM_CLASSES + green2] = 1; // right
    probs[1 * NUM_CLASSES + green3] = 1; // truth green-2: neighbour
    probs[2 * NUM_CLASSES + blue1] = 1; // truth green-2: wrong
    const s = scoreSingles([green2, green2, green2], probs);
    expect(s.exact).toBeCloseTo(1 / 3);
    expect(s.exactOrNeighbour).toBeCloseTo(2 / 3);
    expect(s.confusion[green2]![green3]).toBe(1);
  });

  it('calls a double diagnosed only when exactly its two families pass 0.5', () => {
    const truth = [
      [2, 0, 0, 1, 0, 0, 0, 0],
      [2, 0, 0, 1, 0, 0, 0, 0],
      [2, 0, 0, 1, 0, 0, 0, 0],
    ];
    const predicted = Float32Array.from([
      ...[1.8, 0.1, 0, 0.9, 0, 0, 0, 0], // both found, nothing else
      ...[1.8, 0.6, 0, 0.9, 0, 0, 0, 0], // an extra family
      ...[1.8, 0, 0, 0.4, 0, 0, 0, 0], // one missed
    ]);
    const d = scoreDoubles(truth, predicted);
    expect(d.diagnosed).toBeCloseTo(1 / 3);
    expect(diagnose(predicted, 8)).toEqual([FAMILIES[0], FAMILIES[1], FAMILIES[3]]);
  });
});

describe('ClassifierModel', () => {
  let dir: string;
  afterAll(() => rm(dir, { recursive: true, force: true, maxRetries: 10 }));

  it('round-trips through model.json and reports top classes and every family', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-classifier-'));
    const params = buildClassifier({ base: 4, hidden: 16 }, createRng(1));
    const config = {
      ...DEFAULT_CLASSIFIER_TRAIN,
      input: { width: 64, height: 36 },
      network: { base: 4, hidden: 16 },
    };
    await saveModel(dir, { format: 'vgrade-classifier', formatVersion: 1, config }, params);
    const frame = syntheticReferences(1, 64, 36, 3, 1).frames[0]!;
    const expected = tf.tidy(() =>
      tf
        .softmax(
          classify(
            params,
            tf.tensor4d(
              Float32Array.from(frame, (v) => v / 255),
              [1, 36, 64, 3],
            ),
          ).logits,
        )
        .dataSync(),
    );
    const model = await ClassifierModel.load(dir);
    expect(model.takes).toBe('grid');
    const [d] = model.diagnose([frame], 3);
    expect(d!.top).toHaveLength(3);
    expect(d!.top[0]!.p).toBeGreaterThanOrEqual(d!.top[1]!.p);
    expect(d!.top[0]!.p).toBeCloseTo(Math.max(...expected), 5);
    expect(Object.keys(d!.amounts)).toEqual([...FAMILIES]);
    expect(() => model.checkInput(456, 256, 'clip.mp4')).toThrow(
      /expects 64x36 proxy frames but clip.mp4 gives 456x256/,
    );
    model.dispose();
    disposeParams(params);
  });
});
