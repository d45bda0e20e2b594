import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { tf, useBackend } from '../../src/models/backend.js';
import { createRng } from '../../src/detune/random.js';
import { ParamBuilder, disposeParams, loadModel, saveModel } from '../../src/models/params.js';

let dir: string;
beforeAll(async () => {
  await useBackend('wasm');
});
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true, maxRetries: 10 });
});

function someParams() {
  const b = new ParamBuilder(createRng(3));
  b.conv('a/conv', 3, 2, 4);
  b.dense('b/dense', 5, 2);
  return b.params;
}

describe('the model format (tfjs model.json + weights.bin)', () => {
  it('stores weights in half precision when asked: half the bytes, each value within 1/2048 of itself', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-params-'));
    const params = someParams();
    await saveModel(dir, { format: 'test-net', formatVersion: 1, config: {} }, params);
    const full = (await readFile(path.join(dir, 'weights.bin'))).length;
    await saveModel(dir, { format: 'test-net', formatVersion: 1, config: {} }, params, { float16: true });
    expect((await readFile(path.join(dir, 'weights.bin'))).length).toBe(full / 2);
    const { params: loaded } = await loadModel(dir, 'test-net');
    for (const [k, v] of params) {
      const want = v.dataSync();
      const got = loaded.get(k)!.dataSync();
      expect(loaded.get(k)!.shape).toEqual(v.shape);
      want.forEach((w, i) => expect(Math.abs(got[i]! - w)).toBeLessThanOrEqual(Math.abs(w) / 2048 + 1e-7));
    }
    disposeParams(params);
    disposeParams(loaded);
  });

  it('saves and loads every parameter exactly, with the config and training facts', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-params-'));
    const params = someParams();
    await saveModel(
      dir,
      { format: 'test-net', formatVersion: 1, config: { base: 4 }, training: { steps: 12 } },
      params,
    );
    const json = JSON.parse(await readFile(path.join(dir, 'model.json'), 'utf8'));
    expect(json.weightsManifest[0].paths).toEqual(['weights.bin']);
    expect(json.weightsManifest[0].weights.map((w: { name: string }) => w.name)).toEqual([...params.keys()]);
    const { file, params: loaded } = await loadModel<{ base: number }>(dir, 'test-net');
    expect(file.config).toEqual({ base: 4 });
    expect(file.training).toEqual({ steps: 12 });
    for (const [k, v] of params) {
      expect(loaded.get(k)!.shape).toEqual(v.shape);
      expect(Array.from(loaded.get(k)!.dataSync())).toEqual(Array.from(v.dataSync()));
    }
    disposeParams(params);
    disposeParams(loaded);
  });

  it('refuses a folder without a model, a model of another kind, and weights that do not match', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-params-'));
    await expect(loadModel(dir, 'test-net')).rejects.toThrow(/No model at .*: expected .*model.json/);
    const params = someParams();
    await saveModel(dir, { format: 'vgrade-classifier', formatVersion: 1, config: {} }, params);
    await expect(loadModel(dir, 'vgrade-cgan')).rejects.toThrow(
      /Expected a vgrade-cgan model in .* but .* holds a vgrade-classifier model/,
    );
    await truncate(path.join(dir, 'weights.bin'), 100);
    await expect(loadModel(dir, 'vgrade-classifier')).rejects.toThrow(
      /has 100 bytes but its manifest describes \d+/,
    );
    await writeFile(path.join(dir, 'model.json'), '{"not": "a model"}');
    await expect(loadModel(dir, 'vgrade-classifier')).rejects.toThrow(/holds no vgrade model/);
    disposeParams(params);
  });

  it('starts from the same weights for the same seed', () => {
    const a = someParams();
    const b = someParams();
    expect(Array.from(a.get('a/conv/w')!.dataSync())).toEqual(Array.from(b.get('a/conv/w')!.dataSync()));
    disposeParams(a);
    disposeParams(b);
    expect(tf.memory().numTensors).toBeGreaterThanOrEqual(0);
  });
});
