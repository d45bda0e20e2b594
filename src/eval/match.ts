/**
 * The matching task of `vgrade eval` (`--task match`): how well the match stage makes a detuned
 * clip look like a clean reference frame.
 *
 * For each run of the split (a steady-run data set, `vgrade dataset --steady-runs`: consecutive
 * frames with one detune held), the input is the whole run detuned and the score is the mean
 * CIEDE2000 of the graded run against the clean run. Two references:
 *   - `same clip`: the run's middle clean frame;
 *   - `other source` (the harder case): a clean frame of another source of similar content: among
 *     the other sources of the same origin (the file name up to its first `_`: the package or
 *     author the footage came from) when there are any, else among all others, the middle clean
 *     frame of a run (or a single frame's) nearest by the cut detector's histogram distance.
 * Each method of the match stage (`match.method`) grades the run through the shipped `match`
 * pipeline exactly as `vgrade match` would, beside the input as it came. Also measured: the
 * flicker the grade adds (flicker of the graded run over the clean run's, summed over runs), and
 * `clean moved`: the clean run matched to the same reference, against itself (0: the match leaves
 * right colours alone; for another source, how far its content alone moves them).
 */
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { meanDeltaE2000 } from '../color/ciede2000.js';
import { readManifest, type ManifestEntry } from '../manifest/manifest.js';
import { decodePng } from '../image/png.js';
import type { Split } from '../manifest/split.js';
import type { ResolvedBinaries } from '../ffmpeg/binaries.js';
import type { FfmpegCapabilities } from '../ffmpeg/capabilities.js';
import type { Frame } from '../frame/frame.js';
import { applyOverrides, loadPipeline } from '../pipeline/load.js';
import { compilePipeline } from '../pipeline/compile.js';
import { gradeOne } from '../run/grade.js';
import { fileInput } from '../ffmpeg/input.js';
import { fileOutput } from '../ffmpeg/output.js';
import { histogramSignature, signatureDistance } from '../stages/cuts.js';
import { UsageError } from '../util/errors.js';
import type { Logger } from '../util/logger.js';
import { resolvePipelinePath } from '../util/packageRoot.js';
import { flicker } from './flicker.js';

export const REFERENCE_CASES = ['same clip', 'other source'] as const;
export type ReferenceCase = (typeof REFERENCE_CASES)[number];

/** The row of the input as it came (no grading). */
export const INPUT_ROW = 'input';

export interface MatchRow {
  /** Mean CIEDE2000 of the graded runs against the clean runs. */
  readonly deltaE: number;
  /** Mean CIEDE2000 of the clean runs, matched to the same references, against themselves. */
  readonly cleanMoved: number;
  /** Summed flicker of the graded runs over the clean runs' (1: none added). */
  readonly flicker: number;
  readonly frames: number;
  readonly runs: number;
}

export interface MatchEvalResult {
  readonly split: Split;
  readonly runs: number;
  /** case -> grader (`input`, then each method) -> row */
  readonly table: Record<ReferenceCase, Record<string, MatchRow>>;
  /** Each run's references, relative to the data set's folder. */
  readonly references: Array<{ run: string } & Record<ReferenceCase, string>>;
}

interface Candidate {
  readonly source: string;
  readonly file: string;
  signature?: Float32Array;
}

/** Where a source came from: its base name up to the first `_`. */
export function originOf(source: string): string {
  return path.basename(source).split('_')[0]!;
}

async function readPng(file: string): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  return decodePng(await readFile(file));
}

async function signatureOf(file: string): Promise<Float32Array> {
  const { width, height, rgb } = await readPng(file);
  const frame = {
    image: { width, height, depth: 8, data: rgb },
    active: { x: 0, y: 0, width, height },
  } as unknown as Frame;
  return histogramSignature(frame);
}

