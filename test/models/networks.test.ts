import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../../src/models/backend.js';
import { CganModel } from '../../src/models/cgan/model.js';
import { CGAN_FORMAT } from '../../src/models/cgan/train.js';
import { ClassifierModel } from '../../src/models/classifier/model.js';
import { CLASSIFIER_FORMAT, DEFAULT_CLASSIFIER_TRAIN } from '../../src/models/classifier/train.js';
import { buildClassifier, DEFAULT_STATISTICS_CLASSIFIER } from '../../src/models/classifier/network.js';
import { STATISTICS_LENGTH } from '../../src/models/classifier/statistics.js';
import { disposeParams, saveModel } from '../../src/models/params.js';
import { createRng } from '../../src/detune/random.js';
import { NETWORKS, type NetworkName } from '../../src/models/networks.js';
import { ModelClient } from '../../src/models/worker/modelClient.js';
import { packageRoot } from '../../src/util/packageRoot.js';

/** The shipped model of each network: `models/<name>`. */
const shipped = (name: NetworkName): string => path.join(packageRoot(), 'models', name);

/** A 456x256 rgb24 proxy with a gradient, so that the networks' answers depend on the pixels. */
function proxy(seed: number): Uint8Array {
  return Uint8Array.from({ length: 456 * 256 * 3 }, (_, i) => (i * 7 + seed * 31) % 256);
}

describe('the networks', () => {
  it.each(Object.entries(NETWORKS))(
    "%s: the shipped model folder declares its entry's format, and its worker reports the folder's input size",
    async (name, entry) => {
      const json = JSON.parse(
        await readFile(path.join(shipped(name as NetworkName), 'model.json'), 'utf8'),
      ) as {
        format: string;
        config: { input: { width: number; height: number } };
      };
      expect(json.format).toBe(entry.format);
      const client = await ModelClient.start(name as NetworkName, shipped(name as NetworkName), 'wasm');
      try {
        expect(client.info.input).toEqual(json.config.input);
      } finally {
        await client.close();
      }
    },
  );

  it('name the formats their trainers write', () => {
    expect(NETWORKS.cgan.format).toBe(CGAN_FORMAT);
    expect(NETWORKS.classifier.format).toBe(CLASSIFIER_FORMAT);
  });
});

describe('a model client', () => {
  const frames = [proxy(1), proxy(2)];
  let cgan: CganModel;
  let classifier: ClassifierModel;
  beforeAll(async () => {
    await useBackend('wasm');
    cgan = await CganModel.load(shipped('cgan'));
    classifier = await ClassifierModel.load(shipped('classifier'));
  });
  afterAll(() => {
    cgan.dispose();
    classifier.dispose();
  });

  it("answers a cgan request in its thread with what the model gives in-process: each frame's corrections", async () => {
    const client = await ModelClient.start('cgan', shipped('cgan'), 'wasm');
    try {
      const res = await client.run({ frames, window: 2 });
      const expected = cgan.corrections(frames, 2);
      expect(res.gridWidth).toBe(expected[0]!.gridWidth);
      expect(res.gridHeight).toBe(expected[0]!.gridHeight);
      expect(res.coefficients).toEqual(expected.map((c) => c.coefficients));
    } finally {
      await client.close();
    }
  });

  it('answers a classifier request in its thread with what the model gives in-process', async () => {
    const client = await ModelClient.start('classifier', shipped('classifier'), 'wasm');
    try {
      const res = await client.run({ frames });
      expect(res).toEqual(classifier.predict(frames));
      expect(res.probs).toHaveLength(2 * 25);
      expect(res.amounts).toHaveLength(2 * 8);
    } finally {
      await client.close();
    }
  });

  it("sends a statistics classifier the proxies' own pixels, and it answers as in-process, at 1x and 2x", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-stats-'));
    try {
      const network = { ...DEFAULT_STATISTICS_CLASSIFIER, hidden: 8 };
      const standardisation = {
        mean: new Float32Array(STATISTICS_LENGTH).fill(0.4),
        std: new Float32Array(STATISTICS_LENGTH).fill(0.3),
      };
      const params = buildClassifier(network, createRng(3), standardisation);
      const config = { ...DEFAULT_CLASSIFIER_TRAIN, input: { width: 456, height: 256 }, network };
      await saveModel(dir, { format: CLASSIFIER_FORMAT, formatVersion: 1, config }, params);
      disposeParams(params);
      const local = await ClassifierModel.load(dir);
      const client = await ModelClient.start('classifier', dir, 'wasm');
      try {
        expect(client.info.takes).toBe('pixels');
        const res = await client.run({ frames });
        const expected = local.predict(frames);
        for (const [k, p] of expected.probs.entries()) expect(res.probs[k]).toBeCloseTo(p, 6);
        // A proxy oversampled 2x (each pixel four times) has the same statistics.
        const big = new Uint8Array(912 * 512 * 3);
        for (let y = 0; y < 512; y++)
          for (let x = 0; x < 912; x++)
            big.set(
              frames[0]!.subarray(((y >> 1) * 456 + (x >> 1)) * 3, ((y >> 1) * 456 + (x >> 1)) * 3 + 3),
              (y * 912 + x) * 3,
            );
        const twice = await client.run({ frames: [big], size: { width: 912, height: 512 } });
        for (let k = 0; k < 25; k++) expect(twice.probs[k]).toBeCloseTo(expected.probs[k]!, 6);
      } finally {
        await client.close();
        local.dispose();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers the requests sent before it was closed, then refuses new ones', async () => {
    const client = await ModelClient.start('classifier', shipped('classifier'), 'wasm');
    let answered = false;
    const request = client.run({ frames: [frames[0]!] }).then((res) => {
      answered = true;
      return res;
    });
    await client.close();
    await Promise.resolve();
    expect(answered).toBe(true);
    expect((await request).probs).toHaveLength(25);
    expect(client.usable).toBe(false);
    await expect(client.run({ frames })).rejects.toThrow(/closed/);
  });

  it("refuses frames that are not the model's input size, naming both sizes", async () => {
    const client = await ModelClient.start('classifier', shipped('classifier'), 'wasm');
    try {
      await expect(client.run({ frames: [new Uint8Array(10)] })).rejects.toThrow(
        /Expected 456x256 RGB frames or a whole multiple \(350208 values at 1x\) but received 10 values for 456x256/,
      );
    } finally {
      await client.close();
    }
  });
});

/** Checked by the type checker (`tsc -p tsconfig.test.json`), never run: requests are typed by their entry. */
export function requestTypes(cgan: ModelClient<'cgan'>, classifier: ModelClient<'classifier'>): void {
  const frames = [new Uint8Array(0)];
  // @ts-expect-error a cgan request needs its window
  void cgan.run({ frames });
  // @ts-expect-error a classifier request has no window
  void classifier.run({ frames, window: 2 });
  void cgan.run({ frames, window: 2 }).then((r) => r.coefficients satisfies Float32Array[]);
  void classifier.run({ frames }).then((r) => r.probs satisfies Float32Array);
}
