/*
 * Whether two classifiers together name detunes better than either (research, not product): each
 * reference frame of a split at all 25 classes and 4 doubles, classified by every model given and by
 * the mean of their outputs (probabilities and amounts), scored as `vgrade eval --classifier` does.
 *
 *   npm run build && node dist/research/classifier-ensemble.js --data DS --split validation \
 *     --models models/classifier,OTHER [--protocol frames]
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
  const outputs = models.map((m) => ({ singles: predict(m, singles), pairs: predict(m, pairs) }));
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
}

void main();
