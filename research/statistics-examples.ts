/*
 * Writes the statistics classifier's examples to files, for training on a machine where
 * TensorFlow.js cannot run fast but PyTorch can (research/train_statistics.py on the GPU machine).
 * The examples are the ones `vgrade train classifier --inputs statistics` makes on the fly (the
 * same class `Examples`, the same mix of singles and combinations, held-out frames never used), so
 * only the optimiser runs elsewhere.
 *
 *   npm run build && node dist/research/statistics-examples.js --data DS \
 *     --extra media/extra media/more/photos --count 90000 --seed 11 --out examples
 *
 * Writes, in --out:
 *   train-SEED.features.f16   count x 131 statistics (IEEE half precision, little-endian)
 *   train-SEED.labels.i8      the class (0-24), or -1 for a combination (amount head only)
 *   train-SEED.amounts.f16    count x 8 family amounts
 * and with --sets, for choosing and reporting, every reference frame of the validation and test
 * splits and the train split's held-out frames at all 25 classes plus 4 doubles each, drawn as
 * research/classifier-ensemble.ts draws them: validation.*, test.*, held-out.*.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadReferences, type ReferenceSet } from '../src/models/data.js';
import { Examples, type Labelled } from '../src/models/classifier/examples.js';
import { NUM_CLASSES } from '../src/models/classifier/network.js';
import { STATISTICS_LENGTH } from '../src/models/classifier/statistics.js';
import { detuneOfClass, FAMILIES } from '../src/detune/families.js';
import { createRng, randomCombination } from '../src/detune/random.js';
import { listSources } from '../src/dataset/build.js';
import { resolveBinaries } from '../src/ffmpeg/binaries.js';
import { argValue } from '../bench/args.js';

const arg = (name: string, fallback = ''): string => argValue(process.argv, name, fallback);

/** IEEE 754 binary16 bits of a number (round to nearest even), enough for standardisable statistics. */
export function toHalf(value: number): number {
  const f32 = new Float32Array([value]);
  const bits = new Uint32Array(f32.buffer)[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    if (rest > midpoint || (rest === midpoint && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

function halves(values: ArrayLike<number>): Buffer {
  const out = new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = toHalf(values[i]!);
  return Buffer.from(out.buffer);
}

async function writeSet(dir: string, name: string, items: readonly Labelled[]): Promise<void> {
  const features = new Float32Array(items.length * STATISTICS_LENGTH);
  const amounts = new Float32Array(items.length * FAMILIES.length);
  const labels = new Int8Array(items.length);
  items.forEach((item, i) => {
    features.set(item.input, i * STATISTICS_LENGTH);
    amounts.set(item.amounts, i * FAMILIES.length);
    labels[i] = item.label;
  });
  await writeFile(path.join(dir, `${name}.features.f16`), halves(features));
  await writeFile(path.join(dir, `${name}.amounts.f16`), halves(amounts));
  await writeFile(path.join(dir, `${name}.labels.i8`), Buffer.from(labels.buffer));
}

/** Every reference at all 25 classes, then 4 whole-level doubles per reference (seed 1), as classifier-ensemble.ts. */
function scoringSet(refs: ReferenceSet): Labelled[] {
  const examples = new Examples(refs, 'statistics');
  const rng = createRng(1);
  const singles: Labelled[] = [];
  const doubles: Labelled[] = [];
  refs.frames.forEach((_, frame) => {
    for (let label = 0; label < NUM_CLASSES; label++) {
      const d = detuneOfClass(label);
      singles.push(examples.make(frame, d ? [d] : [], label, false));
    }
    for (let k = 0; k < 4; k++) {
      const pair = randomCombination(rng, { min: 2, max: 2 }).map((d) => ({
        ...d,
        amount: Math.ceil(d.amount),
      }));
      doubles.push(examples.make(frame, pair, -1, false));
    }
  });
  return [...singles, ...doubles];
}

function extraPaths(): string[] {
  const i = process.argv.indexOf('--extra');
  if (i < 0) return [];
  const out: string[] = [];
  for (let k = i + 1; k < process.argv.length && !process.argv[k]!.startsWith('--'); k++)
    out.push(process.argv[k]!);
  return out;
}

async function main(): Promise<void> {
  const data = arg('data');
  const out = arg('out');
  if (!data || !out) throw new Error('--data and --out are required');
  const count = Number(arg('count', '10000'));
  const seed = Number(arg('seed', '1'));
  const combinationShare = Number(arg('combination-share', '0.4'));
  await mkdir(out, { recursive: true });
  const started = Date.now();
  if (process.argv.includes('--sets')) {
    for (const [name, split, frames] of [
      ['validation', 'validation', 'all'],
      ['test', 'test', 'all'],
      ['held-out', 'train', 'held-out'],
    ] as const) {
      const items = scoringSet(await loadReferences(data, split, { frames }));
      await writeSet(out, name, items);
      process.stderr.write(`${name}: ${items.length} examples\n`);
    }
  }
  if (count > 0) {
    const binaries = await resolveBinaries();
    const train = await loadReferences(data, 'train', {
      frames: 'trainable',
      canvases: {
        ffmpeg: binaries.ffmpeg,
        ffprobe: binaries.ffprobe,
        framesPerVideo: Number(arg('frames-per-video', '40')),
        extra: await listSources(extraPaths()),
        onSkip: (source, reason) => process.stderr.write(`skipped ${source}: ${reason}\n`),
      },
    });
    process.stderr.write(
      `train: ${train.frames.length} frames, ${train.canvases?.length ?? 0} canvases, loaded in ${Math.round((Date.now() - started) / 1000)} s\n`,
    );
    const examples = new Examples(train, 'statistics');
    const rng = createRng(seed);
    const items: Labelled[] = [];
    for (let i = 0; i < count; i++) {
      items.push(examples.random(rng, combinationShare));
      if ((i + 1) % 10000 === 0) {
        process.stderr.write(`${i + 1}/${count} examples, ${Math.round((Date.now() - started) / 1000)} s\n`);
      }
    }
    await writeSet(out, `train-${seed}`, items);
  }
  process.stderr.write(`done in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
