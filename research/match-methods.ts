/*
 * Compares colour-transfer methods and settings for the match stage (research, not product), on
 * the runs of one split of a steady-run data set, fast: each run's frames are corrected directly
 * (the transfer sampled into a 33^3 LUT), without the pipeline, each frame by the mean of the
 * run's corrections (or its own: `per-frame`). `vgrade eval --task match` is the measure that
 * counts (docs/match.md); this found what was worth measuring there. Edit `variants` to compare
 * settings; `--every N` takes every Nth frame of each run, `--refs same,other` the references.
 *
 * Per run: the input is the run's detuned frames, the reference its middle clean frame (`same`) or
 * the clean middle frame of the most similar run of another source (`other`); each frame's
 * correction is averaged over the whole run (as the stage's radius does within a shot).
 *
 *   npx tsc -p tsconfig.json && node dist/research/match-methods.js --data DS --split validation \
 *     [--every 3] [--refs same,other] [--only curves]
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { meanDeltaE2000 } from '../src/color/ciede2000.js';
import type { ManifestEntry } from '../src/manifest/manifest.js';
import { decodePng } from '../src/image/png.js';
import {
  averageTransfers,
  estimateTransfer,
  imageSamples,
  transferFunction,
  type TransferSettings,
} from '../src/color/transfer.js';
import { applyLut, fillLut } from '../src/correction/lut3d.js';
import { flicker } from '../src/eval/flicker.js';
import { histogramSignature, signatureDistance } from '../src/stages/cuts.js';
import { match, referenceFrom, transferSettings } from '../src/stages/match.js';
import { defaultOptions } from '../src/stages/options.js';

const DEFAULTS = defaultOptions(match.options);
const DEFAULT_TRANSFER = transferSettings(DEFAULTS);
import type { Frame } from '../src/frame/frame.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

interface Run {
  source: string;
  inputs: Uint8Array[];
  refs: Uint8Array[];
  width: number;
  height: number;
}

const data = arg('data', '/tmp/exp/ds-steady');
const split = arg('split', 'validation');
const text = await readFile(path.join(data, 'manifest.jsonl'), 'utf8');
const entries = text
  .split('\n')
  .filter((l) => l.trim())
  .map((l) => JSON.parse(l) as ManifestEntry);

const every = Number(arg('every', '1'));

async function load(e: ManifestEntry): Promise<Run> {
  const inputs: Uint8Array[] = [];
  const refs: Uint8Array[] = [];
  let width = 0;
  let height = 0;
  for (const f of e.files.filter((_, i) => i % every === 0 || i === e.files.length >> 1)) {
    if (!('input' in f)) throw new Error('ab data set');
    const a = decodePng(await readFile(path.join(data, f.input)));
    const b = decodePng(await readFile(path.join(data, f.reference)));
    inputs.push(a.rgb);
    refs.push(b.rgb);
    width = a.width;
    height = a.height;
  }
  return { source: e.source, inputs, refs, width, height };
}

const runs = await Promise.all(entries.filter((e) => e.split === split && e.kind === 'run').map(load));
// Candidates for "another source of similar content": the middle clean frame of every run of every
// split (the match stage learns nothing, so the train split's frames are fair references).
const pool = await Promise.all(entries.filter((e) => e.kind === 'run').map(load));

function asFrame(rgb: Uint8Array, width: number, height: number): Frame {
  return {
    image: { width, height, depth: 8, data: rgb },
    active: { x: 0, y: 0, width, height },
  } as unknown as Frame;
}

/** Where a source came from: its name up to the first '_' (the package, in /work/media's naming). */
const origin = (source: string): string => path.basename(source).split('_')[0]!;

function otherReference(run: Run): Uint8Array {
  const mid = run.refs[run.refs.length >> 1]!;
  const sig = histogramSignature(asFrame(mid, run.width, run.height));
  let best: Uint8Array | undefined;
  let bestD = Infinity;
  for (const p of pool) {
    if (p.source === run.source || p.width !== run.width || origin(p.source) !== origin(run.source)) continue;
    const cand = p.refs[p.refs.length >> 1]!;
    const d = signatureDistance(sig, histogramSignature(asFrame(cand, p.width, p.height)));
    if (d < bestD) {
      bestD = d;
      best = cand;
    }
  }
  return best!;
}

interface Variant {
  name: string;
  settings: TransferSettings | undefined;
  average: boolean;
}

const V = (name: string, o: Partial<TransferSettings>, average = true): Variant => ({
  name,
  settings: { ...DEFAULT_TRANSFER, ...o },
  average,
});
const variants: Variant[] = [
  { name: 'input', settings: undefined, average: true },
  V('reinhard', { method: 'reinhard' }),
  V('robust', { method: 'robust' }),
  V('curves', { method: 'curves' }),
];
const only = arg('only', '');
const kinds = arg('refs', 'same,other').split(',') as Array<'same' | 'other'>;

function grade(run: Run, frames: Uint8Array[], refRgb: Uint8Array, v: Variant): Uint8Array[] {
  const settings = v.settings;
  if (!settings) return frames;
  const rect = { x: 0, y: 0, width: run.width, height: run.height };
  const image = (rgb: Uint8Array) => ({ width: run.width, height: run.height, depth: 8 as const, data: rgb });
  const ref = referenceFrom([image(refRgb)], DEFAULTS.step);
  const ts = frames.map(
    (f) => estimateTransfer(imageSamples(image(f), rect, DEFAULTS.step), ref, settings).transfer,
  );
  const avg = averageTransfers(ts);
  return frames.map((f, i) => {
    const lut = fillLut(33, transferFunction(v.average ? avg : ts[i]!));
    const dst = image(new Uint8Array(f.length));
    applyLut(lut, image(f), dst);
    return dst.data as Uint8Array;
  });
}

for (const refKind of kinds) {
  const sums = new Map<string, { de: number; moved: number; frames: number; fl: number; flRef: number }>();
  for (const run of runs) {
    const refRgb = refKind === 'same' ? run.refs[run.refs.length >> 1]! : otherReference(run);
    for (const v of variants) {
      if (only && !only.split(',').some((o) => v.name.startsWith(o)) && v.name !== 'input') continue;
      const out = grade(run, run.inputs, refRgb, v);
      const clean = grade(run, run.refs, refRgb, v);
      const s = sums.get(v.name) ?? { de: 0, moved: 0, frames: 0, fl: 0, flRef: 0 };
      out.forEach((o, i) => {
        s.de += meanDeltaE2000(o, run.refs[i]!);
        s.moved += meanDeltaE2000(clean[i]!, run.refs[i]!);
        s.frames++;
      });
      s.fl += flicker(out);
      s.flRef += flicker(run.refs);
      sums.set(v.name, s);
    }
  }
  console.log(`\n${split}, reference ${refKind} (${runs.length} runs)`);
  const base = sums.get('input')!.de / sums.get('input')!.frames;
  for (const [name, s] of sums) {
    const de = s.de / s.frames;
    console.log(
      `${name.padEnd(20)} dE ${de.toFixed(3)}  ratio ${(de / base).toFixed(3)}  clean moved ${(s.moved / s.frames).toFixed(3)}  flicker ${(s.fl / s.flRef).toFixed(3)}`,
    );
  }
}
