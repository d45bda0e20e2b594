/*
 * Training data for both networks.
 *
 * From a data set (`vgrade dataset`): its reference frames, clean, are loaded once; every training
 * example is made on the fly by detuning a reference with a fresh random detune (single, at a whole
 * level or a continuous amount, or several at once), so no two steps see the same example. Detunes
 * are applied to the 8-bit proxy exactly as the stream would show them, then the frame is averaged
 * to the 114x64 grid the networks work on. Runs of consecutive frames (18 by default) give the
 * temporal examples, with a drifting detune and each frame flipped left-right at random (the paper
 * found flips inside a sequence helped).
 *
 * From a user's own pairs: two folders of frames matched by name, or two videos matched frame by
 * frame: "before" is the input and "after" the target (a network for one colourist's taste).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { readManifest } from '../manifest/manifest.js';
import { decodePng } from '../image/png.js';
import type { Split } from '../manifest/split.js';
import { selectFrames, type FrameSelection } from '../manifest/heldOut.js';
import { compileDetunes } from '../detune/apply.js';
import type { Detune } from '../detune/families.js';
import { drift, randomCombination, randomContinuous, randomSingle, type Rng } from '../detune/random.js';
import { spawnFfmpeg } from '../ffmpeg/spawn.js';
import { probeMedia } from '../ffmpeg/probe.js';
import { isStillImageFile } from '../ffmpeg/stillImage.js';
import { UsageError } from '../util/errors.js';
import { blockAverage, gridFactor } from './grid.js';

/** A frame on the grid: float RGB in [0, 1], interleaved. */
export interface GridImage {
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

export interface ReferenceSet {
  readonly width: number;
  readonly height: number;
  /** Clean proxy frames (rgb24). */
  readonly frames: Uint8Array[];
  /** Runs of consecutive frames, as indices into `frames`. */
  readonly runs: number[][];
  /**
   * Larger clean pictures from the split's source media (more frames of each video, photographs
   * at two scales): single examples are cropped from them at random, so a network sees each
   * source in many compositions instead of the few the data set wrote.
   */
  readonly canvases?: Canvas[];
}

export interface Canvas {
  readonly rgb: Uint8Array;
  readonly width: number;
  readonly height: number;
}

async function readImage(
  file: string,
  ab: boolean,
): Promise<{ width: number; height: number; rgb: Uint8Array }> {
  const img = decodePng(await readFile(file));
  if (!ab) return img;
  // Side-by-side: input | reference. The reference is the right half.
  const w = img.width / 2;
  const rgb = new Uint8Array(w * img.height * 3);
  for (let y = 0; y < img.height; y++) {
    rgb.set(img.rgb.subarray((y * img.width + w) * 3, (y + 1) * img.width * 3), y * w * 3);
  }
  return { width: w, height: img.height, rgb };
}

export interface CanvasOptions {
  readonly ffmpeg: string;
  readonly ffprobe: string;
  /** Frames taken from each video, evenly spread over its length. */
  readonly framesPerVideo: number;
  /** Called for a source that cannot be read (moved since the data set was made, say). */
  readonly onSkip?: (source: string, reason: string) => void;
}

export interface ReferenceOptions {
  /** At most this many frames. */
  readonly limit?: number;
  /** Which frames of the split (default all; training reads `trainable`, see heldOut.ts). */
  readonly frames?: FrameSelection;
  /** Only these sources (the split's and the extra ones, as named): a learning curve's subsets. */
  readonly onlySources?: ReadonlySet<string>;
  /** Also load the sources' canvases (more frames of each video, photographs at two scales). */
  readonly canvases?: CanvasOptions & {
    /** More clean sources for training only (videos and photographs), beside the split's own. */
    readonly extra?: { readonly videos: readonly string[]; readonly photos: readonly string[] };
  };
}

/** Loads the clean reference frames of one split of a data set (and, with `canvases`, its sources). */
export async function loadReferences(
  dataDir: string,
  split: Split,
  opts: ReferenceOptions = {},
): Promise<ReferenceSet> {
  const limit = opts.limit ?? Infinity;
  const canvases = opts.canvases;
  const only = opts.onlySources;
  const inSplit = (await readManifest(dataDir)).filter(
    (e) => e.split === split && (!only || only.has(e.source)),
  );
  const entries = selectFrames(inSplit, opts.frames ?? 'all');
  if (entries.length === 0) {
    const which =
      opts.frames === 'held-out' ? "held-out frames (the paper's protocol needs the train split)" : 'samples';
    throw new UsageError('E_DATA', `The data set at ${dataDir} has no ${split} ${which}`);
  }
  const index = new Map<string, number>();
  const frames: Uint8Array[] = [];
  const runs: number[][] = [];
  let width = 0;
  let height = 0;
  for (const entry of entries) {
    if (frames.length >= limit) break;
    const ids: number[] = [];
    for (const f of entry.files) {
      const ab = 'ab' in f;
      const file = path.join(dataDir, ab ? f.ab : f.reference);
      let id = index.get(file);
      if (id === undefined) {
        const img = await readImage(file, ab);
        if (width === 0) ({ width, height } = img);
        if (img.width !== width || img.height !== height) {
          throw new UsageError(
            'E_DATA',
            `Frame ${file} is ${img.width}x${img.height} but the data set's first frame is ${width}x${height}`,
          );
        }
        id = frames.length;
        frames.push(img.rgb);
        index.set(file, id);
      }
      ids.push(id);
    }
    if (entry.kind === 'run' && ids.length > 1) runs.push(ids);
  }
  if (!canvases) return { width, height, frames, runs };
  const loaded: Canvas[] = [];
  const sources = [...new Map(entries.map((e) => [e.source, e.kind])).entries()];
  for (const v of canvases.extra?.videos ?? []) if (!only || only.has(v)) sources.push([v, 'frame']);
  for (const p of canvases.extra?.photos ?? []) if (!only || only.has(p)) sources.push([p, 'photo']);
  for (const [source, kind] of sources) {
    try {
      loaded.push(...(await loadCanvases(source, kind === 'photo', width, height, canvases)));
    } catch (err) {
      canvases.onSkip?.(source, err instanceof Error ? err.message.split('\n')[0]! : String(err));
    }
  }
  return { width, height, frames, runs, canvases: loaded };
}

/**
 * Canvases 4/3 of the proxy's size (so crops move by up to a sixth of the frame): a video's frames
 * evenly spread over its length; a photograph whole at that size and at twice it.
 */
async function loadCanvases(
  source: string,
  photo: boolean,
  width: number,
  height: number,
  opts: CanvasOptions,
): Promise<Canvas[]> {
  const scales = photo ? [4 / 3, 8 / 3] : [4 / 3];
  const out: Canvas[] = [];
  for (const scale of scales) {
    const cw = 2 * Math.round((width * scale) / 2);
    const ch = 2 * Math.round((height * scale) / 2);
    let select = '';
    if (!photo) {
      const info = await probeMedia(opts.ffprobe, source);
      const duration = info.duration ?? 0;
      if (duration > 0) select = `fps=${(opts.framesPerVideo / duration).toFixed(6)},`;
    }
    const before = out.length;
    await decodeFrames(
      opts.ffmpeg,
      source,
      cw,
      ch,
      (rgb) => {
        if (photo || out.length - before < opts.framesPerVideo) out.push({ rgb, width: cw, height: ch });
      },
      select,
    );
  }
  return out;
}

/** The detune mix the cGAN trains on: clean frames, singles, and several problems at once. */
export function randomGradeDetunes(rng: Rng): Detune[] {
  const r = rng();
  if (r < 0.08) return [];
  if (r < 0.35) return [randomSingle(rng)];
  if (r < 0.6) return [randomContinuous(rng)];
  return randomCombination(rng, { min: 2, max: 3 });
}

export interface Example {
  readonly input: GridImage;
  readonly target: GridImage;
  readonly detunes: readonly Detune[];
}

/**
 * A clean proxy-size frame for a single example: one of the data set's references or, half the time
 * when the set has canvases, a random proxy-size crop of one.
 */
export function randomReference(refs: ReferenceSet, rng: Rng): Uint8Array {
  const canvases = refs.canvases ?? [];
  if (canvases.length === 0 || rng() < 0.5) return refs.frames[Math.floor(rng() * refs.frames.length)]!;
  const c = canvases[Math.floor(rng() * canvases.length)]!;
  const x0 = Math.floor(rng() * (c.width - refs.width + 1));
  const y0 = Math.floor(rng() * (c.height - refs.height + 1));
  const out = new Uint8Array(refs.width * refs.height * 3);
  for (let y = 0; y < refs.height; y++) {
    const from = ((y0 + y) * c.width + x0) * 3;
    out.set(c.rgb.subarray(from, from + refs.width * 3), y * refs.width * 3);
  }
  return out;
}

/** Detunes one reference frame (an index into `frames`, or the frame itself) and brings both to the grid. */
export function makeExample(
  refs: ReferenceSet,
  frame: number | Uint8Array,
  detunes: readonly Detune[],
  flip: boolean,
  scratch: Uint8Array = new Uint8Array(refs.width * refs.height * 3),
): Example {
  const ref = typeof frame === 'number' ? refs.frames[frame]! : frame;
  compileDetunes(detunes)(ref, scratch);
  const f = gridFactor(refs.height);
  return {
    input: blockAverage(scratch, refs.width, refs.height, f, flip),
    target: blockAverage(ref, refs.width, refs.height, f, flip),
    detunes,
  };
}

/** A window of `length` consecutive frames from a random run, with a drifting detune and random flips. */
export function makeSequence(refs: ReferenceSet, rng: Rng, length: number): Example[] {
  const candidates = refs.runs.filter((r) => r.length >= length);
  if (candidates.length === 0) throw new UsageError('E_DATA', `No run of ${length} frames in the data set`);
  const run = candidates[Math.floor(rng() * candidates.length)]!;
  const start = Math.floor(rng() * (run.length - length + 1));
  const detunes = drift(rng, length, { min: 1, max: 3 });
  const scratch = new Uint8Array(refs.width * refs.height * 3);
  return detunes.map((d, i) => makeExample(refs, run[start + i]!, d, rng() < 0.5, scratch));
}

/** Pairs a user made: before (input) and after (target), on the grid. */
export interface PairSet {
  readonly inputs: GridImage[];
  readonly targets: GridImage[];
}

/**
 * Decodes a video or a still through ffmpeg, cropped and scaled to the proxy size, handing each
 * rgb24 frame to `onFrame` as it arrives (a long video is never held whole).
 */
async function decodeFrames(
  ffmpeg: string,
  file: string,
  width: number,
  height: number,
  onFrame: (rgb: Uint8Array) => void,
  prefilter = '',
): Promise<void> {
  const proc = spawnFfmpeg(
    ffmpeg,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-i',
      file,
      '-vf',
      `${prefilter}scale=${width}:${height}:force_original_aspect_ratio=increase:flags=area,crop=${width}:${height}`,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { label: 'pairs', stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const size = width * height * 3;
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of proc.child.stdout as AsyncIterable<Buffer>) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= size) {
      onFrame(new Uint8Array(pending.subarray(0, size)));
      pending = pending.subarray(size);
    }
  }
  await proc.exited;
}

