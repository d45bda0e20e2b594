/*
 * The classifier measured as the paper measured it, and on what the paper could not do.
 *
 * Singles: every reference frame of the split at each of the 25 classes (the 24 detunes at whole
 * levels, and none). Reported: exact class, and class-or-neighbouring-level (the paper: 98.3% and
 * 100%), overall and per family.
 * Doubles: every reference frame with `doubles` random pairs of families at whole levels. Reported:
 * the share fully diagnosed (both families above 0.5, no other family above 0.5) and each family's
 * mean amount error.
 */
import { compileDetunes } from '../detune/apply.js';
import { CLASS_LABELS, detuneOfClass, FAMILIES, amountsOf, type Detune } from '../detune/families.js';
import { createRng, randomCombination } from '../detune/random.js';
import type { Split } from '../manifest/split.js';
import { loadReferences } from '../models/data.js';
import type { FrameSelection } from '../manifest/heldOut.js';
import type { ClassifierModel } from '../models/classifier/model.js';
import { diagnose, isNeighbour } from '../models/classifier/metrics.js';

/**
 * `sources` (ours): the split's frames, from sources never trained on. `frames` (the paper's): the
 * train split's held-out frames, from sources whose other frames were trained on.
 */
export type Protocol = 'sources' | 'frames';

export interface ClassifierEval {
  readonly split: Split;
  readonly protocol: Protocol;
  readonly frames: number;
  readonly singles: { readonly count: number; readonly exact: number; readonly exactOrNeighbour: number };
  readonly perFamily: Record<string, { count: number; exact: number; exactOrNeighbour: number }>;
  readonly doubles: {
    readonly count: number;
    readonly diagnosed: number;
    readonly meanAbsError: number;
    readonly perFamilyError: Record<string, number>;
  };
  readonly confusions: Array<{ truth: string; predicted: string; count: number }>;
}

export async function evaluateClassifier(
  model: ClassifierModel,
  dataDir: string,
  split: Split,
  opts: {
    doubles?: number;
    seed?: number;
    limit?: number;
    protocol?: Protocol;
    onProgress?: (done: number, total: number) => void;
  } = {},
): Promise<ClassifierEval> {
  const protocol = opts.protocol ?? 'sources';
  if (protocol === 'frames') split = 'train';
  const frames: FrameSelection = protocol === 'frames' ? 'held-out' : 'all';
  const refs = await loadReferences(dataDir, split, {
    frames,
    ...(opts.limit !== undefined ? { limit: opts.limit } : {}),
  });
  model.checkInput(refs.width, refs.height, 'the data set');
  const rng = createRng(opts.seed ?? 1);
  const doublesPer = opts.doubles ?? 4;
  let exact = 0;
  let near = 0;
  let count = 0;
  const perFamily: ClassifierEval['perFamily'] = {};
  const confusion = new Map<string, number>();
  let dCount = 0;
  let dOk = 0;
  let dErr = 0;
  const famErr = new Map<string, { sum: number; n: number }>();
  const scratch = () => new Uint8Array(refs.width * refs.height * 3);
  for (const [i, ref] of refs.frames.entries()) {
    // Singles: all 25 classes of this frame in one batch.
    const frames = CLASS_LABELS.map((_, k) => {
      const d = detuneOfClass(k);
      const out = scratch();
      compileDetunes(d ? [d] : [])(ref, out);
      return out;
    });
    const diag = model.diagnose(frames, 1);
    diag.forEach((dg, k) => {
      const truth = CLASS_LABELS[k]!;
      const predicted = dg.top[0]!.label;
      const family = truth === 'none' ? 'none' : truth.slice(0, truth.lastIndexOf('-'));
      const row = (perFamily[family] ??= { count: 0, exact: 0, exactOrNeighbour: 0 });
      row.count++;
      count++;
      if (predicted === truth) {
        exact++;
        row.exact++;
      } else {
        const key = `${truth}\t${predicted}`;
        confusion.set(key, (confusion.get(key) ?? 0) + 1);
      }
      if (isNeighbour(truth, predicted)) {
        near++;
        row.exactOrNeighbour++;
      }
    });
    // Doubles at whole levels.
    const pairs: Detune[][] = [];
    for (let k = 0; k < doublesPer; k++) {
      pairs.push(
        randomCombination(rng, { min: 2, max: 2 }).map((d) => ({ ...d, amount: Math.ceil(d.amount) })),
      );
    }
    const dFrames = pairs.map((p) => {
      const out = scratch();
      compileDetunes(p)(ref, out);
      return out;
    });
    const { amounts } = model.predict(dFrames);
    pairs.forEach((p, k) => {
      const truth = amountsOf(p);
      const want = FAMILIES.filter((f) => truth[f] > 0.5).join(',');
      const got = diagnose(amounts, k * FAMILIES.length).join(',');
      dCount++;
      if (want === got) dOk++;
      FAMILIES.forEach((f, j) => {
        const e = Math.abs(truth[f] - amounts[k * FAMILIES.length + j]!);
        dErr += e;
        const fe = famErr.get(f) ?? { sum: 0, n: 0 };
        fe.sum += e;
        fe.n++;
        famErr.set(f, fe);
      });
    });
    opts.onProgress?.(i + 1, refs.frames.length);
  }
  for (const row of Object.values(perFamily)) {
    row.exact /= row.count;
    row.exactOrNeighbour /= row.count;
  }
  return {
    split,
    protocol,
    frames: refs.frames.length,
    singles: { count, exact: exact / count, exactOrNeighbour: near / count },
    perFamily,
    doubles: {
      count: dCount,
      diagnosed: dOk / dCount,
      meanAbsError: dErr / (dCount * FAMILIES.length),
      perFamilyError: Object.fromEntries([...famErr].map(([f, e]) => [f, e.sum / e.n])),
    },
    confusions: [...confusion]
      .map(([k, n]) => {
        const [truth, predicted] = k.split('\t') as [string, string];
        return { truth, predicted, count: n };
      })
      .sort((a, b) => b.count - a.count)
      .slice(0, 12),
  };
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;

export function classifierMarkdown(r: ClassifierEval): string {
  const lines = [
    r.protocol === 'frames'
      ? `## Classifier, the paper's protocol: ${r.frames} held-out frames of the train split's sources`
      : `## Classifier, ${r.split} split: ${r.frames} reference frames of sources never trained on`,
    '',
    `Singles (${r.singles.count} frames: each reference at all 25 classes): exact ${pct(r.singles.exact)}, class or neighbouring level ${pct(r.singles.exactOrNeighbour)} (the paper: 98.3% and 100%).`,
    '',
    '| family | frames | exact | exact or neighbour |',
    '| --- | ---: | ---: | ---: |',
    ...Object.entries(r.perFamily).map(
      ([f, v]) => `| ${f} | ${v.count} | ${pct(v.exact)} | ${pct(v.exactOrNeighbour)} |`,
    ),
    '',
    `Doubles (${r.doubles.count} frames, two families at whole levels): fully diagnosed ${pct(r.doubles.diagnosed)}; mean amount error ${r.doubles.meanAbsError.toFixed(3)} levels.`,
    '',
    '| family | mean amount error on doubles |',
    '| --- | ---: |',
    ...Object.entries(r.doubles.perFamilyError).map(([f, e]) => `| ${f} | ${e.toFixed(3)} |`),
    '',
    'Most frequent confusions (truth -> predicted, frames):',
    '',
    ...r.confusions.map((c) => `- ${c.truth} -> ${c.predicted}: ${c.count}`),
    '',
  ];
  return lines.join('\n');
}
