/*
 * Whether two classifiers together name detunes better than either (research, not product): each
 * reference frame of a split at all 25 classes and 4 doubles, classified by every model given and by
 * the mean of their outputs (probabilities and amounts), scored as `vgrade eval --classifier` does.
 *
 *   npm run build && node dist/research/classifier-ensemble.js --data DS --split validation \
 *     --models models/classifier,OTHER [--protocol frames] [--crops 0.7] [--thresholds]
 *
 * `--crops S` (test-time augmentation): each statistics model reads, besides the whole proxy, five
 * crops of S times its size (the four corners and the centre) and its outputs are averaged over
 * the six; a convolutional model, which needs the whole proxy, reads it alone. Give an ensemble's
 * members one by one: an ensemble holding a convolutional member cannot read crops.
 */
import { loadReferences } from '../src/models/data.js';
import { useBackend } from '../src/models/backend.js';
import { ClassifierModel } from '../src/models/classifier/model.js';
import { scoreDoubles, scoreSingles } from '../src/models/classifier/metrics.js';
import { compileDetunes } from '../src/detune/apply.js';
import { amountsOf, CLASS_LABELS, detuneOfClass, FAMILIES } from '../src/detune/families.js';
import { createRng, randomCombination } from '../src/detune/random.js';
import type { Split } from '../src/manifest/split.js';

function arg(name: string, fallback?: string): string {
  const i = process.argv.indexOf(`--${name}`);
  if (i >= 0 && process.argv[i + 1]) return process.argv[i + 1]!;
  if (fallback === undefined) throw new Error(`--${name} is required`);
  return fallback;
}

async function main(): Promise<void> {
  await useBackend('wasm');
  const frames = arg('protocol', 'sources') === 'frames';
  const refs = await loadReferences(arg('data'), frames ? 'train' : (arg('split', 'validation') as Split), {
    frames: frames ? 'held-out' : 'all',
  });
  const models = await Promise.all(
    arg('models')
      .split(',')
      .map((dir) => ClassifierModel.load(dir)),
  );
  const rng = createRng(1);
  const labels: number[] = [];
  const doubles: number[][] = [];
  const singles: Uint8Array[] = [];
  const pairs: Uint8Array[] = [];
  for (const ref of refs.frames) {
    CLASS_LABELS.forEach((_, k) => {
      const d = detuneOfClass(k);
      const out = new Uint8Array(ref.length);
      compileDetunes(d ? [d] : [])(ref, out);
      singles.push(out);
      labels.push(k);
    });
    for (let k = 0; k < 4; k++) {
      const pair = randomCombination(rng, { min: 2, max: 2 }).map((d) => ({
        ...d,
        amount: Math.ceil(d.amount),
      }));
      const out = new Uint8Array(ref.length);
      compileDetunes(pair)(ref, out);
      pairs.push(out);
      const a = amountsOf(pair);
      doubles.push(FAMILIES.map((f) => a[f]));
    }
  }
  // In batches: the wasm backend's memory holds a few dozen frames at a time.
  const predict = (m: ClassifierModel, all: Uint8Array[]): { probs: Float32Array; amounts: Float32Array } => {
    const parts: Array<{ probs: Float32Array; amounts: Float32Array }> = [];
    for (let i = 0; i < all.length; i += 25) parts.push(m.predict(all.slice(i, i + 25)));
    const join = (key: 'probs' | 'amounts'): Float32Array => {
      const out = new Float32Array(parts.reduce((n, p) => n + p[key].length, 0));
      let at = 0;
      for (const p of parts) out.set(p[key], (at += p[key].length) - p[key].length);
      return out;
    };
    return { probs: join('probs'), amounts: join('amounts') };
  };
  const cropScale = process.argv.includes('--crops') ? Number(arg('crops')) : undefined;
  const read = (m: ClassifierModel, all: Uint8Array[]) =>
    cropScale && m.takes === 'pixels'
      ? withCrops(m, all, refs.width, refs.height, cropScale, predict)
      : predict(m, all);
  const outputs = models.map((m) => ({ singles: read(m, singles), pairs: read(m, pairs) }));
  const mean = (pick: (o: (typeof outputs)[number]) => Float32Array): Float32Array => {
    const sum = new Float32Array(pick(outputs[0]!).length);
    for (const o of outputs) pick(o).forEach((v, i) => (sum[i]! += v / outputs.length));
    return sum;
  };
  const rows = [
    ...outputs.map((o, i) => ({
      name: arg('models').split(',')[i]!,
      s: o.singles.probs,
      d: o.pairs.amounts,
    })),
    { name: 'mean of all', s: mean((o) => o.singles.probs), d: mean((o) => o.pairs.amounts) },
  ];
  console.log(`${refs.frames.length} frames, ${labels.length} singles, ${doubles.length} doubles`);
  for (const r of rows) {
    const s = scoreSingles(labels, r.s);
    const d = scoreDoubles(doubles, r.d);
    console.log(
      `${r.name}: exact ${(100 * s.exact).toFixed(1)}%, class or neighbour ${(100 * s.exactOrNeighbour).toFixed(1)}%, doubles ${(100 * d.diagnosed).toFixed(1)}%`,
    );
  }
  if (process.argv.includes('--thresholds')) printDoublesByThreshold(doubles, rows.at(-1)!.d);
}