/** The clean frame of another source of similar content (see the module comment). */
async function otherReference(
  run: ManifestEntry,
  middle: string,
  pool: Candidate[],
  dataDir: string,
): Promise<string> {
  const others = pool.filter((c) => c.source !== run.source);
  const sameOrigin = others.filter((c) => originOf(c.source) === originOf(run.source));
  const candidates = sameOrigin.length > 0 ? sameOrigin : others;
  if (candidates.length === 0)
    throw new UsageError('E_INPUT_EMPTY', `${dataDir} holds one source only: no reference of another source`);
  const own = await signatureOf(path.join(dataDir, middle));
  let best = candidates[0]!;
  let bestDistance = Infinity;
  for (const c of candidates) {
    c.signature ??= await signatureOf(path.join(dataDir, c.file));
    const d = signatureDistance(own, c.signature);
    if (d < bestDistance) {
      bestDistance = d;
      best = c;
    }
  }
  return best.file;
}

function cleanFiles(entry: ManifestEntry): { input: string; reference: string }[] {
  return entry.files.map((f) => {
    if (!('input' in f)) throw new UsageError('E_USAGE', 'vgrade eval reads data sets written without --ab');
    return f;
  });
}

/**
 * Measures the input and each of `methods` on every run of the split, with both references.
 * `sets` are further overrides of the `match` pipeline (e.g. `match.radius=0`).
 */
