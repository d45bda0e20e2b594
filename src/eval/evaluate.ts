import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { meanDeltaE2000 } from '../color/ciede2000.js';
import { exactShare, psnr } from '../color/metrics.js';
import { readManifest, type ManifestEntry } from '../manifest/manifest.js';
import type { Split } from '../manifest/split.js';
import { UsageError } from '../util/errors.js';
import { flicker } from './flicker.js';
import { readRgb, type Grader } from './graders.js';
import { writeOutsideKind, type OutsideKind } from './outsideKinds.js';

/** The row of clean frames graded as they are: how far a grade moves what was already right. */
export const CLEAN_ROW = 'clean (moved by the grade)';
/** The row that sums up every kind outside the 24. */
export const OUTSIDE_OVERALL = 'outside kinds, all';
const isOutsideRow = (family: string): boolean => family.startsWith('outside:');

/** Where a sample's rows go in the table: its one detune family, `combination`, `none`, or `drift` (runs). */
export function familyOf(entry: ManifestEntry): string {
  if (entry.kind === 'run') return 'drift (runs)';
  const detunes = entry.detunes[0] ?? [];
  if (detunes.length === 0) return 'none';
  if (detunes.length > 1) return 'combination';
  return detunes[0]!.family;
}

/** Issue 13's bound on a clean frame: no grade may move one by more (mean CIEDE2000). */
export const CLEAN_FRAME_LIMIT = 3;

export interface Accumulator {
  frames: number;
  deltaE: number;
  psnr: number;
  exact: number;
  /** The largest mean CIEDE2000 of one frame. */
  worst: number;
  /** That frame's clean reference, relative to the data set's folder ('' before any frame). */
  worstFrame: string;
  /** The clean references of the frames whose mean CIEDE2000 is above CLEAN_FRAME_LIMIT. */
  overLimitFrames: string[];
}

/** One row's figures for one grader: means over its frames, and its worst frame. */
export interface RowFigures {
  readonly deltaE: number;
  readonly psnr: number;
  readonly exact: number;
  readonly frames: number;
  /** The largest mean CIEDE2000 of one frame. */
  readonly worst: number;
  /** That frame's clean reference, relative to the data set's folder. */
  readonly worstFrame: string;
  /** Frames whose mean CIEDE2000 is above CLEAN_FRAME_LIMIT (for the clean row: frames harmed). */
  readonly overLimit: number;
  /** Their clean references, as `worstFrame` names one. */
  readonly overLimitFrames: readonly string[];
}

