import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { meanDeltaE2000 } from '../color/ciede2000.js';
import { exactShare, psnr } from '../color/metrics.js';
import type { ManifestEntry } from '../dataset/build.js';
import type { Split } from '../dataset/split.js';
import { UsageError } from '../util/errors.js';
import { flicker } from './flicker.js';
import { readRgb, type Grader } from './graders.js';

/** Where a sample's rows go in the table: its one detune family, `combination`, `none`, or `drift` (runs). */
export function familyOf(entry: ManifestEntry): string {
  if (entry.kind === 'run') return 'drift (runs)';
  const detunes = entry.detunes[0] ?? [];
  if (detunes.length === 0) return 'none';
  if (detunes.length > 1) return 'combination';
  return detunes[0]!.family;
}

export interface Accumulator {
  frames: number;
  deltaE: number;
  psnr: number;
  exact: number;
}

export interface EvalResult {
  readonly split: Split;
  readonly samples: number;
  readonly frames: number;
  readonly graders: string[];
  /** family -> grader -> means */
  readonly table: Record<
    string,
    Record<string, { deltaE: number; psnr: number; exact: number; frames: number }>
  >;
  /** grader -> mean flicker of its output over the runs, and the reference's */
  readonly flicker: Record<string, { graded: number; reference: number; ratio: number; runs: number }>;
  /** For the contact sheet: a few samples' first frames, per grader. */
  readonly examples: Array<{
    family: string;
    input: Uint8Array;
    reference: Uint8Array;
    graded: Record<string, Uint8Array>;
    width: number;
    height: number;
  }>;
}

/**
 * Grades every sample of a data set's split with each grader and measures the result against the
 * reference: mean CIEDE2000, PSNR, the share of exactly equal pixels, and flicker on runs.
 */
export async function evaluate(
  dataDir: string,
  split: Split,
  graders: readonly Grader[],
  opts: {
    ffmpeg: string;
    limit?: number;
    examples?: number;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<EvalResult> {
  let text: string;
  try {
    text = await readFile(path.join(dataDir, 'manifest.jsonl'), 'utf8');
  } catch {
    throw new UsageError('E_INPUT_MISSING', `No manifest.jsonl in ${dataDir}: build one with vgrade dataset`);
  }
  const entries = text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ManifestEntry)
    .filter((e) => e.split === split)
    .slice(0, opts.limit ?? Infinity);
  if (entries.length === 0)
    throw new UsageError('E_INPUT_EMPTY', `The ${split} split of ${dataDir} is empty`);
  const sums = new Map<string, Map<string, Accumulator>>();
  const flick = new Map<string, { graded: number; reference: number; runs: number }>();
  const examples: EvalResult['examples'] = [];
  let frames = 0;
  for (const [n, entry] of entries.entries()) {
    const files = entry.files.map((f) => {
      if (!('input' in f))
        throw new UsageError('E_USAGE', 'vgrade eval reads data sets written without --ab');
      return f;
    });
    const inputs = await Promise.all(files.map((f) => readRgb(opts.ffmpeg, path.join(dataDir, f.input))));
    const references = await Promise.all(
      files.map((f) => readRgb(opts.ffmpeg, path.join(dataDir, f.reference))),
    );
    const probe = await readDimensions(path.join(dataDir, files[0]!.input));
    const folder = path.join(dataDir, path.dirname(files[0]!.input));
    const list = path.join(folder, `.eval-${process.pid}-${n}.ffconcat`);
    await writeFile(
      list,
      `ffconcat version 1.0\n${files.map((f) => `file '${path.basename(f.input)}'\nduration 0.04`).join('\n')}\n`,
    );
    const family = familyOf(entry);
    const example =
      examples.length < (opts.examples ?? 8) &&
      entry.kind !== 'run' &&
      !examples.some((e) => e.family === family);
    const graded: Record<string, Uint8Array> = {};
    try {
      for (const grader of graders) {
        const out = await grader.grade({ list, width: probe.width, height: probe.height, inputs });
        if (out.length !== references.length) {
          throw new Error(
            `${grader.name} returned ${out.length} frames for ${references.length} in ${files[0]!.input}`,
          );
        }
        const byFamily = sums.get(family) ?? new Map<string, Accumulator>();
        sums.set(family, byFamily);
        const acc = byFamily.get(grader.name) ?? { frames: 0, deltaE: 0, psnr: 0, exact: 0 };
        byFamily.set(grader.name, acc);
        for (let i = 0; i < out.length; i++) {
          acc.frames++;
          acc.deltaE += meanDeltaE2000(out[i]!, references[i]!);
          acc.psnr += Math.min(psnr(out[i]!, references[i]!), 100);
          acc.exact += exactShare(out[i]!, references[i]!);
        }
        if (entry.kind === 'run') {
          const f = flick.get(grader.name) ?? { graded: 0, reference: 0, runs: 0 };
          f.graded += flicker(out);
          f.reference += flicker(references);
          f.runs++;
          flick.set(grader.name, f);
        }
        if (example) graded[grader.name] = out[0]!;
      }
    } finally {
      await rm(list, { force: true });
    }
    if (example)
      examples.push({
        family,
        input: inputs[0]!,
        reference: references[0]!,
        graded,
        width: probe.width,
        height: probe.height,
      });
    frames += references.length;
    opts.onProgress?.(n + 1, entries.length);
  }
  const table: EvalResult['table'] = {};
  const overall = new Map<string, Accumulator>();
  for (const [family, byGrader] of [...sums.entries()].sort()) {
    table[family] = {};
    for (const [grader, acc] of byGrader) {
      table[family][grader] = {
        deltaE: acc.deltaE / acc.frames,
        psnr: acc.psnr / acc.frames,
        exact: acc.exact / acc.frames,
        frames: acc.frames,
      };
      const o = overall.get(grader) ?? { frames: 0, deltaE: 0, psnr: 0, exact: 0 };
      o.frames += acc.frames;
      o.deltaE += acc.deltaE;
      o.psnr += acc.psnr;
      o.exact += acc.exact;
      overall.set(grader, o);
    }
  }
  table['overall'] = Object.fromEntries(
    [...overall].map(([g, acc]) => [
      g,
      {
        deltaE: acc.deltaE / acc.frames,
        psnr: acc.psnr / acc.frames,
        exact: acc.exact / acc.frames,
        frames: acc.frames,
      },
    ]),
  );
  return {
    split,
    samples: entries.length,
    frames,
    graders: graders.map((g) => g.name),
    table,
    flicker: Object.fromEntries(
      [...flick].map(([g, f]) => [
        g,
        {
          graded: f.graded / f.runs,
          reference: f.reference / f.runs,
          ratio: f.graded / Math.max(1e-9, f.reference),
          runs: f.runs,
        },
      ]),
    ),
    examples,
  };
}

/** Width and height of a PNG, from its IHDR chunk. */
async function readDimensions(file: string): Promise<{ width: number; height: number }> {
  const head = await readFile(file);
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}
