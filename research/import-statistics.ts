/*
 * Turns a statistics classifier trained by research/train_statistics.py (NAME.json and
 * NAME.weights.bin) into a vgrade classifier folder (`model.json` + `weights.bin`), which
 * `vgrade classify`, the `classify` stage and `vgrade train ensemble` load like any other.
 *
 *   npm run build && node dist/research/import-statistics.js --from runs/h512x3-s1.json \
 *     --out cls-statistics-gpu [--width 456 --height 256]
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { tf, useBackend } from '../src/models/backend.js';
import { saveModel, type Params } from '../src/models/params.js';
import {
  CLASSIFIER_FORMAT,
  DEFAULT_CLASSIFIER_TRAIN,
  type ClassifierTrainConfig,
} from '../src/models/classifier/train.js';
import { DEFAULT_STATISTICS_CLASSIFIER } from '../src/models/classifier/network.js';
import { argValue } from '../bench/args.js';

interface TrainedFile {
  readonly name: string;
  readonly hidden: number;
  readonly depth: number;
  readonly weights: ReadonlyArray<{ readonly name: string; readonly shape: number[] }>;
  readonly options: {
    batch: number;
    rate: number;
    weightDecay: number;
    dropout: number;
    examples: number;
    /** Absent from files written before `--amount-weight` existed (they used the default). */
    amountWeight?: number;
  };
  readonly [fact: string]: unknown;
}

/** The parameters a trained file describes, in its order, checked against the file's size. */
export function paramsFromBytes(file: TrainedFile, bytes: Buffer): Params {
  const floats = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
  const expected = file.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  if (floats.length !== expected) {
    throw new Error(
      `${file.name}.weights.bin holds ${floats.length} numbers but its description ${expected}`,
    );
  }
  const params: Params = new Map();
  let offset = 0;
  for (const w of file.weights) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    params.set(w.name, tf.variable(tf.tensor(floats.subarray(offset, offset + size), w.shape), false));
    offset += size;
  }
  return params;
}

async function main(): Promise<void> {
  const from = argValue(process.argv, 'from', '');
  const out = argValue(process.argv, 'out', '');
  if (!from || !out) throw new Error('--from NAME.json and --out DIR are required');
  await useBackend('wasm');
  const file = JSON.parse(await readFile(from, 'utf8')) as TrainedFile;
  const bytes = await readFile(path.join(path.dirname(from), `${file.name}.weights.bin`));
  const params = paramsFromBytes(file, bytes);
  const config: ClassifierTrainConfig = {
    ...DEFAULT_CLASSIFIER_TRAIN,
    learningRate: file.options.rate,
    batch: file.options.batch,
    weightDecay: file.options.weightDecay,
    amountWeight: file.options.amountWeight ?? DEFAULT_CLASSIFIER_TRAIN.amountWeight,
    input: {
      width: Number(argValue(process.argv, 'width', '456')),
      height: Number(argValue(process.argv, 'height', '256')),
    },
    network: { ...DEFAULT_STATISTICS_CLASSIFIER, hidden: file.hidden, depth: file.depth },
  };
  const { weights: _w, ...facts } = file;
  await saveModel(
    out,
    {
      format: CLASSIFIER_FORMAT,
      formatVersion: 1,
      config,
      training: { ...facts, trainedBy: 'research/train_statistics.py', importedFrom: path.basename(from) },
    },
    params,
  );
  process.stderr.write(`wrote ${out} (${file.name}: ${file.hidden}x${file.depth})\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