/**
 * Loads before/after pairs: two folders of images matched by file name, or two videos matched
 * frame by frame (both must have the same number of frames).
 */
export async function loadPairs(
  ffmpeg: string,
  before: string,
  after: string,
  width: number,
  height: number,
): Promise<PairSet> {
  const f = gridFactor(height);
  const toGrid = (rgb: Uint8Array): GridImage => blockAverage(rgb, width, height, f);
  const isDir = async (p: string): Promise<boolean> =>
    readdir(p).then(
      () => true,
      () => false,
    );
  const inputs: GridImage[] = [];
  const targets: GridImage[] = [];
  if ((await isDir(before)) && (await isDir(after))) {
    const names = (await readdir(before)).filter((n) => isStillImageFile(n)).sort();
    const afterNames = new Set(await readdir(after));
    const missing = names.filter((n) => !afterNames.has(n));
    if (names.length === 0) throw new UsageError('E_DATA', `No images in ${before}`);
    if (missing.length > 0) {
      throw new UsageError(
        'E_DATA',
        `${missing.length} of the ${names.length} frames in ${before} have no match in ${after} (first: ${missing[0]})`,
      );
    }
    for (const n of names) {
      const got: GridImage[] = [];
      await decodeFrames(ffmpeg, path.join(before, n), width, height, (rgb) => got.push(toGrid(rgb)));
      await decodeFrames(ffmpeg, path.join(after, n), width, height, (rgb) => got.push(toGrid(rgb)));
      if (got.length !== 2) throw new UsageError('E_DATA', `Could not read the pair ${n}`);
      inputs.push(got[0]!);
      targets.push(got[1]!);
    }
  } else {
    await decodeFrames(ffmpeg, before, width, height, (rgb) => inputs.push(toGrid(rgb)));
    await decodeFrames(ffmpeg, after, width, height, (rgb) => targets.push(toGrid(rgb)));
    if (inputs.length === 0) throw new UsageError('E_DATA', `No frames in ${before}`);
    if (inputs.length !== targets.length) {
      throw new UsageError(
        'E_DATA',
        `Expected the same number of frames in both videos but ${before} has ${inputs.length} and ${after} has ${targets.length}`,
      );
    }
  }
  return { inputs, targets };
}