export interface EvalResult {
  readonly split: Split;
  readonly samples: number;
  readonly frames: number;
  readonly graders: string[];
  /** family -> grader -> means */
  readonly table: Record<string, Record<string, RowFigures>>;
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
    /** Grade each single frame's clean reference too (the row `clean`). */
    cleanRows?: boolean;
    /** Kinds of error outside the 24 to make from single frames' references, one per frame in turn. */
    outsideKinds?: readonly OutsideKind[];
    onProgress?: (done: number, total: number) => void;
  },
): Promise<EvalResult> {
  const entries = (await readManifest(dataDir))
    .filter((e) => e.split === split)
    .slice(0, opts.limit ?? Infinity);
  if (entries.length === 0)
    throw new UsageError('E_INPUT_EMPTY', `The ${split} split of ${dataDir} is empty`);
  const sums = new Map<string, Map<string, Accumulator>>();
  const flick = new Map<string, { graded: number; reference: number; runs: number }>();
  const examples: EvalResult['examples'] = [];
  const kinds = opts.outsideKinds ?? [];
  let frames = 0;
  let outside = 0;
  for (const [n, entry] of entries.entries()) {
    const files = entry.files.map((f) => {
      if (!('input' in f))
        throw new UsageError('E_USAGE', 'vgrade eval reads data sets written without --ab');
      return f;
    });
    // Every file of a sample lies in one folder; its ffconcat list goes beside them and names them
    // by base name (the concat demuxer's safe mode takes nothing else).
    const at = path.dirname(files[0]!.input);
    const folder = path.join(dataDir, at);
    const references = files.map((f) => path.basename(f.reference));
    const samples: Sample[] = [
      {
        family: familyOf(entry),
        at,
        inputs: files.map((f) => path.basename(f.input)),
        references,
        run: entry.kind === 'run',
      },
    ];
    // A single frame also stands for the rows that are not detunes: the clean frame graded as it
    // is (how far a grade moves what was right), and one kind of error outside the 24, in turn.
    if (entry.kind !== 'run' && opts.cleanRows)
      samples.push({ family: CLEAN_ROW, at, inputs: references, references, run: false });
    const made: string[] = [];
    try {
      if (entry.kind !== 'run' && kinds.length > 0) {
        const kind = kinds[outside++ % kinds.length]!;
        const name = `eval-outside-${process.pid}-${n}.png`;
        made.push(path.join(folder, name));
        await writeOutsideKind(opts.ffmpeg, kind, path.join(folder, references[0]!), path.join(folder, name));
        samples.push({ family: kind.name, at, inputs: [name], references, run: false });
      }
      for (const [k, sample] of samples.entries()) {
        const list = path.join(folder, `.eval-${process.pid}-${n}-${k}.ffconcat`);
        made.push(list);
        await writeFile(
          list,
          `ffconcat version 1.0\n${sample.inputs.map((f) => `file '${f}'\nduration 0.04`).join('\n')}\n`,
        );
        frames += await gradeSample(
          sample,
          folder,
          list,
          graders,
          opts.ffmpeg,
          sums,
          flick,
          examples,
          opts.examples ?? 8,
        );
      }
    } finally {
      await Promise.all(made.map((f) => rm(f, { force: true })));
    }
    opts.onProgress?.(n + 1, entries.length);
  }
  const table: EvalResult['table'] = {};
  const overall = new Map<string, Accumulator>();
  const allOutside = new Map<string, Accumulator>();
  const mean = (acc: Accumulator): RowFigures => ({
    deltaE: acc.deltaE / acc.frames,
    psnr: acc.psnr / acc.frames,
    exact: acc.exact / acc.frames,
    frames: acc.frames,
    worst: acc.worst,
    worstFrame: acc.worstFrame,
    overLimit: acc.overLimitFrames.length,
    overLimitFrames: acc.overLimitFrames,
  });
  const add = (into: Map<string, Accumulator>, grader: string, acc: Accumulator): void => {
    const o = into.get(grader) ?? emptyAccumulator();
    o.frames += acc.frames;
    o.deltaE += acc.deltaE;
    o.psnr += acc.psnr;
    o.exact += acc.exact;
    if (acc.worst > o.worst || !o.worstFrame) {
      o.worst = acc.worst;
      o.worstFrame = acc.worstFrame;
    }
    o.overLimitFrames.push(...acc.overLimitFrames);
    into.set(grader, o);
  };
  // The detuned samples first (their overall is the figure every earlier table quotes), then the
  // clean frames and the kinds outside the 24, each with its own rows.
  const rowsOf = (pick: (family: string) => boolean) => [...sums.entries()].filter(([f]) => pick(f)).sort();
  for (const [family, byGrader] of rowsOf((f) => f !== CLEAN_ROW && !isOutsideRow(f))) {
    table[family] = {};
    for (const [grader, acc] of byGrader) {
      table[family][grader] = mean(acc);
      add(overall, grader, acc);
    }
  }
  table['overall'] = Object.fromEntries([...overall].map(([g, acc]) => [g, mean(acc)]));
  for (const [family, byGrader] of rowsOf((f) => f === CLEAN_ROW || isOutsideRow(f))) {
    table[family] = {};
    for (const [grader, acc] of byGrader) {
      table[family][grader] = mean(acc);
      if (isOutsideRow(family)) add(allOutside, grader, acc);
    }
  }
  if (allOutside.size > 0)
    table[OUTSIDE_OVERALL] = Object.fromEntries([...allOutside].map(([g, acc]) => [g, mean(acc)]));
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

const emptyAccumulator = (): Accumulator => ({
  frames: 0,
  deltaE: 0,
  psnr: 0,
  exact: 0,
  worst: 0,
  worstFrame: '',
  overLimitFrames: [],
});

interface Sample {
  /** The table row. */
  readonly family: string;
  /** The folder of its files, relative to the data set's. */
  readonly at: string;
  /** Base names in the sample's folder. */
  readonly inputs: readonly string[];
  readonly references: readonly string[];
  /** A run of consecutive frames (measured for flicker too). */
  readonly run: boolean;
}

/** Grades one sample with every grader and adds its measures to the sums; returns its frame count. */
async function gradeSample(
  sample: Sample,
  folder: string,
  list: string,
  graders: readonly Grader[],
  ffmpeg: string,
  sums: Map<string, Map<string, Accumulator>>,
  flick: Map<string, { graded: number; reference: number; runs: number }>,
  examples: EvalResult['examples'],
  maxExamples: number,
): Promise<number> {
  const inputs = await Promise.all(sample.inputs.map((f) => readRgb(ffmpeg, path.join(folder, f))));
  const references = await Promise.all(sample.references.map((f) => readRgb(ffmpeg, path.join(folder, f))));
  const probe = await readDimensions(path.join(folder, sample.inputs[0]!));
  const { family } = sample;
  const example = examples.length < maxExamples && !sample.run && !examples.some((e) => e.family === family);
  const graded: Record<string, Uint8Array> = {};
  for (const grader of graders) {
    const out = await grader.grade({ list, width: probe.width, height: probe.height, inputs });
    if (out.length !== references.length) {
      throw new Error(
        `${grader.name} returned ${out.length} frames for ${references.length} in ${sample.inputs[0]!}`,
      );
    }
    const byFamily = sums.get(family) ?? new Map<string, Accumulator>();
    sums.set(family, byFamily);
    const acc = byFamily.get(grader.name) ?? emptyAccumulator();
    byFamily.set(grader.name, acc);
    for (let i = 0; i < out.length; i++) {
      acc.frames++;
      const deltaE = meanDeltaE2000(out[i]!, references[i]!);
      acc.deltaE += deltaE;
      const frame = path.join(sample.at, sample.references[i]!);
      if (deltaE > acc.worst || !acc.worstFrame) {
        acc.worst = deltaE;
        acc.worstFrame = frame;
      }
      if (deltaE > CLEAN_FRAME_LIMIT) acc.overLimitFrames.push(frame);
      acc.psnr += Math.min(psnr(out[i]!, references[i]!), 100);
      acc.exact += exactShare(out[i]!, references[i]!);
    }
    if (sample.run) {
      const f = flick.get(grader.name) ?? { graded: 0, reference: 0, runs: 0 };
      f.graded += flicker(out);
      f.reference += flicker(references);
      f.runs++;
      flick.set(grader.name, f);
    }
    if (example) graded[grader.name] = out[0]!;
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
  return references.length;
}

/** Width and height of a PNG, from its IHDR chunk. */
async function readDimensions(file: string): Promise<{ width: number; height: number }> {
  const head = await readFile(file);
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}