export async function evaluateMatch(
  dataDir: string,
  split: Split,
  methods: readonly string[],
  opts: {
    env: { logger: Logger; binaries: ResolvedBinaries; caps: FfmpegCapabilities; signal: AbortSignal };
    pipeline?: string;
    sets?: readonly string[];
    limit?: number;
    onProgress?: (done: number, total: number) => void;
  },
): Promise<MatchEvalResult> {
  const entries = await readManifest(dataDir);
  const runs = entries.filter((e) => e.split === split && e.kind === 'run').slice(0, opts.limit ?? Infinity);
  if (runs.length === 0) {
    throw new UsageError(
      'E_INPUT_EMPTY',
      `The ${split} split of ${dataDir} holds no runs: build the data set with --runs N --steady-runs`,
    );
  }
  // Candidates for another source's reference: a clean frame of every sample of every split (the
  // match stage learns nothing, so no split is held out from it).
  const pool: Candidate[] = entries.map((e) => {
    const files = cleanFiles(e);
    return { source: e.source, file: files[files.length >> 1]!.reference };
  });
  const base = await loadPipeline(resolvePipelinePath(opts.pipeline ?? 'match'));
  const graders = [INPUT_ROW, ...methods];
  const sums = Object.fromEntries(
    REFERENCE_CASES.map((c) => [
      c,
      Object.fromEntries(
        graders.map((g) => [g, { deltaE: 0, cleanMoved: 0, graded: 0, clean: 0, frames: 0, runs: 0 }]),
      ),
    ]),
  ) as Record<
    ReferenceCase,
    Record<
      string,
      { deltaE: number; cleanMoved: number; graded: number; clean: number; frames: number; runs: number }
    >
  >;
  const references: MatchEvalResult['references'] = [];
  const work = await mkdtemp(path.join(os.tmpdir(), 'vgrade-eval-match-'));
  try {
    for (const [n, run] of runs.entries()) {
      const files = cleanFiles(run);
      const folder = path.join(dataDir, path.dirname(files[0]!.input));
      const middle = files[files.length >> 1]!.reference;
      const refs: Record<ReferenceCase, string> = {
        'same clip': middle,
        'other source': await otherReference(run, middle, pool, dataDir),
      };
      references.push({ run: files[0]!.input, ...refs });
      const lists = {
        detuned: path.join(folder, `.eval-match-${process.pid}-${n}-in.ffconcat`),
        clean: path.join(folder, `.eval-match-${process.pid}-${n}-ref.ffconcat`),
      };
      const list = (names: string[]): string =>
        `ffconcat version 1.0\n${names.map((f) => `file '${path.basename(f)}'\nduration 0.04`).join('\n')}\n`;
      await writeFile(lists.detuned, list(files.map((f) => f.input)));
      await writeFile(lists.clean, list(files.map((f) => f.reference)));
      try {
        const inputs = await Promise.all(files.map((f) => readPng(path.join(dataDir, f.input))));
        const clean = await Promise.all(files.map((f) => readPng(path.join(dataDir, f.reference))));
        const cleanRgb = clean.map((c) => c.rgb);
        const cleanFlicker = flicker(cleanRgb);
        for (const c of REFERENCE_CASES) {
          for (const g of graders) {
            let graded: Uint8Array[];
            let moved: Uint8Array[];
            if (g === INPUT_ROW) {
              graded = inputs.map((i) => i.rgb);
              moved = cleanRgb;
            } else {
              const sets = [
                `match.reference=${JSON.stringify(path.resolve(dataDir, refs[c]))}`,
                `match.method=${g}`,
                ...(opts.sets ?? []),
              ];
              const pipeline = compilePipeline(applyOverrides(base, sets));
              const grade = async (listFile: string): Promise<Uint8Array[]> => {
                const dir = await mkdtemp(path.join(work, 'g-'));
                try {
                  await gradeOne(
                    pipeline,
                    fileInput(listFile, 'concat'),
                    fileOutput(path.join(dir, 'g_%06d.png')),
                    opts.env,
                  );
                  const names = (await readdir(dir)).filter((f) => f.endsWith('.png')).sort();
                  // Awaited here: a promise returned unawaited would let `finally` remove the
                  // folder while its pictures are still being read.
                  return await Promise.all(names.map(async (f) => (await readPng(path.join(dir, f))).rgb));
                } finally {
                  await rm(dir, { recursive: true, force: true });
                }
              };
              graded = await grade(lists.detuned);
              moved = await grade(lists.clean);
            }
            if (graded.length !== cleanRgb.length || moved.length !== cleanRgb.length)
              throw new Error(
                `${g} returned ${graded.length} frames for ${cleanRgb.length} in ${files[0]!.input}`,
              );
            const s = sums[c][g]!;
            for (let i = 0; i < cleanRgb.length; i++) {
              s.deltaE += meanDeltaE2000(graded[i]!, cleanRgb[i]!);
              s.cleanMoved += meanDeltaE2000(moved[i]!, cleanRgb[i]!);
              s.frames++;
            }
            s.graded += flicker(graded);
            s.clean += cleanFlicker;
            s.runs++;
          }
        }
      } finally {
        await Promise.all(Object.values(lists).map((f) => rm(f, { force: true })));
      }
      opts.onProgress?.(n + 1, runs.length);
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  const table = Object.fromEntries(
    REFERENCE_CASES.map((c) => [
      c,
      Object.fromEntries(
        graders.map((g) => {
          const s = sums[c][g]!;
          return [
            g,
            {
              deltaE: s.deltaE / s.frames,
              cleanMoved: s.cleanMoved / s.frames,
              flicker: s.graded / Math.max(1e-9, s.clean),
              frames: s.frames,
              runs: s.runs,
            },
          ];
        }),
      ),
    ]),
  ) as MatchEvalResult['table'];
  return { split, runs: runs.length, table, references };
}

/** The matching task's table as Markdown. */
export function matchMarkdown(r: MatchEvalResult): string {
  const lines = [
    `Matching task, split ${r.split}: ${r.runs} runs. ΔE00: mean CIEDE2000 of the graded run against the clean run (lower is better); ratio: to the detuned input's; clean moved: the clean run matched to the same reference, against itself; flicker: the graded runs' over the clean runs' (1 = none added).`,
    '',
    '| reference | grader | ΔE00 | ratio | clean moved | flicker |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  for (const c of REFERENCE_CASES) {
    const input = r.table[c][INPUT_ROW]!.deltaE;
    for (const [g, row] of Object.entries(r.table[c])) {
      lines.push(
        `| ${c} | ${g} | ${row.deltaE.toFixed(3)} | ${(row.deltaE / input).toFixed(3)} | ${row.cleanMoved.toFixed(3)} | ${row.flicker.toFixed(3)} |`,
      );
    }
  }
  return `${lines.join('\n')}\n`;
}
