import { mkdir, readdir, stat, writeFile, appendFile, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../util/logger.js';
import type { ResolvedBinaries } from '../ffmpeg/binaries.js';
import type { FfmpegCapabilities } from '../ffmpeg/capabilities.js';
import { STILL_IMAGE_EXTENSIONS } from '../ffmpeg/stillImage.js';
import { parsePipeline } from '../pipeline/load.js';
import { compilePipeline } from '../pipeline/compile.js';
import { buildStream, prepareRun } from '../run/grade.js';
import { fileInput } from '../ffmpeg/input.js';
import { fileOutput } from '../ffmpeg/output.js';
import type { Frame } from '../frame/frame.js';
import { applyDetunes } from '../detune/apply.js';
import type { Detune } from '../detune/families.js';
import {
  createRng,
  drift,
  randomCombination,
  randomContinuous,
  randomSingle,
  type Rng,
} from '../detune/random.js';
import { encodePng } from '../image/png.js';
import { assignSplits, hashName, type Split } from '../manifest/split.js';
import { MANIFEST_FILE, type ManifestEntry } from '../manifest/manifest.js';
import { formatSplitList, SPLIT_LIST_FILE, sourceNames } from '../manifest/splitList.js';
import { UsageError } from '../util/errors.js';

const VIDEO_EXT = new Set([
  '.mp4',
  '.m4v',
  '.mov',
  '.mkv',
  '.avi',
  '.mpg',
  '.mpeg',
  '.ogv',
  '.webm',
  '.ts',
  '.nut',
  '.y4m',
]);

export interface DatasetOptions {
  readonly from: readonly string[];
  readonly out: string;
  readonly width: number;
  readonly height: number;
  readonly fit: 'crop' | 'pad';
  /** Single frames sampled per video. */
  readonly frames: number;
  /** Runs of consecutive frames sampled per video (for sequence training). */
  readonly runs: number;
  readonly runLength: number;
  /** Runs keep one detune throughout (for measuring the flicker a grader adds) instead of drifting. */
  readonly steadyRuns?: boolean;
  /** Detuned variants per photograph. */
  readonly variants: number;
  readonly seed: number;
  /** Write the paper's side-by-side layout (input | reference, 2W x H) instead of two files. */
  readonly ab: boolean;
  /**
   * Splits fixed by file name (a split list, see splitList.ts): a source named here goes to its
   * split; the others are split by the hash of their path, as without a list.
   */
  readonly splits?: ReadonlyMap<string, Split>;
}

export interface DatasetEnvironment {
  readonly logger: Logger;
  readonly binaries: ResolvedBinaries;
  readonly caps: FfmpegCapabilities;
  readonly signal: AbortSignal;
  readonly onProgress?: (p: { sources: number; totalSources: number; pairs: number; source: string }) => void;
}

/** Finds the videos and photos under the given files and folders, sorted. */
export async function listSources(paths: readonly string[]): Promise<{ videos: string[]; photos: string[] }> {
  const videos: string[] = [];
  const photos: string[] = [];
  const visit = async (p: string): Promise<void> => {
    let s;
    try {
      s = await stat(p);
    } catch {
      throw new UsageError('E_INPUT_MISSING', `Input file not found: ${p}`);
    }
    if (s.isDirectory()) {
      for (const name of (await readdir(p)).sort()) await visit(path.join(p, name));
      return;
    }
    const ext = path.extname(p).toLowerCase();
    if (VIDEO_EXT.has(ext)) videos.push(p);
    else if (STILL_IMAGE_EXTENSIONS.has(ext)) photos.push(p);
  };
  for (const p of paths) await visit(p);
  return { videos, photos };
}

/** Each source's split: the list's where it names the source, else the seeded hash's. */
function splitSources(
  sources: readonly string[],
  seed: number,
  names: ReadonlyMap<string, string>,
  listed?: ReadonlyMap<string, Split>,
): Map<string, Split> {
  const isListed = (source: string): boolean => listed?.has(names.get(source)!) ?? false;
  const out = assignSplits(
    sources.filter((source) => !isListed(source)),
    seed,
  );
  for (const source of sources.filter(isListed)) out.set(source, listed!.get(names.get(source)!)!);
  return out;
}

/** The detunes of one sampled single frame or photo variant: classes, continuous amounts, combinations. */
function frameDetunes(rng: Rng): Detune[] {
  const u = rng();
  if (u < 0.08) return [];
  if (u < 0.48) return [randomSingle(rng)];
  if (u < 0.72) return [randomContinuous(rng)];
  return randomCombination(rng, { min: 2, max: 3 });
}

function slug(file: string): string {
  return path.basename(file).replace(/[^A-Za-z0-9._-]+/g, '_');
}

function to8bit(frame: Frame): Uint8Array {
  const d = frame.image.data;
  if (d instanceof Uint8Array) return d;
  const out = new Uint8Array(d.length);
  for (let i = 0; i < d.length; i++) out[i] = Math.round(d[i]! / 257);
  return out;
}

/**
 * Builds a data set of (detuned, reference) pairs from real footage and photographs: frames are
 * cropped (or padded) to the proxy size without distortion by the decoder's ffmpeg, streamed with
 * the pipeline's bounded frame pool, and only the sampled ones are written, so memory does not
 * depend on the footage's length. Everything random comes from the seed and each source's path as
 * given; a split list (`opts.splits`, and the one written beside the manifest) carries the splits
 * to a data set built from the same sources elsewhere.
 */
export async function buildDataset(
  opts: DatasetOptions,
  env: DatasetEnvironment,
): Promise<{ entries: number; pairs: number; listed: number; splits: Record<Split, string[]> }> {
  const { videos, photos } = await listSources(opts.from);
  if (videos.length + photos.length === 0) {
    throw new UsageError('E_INPUT_MISSING', `No videos or photographs found in ${opts.from.join(', ')}`);
  }
  const names = sourceNames([...videos, ...photos]);
  const splitOf = new Map([
    ...splitSources(videos, opts.seed, names, opts.splits),
    ...splitSources(photos, opts.seed, names, opts.splits),
  ]);
  const listed = [...videos, ...photos].filter((s) => opts.splits?.has(names.get(s)!)).length;
  if (opts.splits && listed === 0) {
    env.logger.warn(
      { listed: opts.splits.size },
      'The split list names none of these sources: every split comes from the hash of the path as given',
    );
  }
  await mkdir(opts.out, { recursive: true });
  const manifest = path.join(opts.out, MANIFEST_FILE);
  await rm(manifest, { force: true });
  const pipeline = compilePipeline(
    parsePipeline(
      `stages:\n  - decode:\n  - downscale: { width: ${opts.width}, height: ${opts.height}, fit: ${opts.fit} }\n`,
      'dataset.yaml',
    ),
  );
  const splits: Record<Split, string[]> = { train: [], test: [], validation: [] };
  let entries = 0;
  let pairs = 0;
  const all = [...videos, ...photos];
  for (const [n, source] of all.entries()) {
    if (env.signal.aborted) break;
    const split = splitOf.get(source)!;
    splits[split].push(source);
    const rng = createRng(hashName(source, opts.seed));
    const dir = path.join(split, slug(names.get(source)!));
    await mkdir(path.join(opts.out, dir), { recursive: true });
    const run = await prepareRun(
      pipeline,
      fileInput(source),
      fileOutput(path.join(opts.out, '.unused.mkv')),
      {
        logger: env.logger,
        binaries: env.binaries,
        caps: env.caps,
        signal: env.signal,
      },
    );
    const isPhoto = photos.includes(source);
    const total = run.media?.estimatedFrames ?? 1;

    // Which frames to keep: single frames spread over the clip, and runs of consecutive frames.
    const singles = new Map<number, Detune[]>();
    const runStarts: number[] = [];
    if (!isPhoto) {
      for (let i = 0; i < opts.frames; i++)
        singles.set(Math.min(total - 1, Math.floor(((i + rng()) * total) / opts.frames)), frameDetunes(rng));
      if (total >= opts.runLength) {
        for (let j = 0; j < opts.runs; j++)
          runStarts.push(Math.floor(((j + rng()) * (total - opts.runLength)) / opts.runs));
      }
    }
    const runs = runStarts.map((start) => ({
      start,
      detunes: drift(rng, opts.runLength, { steady: opts.steadyRuns ?? false }),
      entry: undefined as
        undefined | { frames: number[]; pts: Array<number | null>; files: ManifestEntry['files'] },
    }));

    const write = async (
      frame: Frame,
      detunes: Detune[],
      name: string,
    ): Promise<ManifestEntry['files'][number]> => {
      const reference = to8bit(frame);
      const input = new Uint8Array(reference.length);
      applyDetunes(reference, input, detunes);
      const { width, height } = frame.image;
      pairs++;
      if (opts.ab) {
        const ab = new Uint8Array(width * 2 * height * 3);
        for (let y = 0; y < height; y++) {
          ab.set(input.subarray(y * width * 3, (y + 1) * width * 3), y * width * 6);
          ab.set(reference.subarray(y * width * 3, (y + 1) * width * 3), y * width * 6 + width * 3);
        }
        const file = path.join(dir, `${name}_ab.png`);
        await writeFile(path.join(opts.out, file), encodePng(width * 2, height, ab));
        return { ab: file };
      }
      const files = { input: path.join(dir, `${name}_in.png`), reference: path.join(dir, `${name}_ref.png`) };
      await writeFile(path.join(opts.out, files.input), encodePng(width, height, input));
      await writeFile(path.join(opts.out, files.reference), encodePng(width, height, reference));
      return files;
    };
    const lines: ManifestEntry[] = [];

    // Frames arrive one by one from the pool; writing is awaited before the frame is released, so
    // the decoder waits for the disk rather than frames piling up.
    await new Promise<void>((resolve, reject) => {
      let chain = Promise.resolve();
      const subscription = buildStream(pipeline, run).subscribe({
        next: (frame) => {
          chain = chain
            .then(async () => {
              const index = frame.index;
              const pts = frame.pts ?? null;
              if (isPhoto) {
                const files: ManifestEntry['files'] = [];
                const detunes: Detune[][] = [];
                for (let v = 0; v < opts.variants; v++) {
                  const d = frameDetunes(rng);
                  detunes.push(d);
                  files.push(await write(frame, d, `v${v}`));
                }
                // One entry per variant: each is a sample of its own.
                for (let v = 0; v < files.length; v++) {
                  lines.push({
                    source,
                    kind: 'photo',
                    split,
                    frames: [index],
                    pts: [pts],
                    detunes: [detunes[v]!],
                    files: [files[v]!],
                  });
                }
              }
              const single = singles.get(index);
              if (single) {
                const file = await write(frame, single, `f${String(index).padStart(6, '0')}`);
                lines.push({
                  source,
                  kind: 'frame',
                  split,
                  frames: [index],
                  pts: [pts],
                  detunes: [single],
                  files: [file],
                });
              }
              for (const [r, item] of runs.entries()) {
                const k = index - item.start;
                if (k < 0 || k >= opts.runLength) continue;
                item.entry ??= { frames: [], pts: [], files: [] };
                item.entry.frames.push(index);
                item.entry.pts.push(pts);
                item.entry.files.push(
                  await write(frame, item.detunes[k]!, `r${r}_${String(index).padStart(6, '0')}`),
                );
                if (k === opts.runLength - 1) {
                  lines.push({
                    source,
                    kind: 'run',
                    split,
                    frames: item.entry.frames,
                    pts: item.entry.pts,
                    detunes: item.detunes,
                    files: item.entry.files,
                  });
                }
              }
            })
            .finally(() => frame.release());
          chain.catch(() => {});
        },
        error: (err: unknown) => {
          env.signal.removeEventListener('abort', stop);
          reject(err);
        },
        complete: () => {
          env.signal.removeEventListener('abort', stop);
          chain.then(resolve, reject);
        },
      });
      const stop = (): void => {
        subscription.unsubscribe();
        chain.then(resolve, reject);
      };
      env.signal.addEventListener('abort', stop, { once: true });
    });
    if (lines.length > 0) await appendFile(manifest, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    entries += lines.length;
    env.onProgress?.({ sources: n + 1, totalSources: all.length, pairs, source });
  }
  await writeFile(path.join(opts.out, SPLIT_LIST_FILE), formatSplitList(splits, names));
  return { entries, pairs, listed, splits };
}
