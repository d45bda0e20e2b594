/**
 * The reference a `match` stage makes frames look like, read with ffmpeg at the proxy's size.
 *
 * A reference is written as one of:
 *   - a still: `look.png` (any picture ffmpeg reads);
 *   - a frame of a video: `hero.mp4@00:01:02.500` (also `@62.5`, `@1:02.5`): the frame shown at
 *     that time;
 *   - a video without a time: `hero.mp4`, its look over its length (`VIDEO_FRAMES` frames spread
 *     evenly over it);
 *   - a folder of stills of the look: every picture directly inside it, pooled.
 * Each picture is scaled to the proxy's size (stretched: colour statistics do not depend on the
 * shape of the picture) and read as rgb24. A reference that cannot be read is the user's to fix:
 * a UsageError (exit status 2) that names it.
 *
 * The last few references read are kept (by name, modification time and size), so grading many
 * inputs against one look (a batch, `vgrade ingest`) reads it once.
 */
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../util/logger.js';
import type { ResolvedBinaries } from './binaries.js';
import { probeMedia, type MediaInfo } from './probe.js';
import { spawnFfmpeg } from './spawn.js';
import { isStillImageFile, STILL_IMAGE_EXTENSIONS } from './stillImage.js';
import { allocImage, type RgbImage } from '../image/image.js';
import { describeValue, UsageError, VgradeError } from '../util/errors.js';

/** Frames read from a video given without a time. */
export const VIDEO_FRAMES = 8;

/** A reference as written, split into its file and the time of the frame it names, if any. */
export interface ReferenceSpec {
  readonly file: string;
  /** Seconds from the start, for `FILE@TIME`. */
  readonly time: number | undefined;
}

/**
 * Seconds of `[[HH:]MM:]SS[.fff]`, or undefined when `text` is not a time.
 *
 * @example parseTime('00:01:02.500') === 62.5; parseTime('1:02.5') === 62.5; parseTime('x') === undefined
 */
export function parseTime(text: string): number | undefined {
  const parts = text.split(':');
  if (
    parts.length > 3 ||
    !parts.every((p, i) => (i === parts.length - 1 ? /^\d+(\.\d+)?$/ : /^\d+$/).test(p))
  )
    return undefined;
  return parts.reduce((sum, p) => sum * 60 + Number(p), 0);
}

/** `hero.mp4@1:02.5` -> file `hero.mp4`, time 62.5; a name whose `@` starts no time is all file. */
export function parseReference(spec: string): ReferenceSpec {
  const at = spec.lastIndexOf('@');
  if (at > 0) {
    const time = parseTime(spec.slice(at + 1));
    if (time !== undefined) return { file: spec.slice(0, at), time };
  }
  return { file: spec, time: undefined };
}

/** The reference with its file made absolute (a long-running ingest may read it much later). */
export function absoluteReference(spec: string): string {
  const { file, time } = parseReference(spec);
  return time === undefined
    ? path.resolve(file)
    : `${path.resolve(file)}${spec.slice(spec.lastIndexOf('@'))}`;
}

/** What a reference is, once checked. */
export type ReferenceKind =
  | { readonly kind: 'still'; readonly file: string }
  | { readonly kind: 'frame'; readonly file: string; readonly time: number }
  | { readonly kind: 'video'; readonly file: string; readonly duration: number | undefined }
  | { readonly kind: 'folder'; readonly files: readonly string[] };

function unreadable(spec: string, why: string, cause?: unknown): UsageError {
  return new UsageError('E_USAGE', `Cannot read the reference ${spec}: ${why}`, { cause });
}

/** Probes one file of a reference; any failure is the reference's. */
async function probeOne(
  spec: string,
  file: string,
  binaries: ResolvedBinaries,
  logger?: Logger,
): Promise<MediaInfo> {
  try {
    return await probeMedia(binaries.ffprobe, file, logger ? { logger } : {});
  } catch (err) {
    if (err instanceof VgradeError && err.code === 'E_FFMPEG_MISSING') throw err;
    if (err instanceof VgradeError && err.code === 'E_INPUT_NO_VIDEO')
      throw unreadable(spec, 'it holds no picture', err);
    const reason = err instanceof Error ? err.message : String(err);
    throw unreadable(spec, reason.replace(/^Cannot read .* as media: /, ''), err);
  }
}

/**
 * Checks that `spec` names a reference ffmpeg can read, before any work, and says what it is.
 *
 * @throws UsageError `E_INPUT_MISSING` when its file or folder does not exist; `E_USAGE` when it
 *   is not a picture or video, a folder holds no stills, or the time lies past the video's end.
 */
