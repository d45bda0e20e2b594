/**
 * How the classifier is scored, after the paper and beyond it.
 *
 * - Exact: the top class is the true class (24 detune classes and `none`).
 * - Exact or neighbouring level: the top class is the true family at the true level or one level
 *   next to it (`none` counts as level 0 of every family, so `green-1` for `none` is a neighbour).
 * - Doubles fully diagnosed: on frames with two detunes, both families have an amount above 0.5 and
 *   no other family does.
 */
import { CLASS_LABELS, FAMILIES } from '../../detune/families.js';

const THRESHOLD = 0.5;

function parse(label: string): { family: string | null; level: number } {
  if (label === 'none') return { family: null, level: 0 };
  const i = label.lastIndexOf('-');
  return { family: label.slice(0, i), level: Number(label.slice(i + 1)) };
}

export function isNeighbour(truth: string, predicted: string): boolean {
  if (truth === predicted) return true;
  const t = parse(truth);
  const p = parse(predicted);
  if (t.family === null) return p.level === 1;
  if (p.family === null) return t.level === 1;
  return t.family === p.family && Math.abs(t.level - p.level) === 1;
}

function argmax(probs: Float32Array, row: number, n: number): number {
  let best = 0;
  for (let k = 1; k < n; k++) if (probs[row * n + k]! > probs[row * n + best]!) best = k;
  return best;
}

/** Exact and exact-or-neighbour accuracy, and the confusion counts [truth][predicted]. */
export function scoreSingles(
  labels: readonly number[],
  probs: Float32Array,
): { exact: number; exactOrNeighbour: number; confusion: number[][] } {
  const n = CLASS_LABELS.length;
  const confusion = CLASS_LABELS.map(() => new Array<number>(n).fill(0));
  let exact = 0;
  let near = 0;
  labels.forEach((label, i) => {
    const top = argmax(probs, i, n);
    confusion[label]![top]!++;
    if (top === label) exact++;
    if (isNeighbour(CLASS_LABELS[label]!, CLASS_LABELS[top]!)) near++;
  });
  return { exact: exact / labels.length, exactOrNeighbour: near / labels.length, confusion };
}

/** The families a frame's amounts name (above 0.5). */
export function diagnose(amounts: ArrayLike<number>, offset = 0): string[] {
  return FAMILIES.filter((_, f) => amounts[offset + f]! > THRESHOLD);
}

/** Share of frames whose true families (amount > 0.5) are exactly the families diagnosed. */
export function scoreDoubles(
  truth: readonly number[][],
  predicted: Float32Array,
): { diagnosed: number; meanAbsError: number } {
  let ok = 0;
  let err = 0;
  truth.forEach((t, i) => {
    const want = diagnose(t).join(',');
    const got = diagnose(predicted, i * FAMILIES.length).join(',');
    if (want === got) ok++;
    t.forEach((a, f) => (err += Math.abs(a - predicted[i * FAMILIES.length + f]!)));
  });
  return { diagnosed: ok / truth.length, meanAbsError: err / (truth.length * FAMILIES.length) };
}
