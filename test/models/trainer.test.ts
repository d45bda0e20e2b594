import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { useBackend } from '../../src/models/backend.js';
import { train, type TrainOptions } from '../../src/models/trainer.js';
import { createClassifierTask, DEFAULT_CLASSIFIER_TRAIN } from '../../src/models/classifier/train.js';
import { disposeParams, loadModel } from '../../src/models/params.js';
import { silentLogger } from '../../src/util/logger.js';
import { syntheticReferences } from './fixtures.js';

let dir: string;
beforeAll(async () => {
  await useBackend('wasm');
});
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 10 });
});

const refs = syntheticReferences(4, 64, 36, 1, 1);
const validation = syntheticReferences(1, 64, 36, 2, 1);
const config = {
  ...DEFAULT_CLASSIFIER_TRAIN,
  batch: 4,
  input: { width: 64, height: 36 },
  network: { base: 2, hidden: 8 },
};
const task = () => createClassifierTask(config, refs, validation, 1);
const options = (out: string, steps: number): TrainOptions => ({
  out,
  steps,
  seed: 1,
  validateEvery: 2,
  patience: 100,
  maxSeconds: 0,
  logEvery: 1,
  fresh: false,
});

async function logLines(out: string): Promise<Array<Record<string, unknown>>> {
  return (await readFile(path.join(out, 'train.jsonl'), 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('the training loop', () => {
  it('resumes a killed run from its checkpoint and ends where an uninterrupted run ends', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-train-'));
    const straight = path.join(dir, 'straight');
    const t1 = task();
    await train(t1, options(straight, 6), silentLogger);

    const resumed = path.join(dir, 'resumed');
    const abort = new AbortController();
    const t2 = task();
    const first = await train(t2, options(resumed, 6), silentLogger, abort.signal, (r) => {
      if (r.kind === 'validation' && r.step === 4) abort.abort(); // "killed" after step 4's checkpoint
    });
    expect(first).toMatchObject({ step: 4, reason: 'interrupted' });
    const t3 = task(); // a new process: fresh weights, then the checkpoint
    const second = await train(t3, options(resumed, 6), silentLogger);
    expect(second).toMatchObject({ step: 6, reason: 'steps' });

    const a = await loadModel(path.join(straight, 'checkpoint'), 'vgrade-classifier-checkpoint');
    const b = await loadModel(path.join(resumed, 'checkpoint'), 'vgrade-classifier-checkpoint');
    for (const [k, v] of a.params) {
      const w = b.params.get(k)!;
      const x = v.dataSync();
      const y = w.dataSync();
      for (let i = 0; i < x.length; i++) expect(y[i]).toBeCloseTo(x[i]!, 4);
    }
    const lines = await logLines(resumed);
    expect(lines.filter((l) => l.kind === 'train').map((l) => l.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(lines.at(-1)).toMatchObject({ kind: 'end', step: 6, reason: 'steps' });
    for (const t of [t1, t2, t3]) disposeParams(t.network);
    disposeParams(a.params);
    disposeParams(b.params);
  });

  it('stops early when validation has not improved for `patience` validations, keeping the best model', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-train-'));
    const t = task();
    const result = await train(t, { ...options(dir, 200), patience: 1, fresh: true }, silentLogger);
    expect(result.reason).toBe('early stop');
    expect(result.step).toBeLessThan(200);
    const best = await loadModel(dir, 'vgrade-classifier');
    expect(best.file.training!.step).toBe(result.bestStep);
    disposeParams(best.params);
    disposeParams(t.network);
  });

  it('refuses to resume a checkpoint made with another configuration', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-train-'));
    const t = task();
    await train(t, options(dir, 2), silentLogger);
    const other = createClassifierTask({ ...config, batch: 5 }, refs, validation, 1);
    await expect(train(other, options(dir, 4), silentLogger)).rejects.toThrow(
      /another configuration.*--fresh/,
    );
    disposeParams(t.network);
    disposeParams(other.network);
  });
});