/**
 * `--thresholds`: the ensemble's doubles fully diagnosed when an amount above t names a family, for
 * several t (0.5 is what `vgrade eval` uses), and when the two largest amounts are taken, as if
 * every frame were known to have two problems.
 */
function printDoublesByThreshold(truth: readonly number[][], amounts: Float32Array): void {
  const n = FAMILIES.length;
  const share = (named: (row: number) => boolean[]) =>
    truth.filter((t, i) => named(i).every((on, f) => on === t[f]! > 0.5)).length / truth.length;
  const byThreshold = [0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6].map((t) => {
    const diagnosed = share((i) => FAMILIES.map((_, f) => amounts[i * n + f]! > t));
    return `${t}: ${(100 * diagnosed).toFixed(1)}%`;
  });
  const largestTwo = share((i) => {
    const order = FAMILIES.map((_, f) => f).sort((a, b) => amounts[i * n + b]! - amounts[i * n + a]!);
    return FAMILIES.map((_, f) => f === order[0] || f === order[1]);
  });
  console.log(
    `doubles diagnosed by threshold: ${byThreshold.join(', ')}; the largest two: ${(100 * largestTwo).toFixed(1)}%`,
  );
}

type Outputs = { probs: Float32Array; amounts: Float32Array };

/** A model's outputs averaged over the whole frame and five crops of `scale` times its size. */
function withCrops(
  model: ClassifierModel,
  frames: Uint8Array[],
  width: number,
  height: number,
  scale: number,
  predict: (m: ClassifierModel, all: Uint8Array[]) => Outputs,
): Outputs {
  const w = Math.round(width * scale);
  const h = Math.round(height * scale);
  const crop = (f: Uint8Array, x0: number, y0: number): Uint8Array => {
    const out = new Uint8Array(w * h * 3);
    for (let y = 0; y < h; y++)
      out.set(f.subarray(((y0 + y) * width + x0) * 3, ((y0 + y) * width + x0 + w) * 3), y * w * 3);
    return out;
  };
  const origins = [
    [0, 0],
    [width - w, 0],
    [0, height - h],
    [width - w, height - h],
    [Math.round((width - w) / 2), Math.round((height - h) / 2)],
  ] as const;
  const sum = predict(model, frames);
  for (const [x, y] of origins) {
    const o = predict(
      model,
      frames.map((f) => crop(f, x, y)),
    );
    o.probs.forEach((v, i) => (sum.probs[i]! += v));
    o.amounts.forEach((v, i) => (sum.amounts[i]! += v));
  }
  const n = origins.length + 1;
  return { probs: sum.probs.map((v) => v / n), amounts: sum.amounts.map((v) => v / n) };
}

void main();
