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
 *                             (with --sources N [--source-seed S]: from N random training sources)
 *   train-SEED.labels.i8      the class (0-24), or -1 for a combination (amount head only)
 *   train-SEED.amounts.f16    count x 8 family amounts
 * and with --sets, for choosing and reporting, every reference frame of the validation and test
 * splits and the train split's held-out frames at all 25 classes plus 4 doubles each, drawn as
 * research/classifier-ensemble.ts draws them: validation.*, test.*, held-out.*.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { loadReferences, type ReferenceSet } from '../src/models/data.js';
import { Examples, validationSet, type Labelled } from '../src/models/classifier/examples.js';
import { STATISTICS_LENGTH } from '../src/models/classifier/statistics.js';
import { FAMILIES } from '../src/detune/families.js';
import { createRng } from '../src/detune/random.js';
import { readManifest } from '../src/manifest/manifest.js';
import { argValue } from '../bench/args.js';
import { drawExamples, exampleOptions, trainingReferences } from './training-references.js';
import { halfBytes } from '../src/models/half.js';

const arg = (name: string, fallback = ''): string => argValue(process.argv, name, fallback);

async function writeSet(dir: string, name: string, items: readonly Labelled[]): Promise<void> {
  const features = new Float32Array(items.length * STATISTICS_LENGTH);
  const amounts = new Float32Array(items.length * FAMILIES.length);
  const labels = new Int8Array(items.length);
  items.forEach((item, i) => {
    features.set(item.input, i * STATISTICS_LENGTH);
    amounts.set(item.amounts, i * FAMILIES.length);
    labels[i] = item.label;
  });
  await writeFile(path.join(dir, `${name}.features.f16`), halfBytes(features));
  await writeFile(path.join(dir, `${name}.amounts.f16`), halfBytes(amounts));
  await writeFile(path.join(dir, `${name}.labels.i8`), Buffer.from(labels.buffer));
}

/**
 * Every reference at all 25 classes, then 4 whole-level doubles per reference (seed 1): the draws
 * classifier-ensemble.ts makes, so both score the same examples.
 */
function scoringSet(refs: ReferenceSet): Labelled[] {
  const { singles, doubles } = validationSet(refs, new Examples(refs, 'statistics'), 1, Infinity);
  return [...singles, ...doubles];
}

/**
 * `--sources N`: a random subset of N training sources (the train split's and the extra ones,
 * shuffled with `--source-seed`), for a learning curve; none given: every source.
 */
async function sourceSubset(
  data: string,
  extra: { videos: readonly string[]; photos: readonly string[] },
  count: number,
  seed: number,
): Promise<Set<string> | undefined> {
  if (count <= 0) return undefined;
  const own = [
    ...new Set((await readManifest(data)).filter((e) => e.split === 'train').map((e) => e.source)),
  ];
  const all = [...own, ...extra.videos, ...extra.photos];
  const rng = createRng(seed);
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [all[i], all[j]] = [all[j]!, all[i]!];
  }
  const chosen = new Set(all.slice(0, count));
  process.stderr.write(
    `sources: ${chosen.size} of ${all.length} (${own.filter((s) => chosen.has(s)).length} of the data set's ${own.length})\n`,
  );
  return chosen;
}

async function main(): Promise<void> {
  const { data, out, count, seed } = exampleOptions(process.argv);
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
    const train = await trainingReferences(data, process.argv, started, (extra) =>
      sourceSubset(data, extra, Number(arg('sources', '0')), Number(arg('source-seed', '1'))),
    );
    const examples = new Examples(train, 'statistics');
    const rng = createRng(seed);
    const items = drawExamples(count, started, () => examples.random(rng, combinationShare));
    await writeSet(out, `train-${seed}`, items);
  }
  process.stderr.write(`done in ${Math.round((Date.now() - started) / 1000)} s\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