export async function checkReference(
  spec: string,
  binaries: ResolvedBinaries,
  logger?: Logger,
): Promise<ReferenceKind> {
  if (spec === '')
    throw new UsageError(
      'E_USAGE',
      'Expected a reference (a still, FILE@TIME, a video or a folder) but received nothing',
    );
  const { file, time } = parseReference(spec);
  let info;
  try {
    info = await stat(file);
  } catch {
    throw new UsageError('E_INPUT_MISSING', `Reference not found: ${file}`);
  }
  if (info.isDirectory()) {
    if (time !== undefined) throw unreadable(spec, 'a folder has no frame at a time');
    const files = (await readdir(file))
      .filter(isStillImageFile)
      .sort()
      .map((name) => path.join(file, name));
    if (files.length === 0)
      throw unreadable(spec, `the folder holds no stills (${[...STILL_IMAGE_EXTENSIONS].join(', ')})`);
    return { kind: 'folder', files };
  }
  const media = await probeOne(spec, file, binaries, logger);
  const video = media.video;
  // A text file named .png probes as a png stream of size 0x0.
  if (!video || !(video.width > 0 && video.height > 0)) throw unreadable(spec, 'it holds no picture');
  if (video.isStill) {
    if (time !== undefined && time > 0) throw unreadable(spec, 'a still has no frame at a time');
    return { kind: 'still', file };
  }
  const duration = media.duration ?? video.duration;
  if (time !== undefined) {
    if (duration !== undefined && time >= duration)
      throw unreadable(spec, `${describeValue(time)} s lies past the video's end (${duration.toFixed(3)} s)`);
    return { kind: 'frame', file, time };
  }
  return { kind: 'video', file, duration };
}

/** Decodes up to `frames` frames of `args`' input, scaled to width x height, as rgb24 images. */
async function decodeFrames(
  spec: string,
  inputArgs: readonly string[],
  filter: string,
  frames: number,
  size: { width: number; height: number },
  binaries: ResolvedBinaries,
  logger?: Logger,
): Promise<RgbImage[]> {
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    ...inputArgs,
    '-map',
    '0:v:0',
    '-vf',
    `${filter ? `${filter},` : ''}scale=${size.width}:${size.height}:flags=area,format=rgb24`,
    '-frames:v',
    String(frames),
    '-f',
    'rawvideo',
    '-',
  ];
  const proc = spawnFfmpeg(binaries.ffmpeg, args, {
    label: `reference ${spec}`,
    ...(logger ? { logger } : {}),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  proc.child.stdout?.on('data', (chunk: Buffer) => chunks.push(chunk));
  try {
    await proc.exited;
  } catch (err) {
    throw unreadable(spec, err instanceof Error ? err.message : String(err), err);
  }
  const bytes = Buffer.concat(chunks);
  const frameBytes = size.width * size.height * 3;
  const out: RgbImage[] = [];
  for (let o = 0; o + frameBytes <= bytes.length; o += frameBytes) {
    const image = allocImage(size.width, size.height, 8);
    (image.data as Uint8Array).set(bytes.subarray(o, o + frameBytes));
    out.push(image);
  }
  if (out.length === 0) throw unreadable(spec, 'ffmpeg decoded no picture from it');
  return out;
}

/** Reads a checked reference's pictures at `size`. */
async function readReference(
  spec: string,
  ref: ReferenceKind,
  size: { width: number; height: number },
  binaries: ResolvedBinaries,
  logger?: Logger,
): Promise<RgbImage[]> {
  switch (ref.kind) {
    case 'still':
      return decodeFrames(spec, ['-i', ref.file], '', 1, size, binaries, logger);
    case 'frame':
      return decodeFrames(spec, ['-ss', String(ref.time), '-i', ref.file], '', 1, size, binaries, logger);
    case 'video': {
      const spread = ref.duration && ref.duration > 0 ? `fps=${VIDEO_FRAMES}/${ref.duration}` : '';
      return decodeFrames(spec, ['-i', ref.file], spread, VIDEO_FRAMES, size, binaries, logger);
    }
    case 'folder': {
      const all: RgbImage[] = [];
      for (const file of ref.files)
        all.push(
          ...(await decodeFrames(
            `${spec} (${path.basename(file)})`,
            ['-i', file],
            '',
            1,
            size,
            binaries,
            logger,
          )),
        );
      return all;
    }
  }
}

const cache = new Map<string, Promise<RgbImage[]>>();
const CACHE_ENTRIES = 4;

/**
 * The pictures of a reference at `size`: checked (see `checkReference`), read, and kept for the
 * next call with the same reference, unchanged on disk, and size.
 */
export async function loadReference(
  spec: string,
  size: { width: number; height: number },
  binaries: ResolvedBinaries,
  logger?: Logger,
): Promise<RgbImage[]> {
  const { file } = parseReference(spec);
  const mtime = await stat(file).then(
    (s) => s.mtimeMs,
    () => 0,
  );
  const key = `${spec}\u0000${mtime}\u0000${size.width}x${size.height}`;
  let pending = cache.get(key);
  if (!pending) {
    pending = checkReference(spec, binaries, logger).then((ref) =>
      readReference(spec, ref, size, binaries, logger),
    );
    cache.set(key, pending);
    pending.catch(() => cache.delete(key));
    while (cache.size > CACHE_ENTRIES) cache.delete(cache.keys().next().value!);
  }
  return pending;
}
