import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { resolveBinaries, type ResolvedBinaries } from '../../src/ffmpeg/binaries.js';
import { meanLab, type Lab } from '../../src/color/srgb.js';

const run = promisify(execFile);

export async function binaries(): Promise<ResolvedBinaries> {
  return resolveBinaries();
}

/** Runs ffmpeg (quietly) with the resolved binary; throws with stderr on failure. */
export async function ffmpeg(args: string[], bin?: string): Promise<void> {
  const ff = bin ?? (await binaries()).ffmpeg;
  await run(ff, ['-hide_banner', '-loglevel', 'error', '-y', ...args], { maxBuffer: 64 * 1024 * 1024 });
}

/** Raw rgb24 frames of a file, decoded with frame-rate passthrough, as one buffer per frame. */
export async function decodeRgb(
  file: string,
  width: number,
  height: number,
  extra: string[] = [],
): Promise<Buffer[]> {
  const ff = (await binaries()).ffmpeg;
  const { stdout } = await run(
    ff,
    [
      '-hide_banner',
      '-loglevel',
      'error',
      '-i',
      file,
      '-map',
      '0:v:0',
      '-vsync',
      'passthrough',
      ...extra,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 1024 * 1024 * 1024 },
  );
  const size = width * height * 3;
  const frames: Buffer[] = [];
  for (let i = 0; i + size <= stdout.length; i += size) frames.push(stdout.subarray(i, i + size));
  return frames;
}

/** Raw rgb48le frames of a file (16 bits per value), decoded like `decodeRgb`, one array per frame. */
export async function decodeRgb48(file: string, width: number, height: number): Promise<Uint16Array[]> {
  const ff = (await binaries()).ffmpeg;
  const { stdout } = await run(
    ff,
    [
      ...['-hide_banner', '-loglevel', 'error', '-i', file, '-map', '0:v:0', '-vsync', 'passthrough'],
      ...['-f', 'rawvideo', '-pix_fmt', 'rgb48le', '-'],
    ],
    { encoding: 'buffer', maxBuffer: 1024 * 1024 * 1024 },
  );
  const size = width * height * 6;
  const frames: Uint16Array[] = [];
  for (let i = 0; i + size <= stdout.length; i += size)
    frames.push(new Uint16Array(stdout.buffer.slice(stdout.byteOffset + i, stdout.byteOffset + i + size)));
  return frames;
}

/** ffprobe's JSON for a file's streams and format (and frames when asked). */
export async function probe(file: string, extra: string[] = []): Promise<any> {
  const fp = (await binaries()).ffprobe;
  const { stdout } = await run(
    fp,
    ['-v', 'error', '-print_format', 'json', '-show_streams', '-show_format', ...extra, file],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  return JSON.parse(stdout);
}

/** Video frame timestamps (seconds) as ffprobe reads them. */
export async function frameTimes(file: string): Promise<number[]> {
  const json = await probe(file, [
    '-select_streams',
    'v:0',
    '-show_entries',
    'frame=pkt_pts_time,best_effort_timestamp_time',
  ]);
  return (json.frames as any[]).map((f) => Number(f.best_effort_timestamp_time ?? f.pkt_pts_time));
}

export async function tempDir(
  prefix = 'vgrade-test-',
): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true, maxRetries: 10 }) };
}

/** The mean CIELAB colour over every frame of a video (or a still), decoded at width x height. */
export async function meanColour(file: string, width: number, height: number): Promise<Lab> {
  const labs = (await decodeRgb(file, width, height)).map((f) => meanLab(f));
  const mean = (k: keyof Lab): number => labs.reduce((s, l) => s + l[k], 0) / labs.length;
  return { L: mean('L'), a: mean('a'), b: mean('b') };
}

/** Euclidean distance between two CIELAB colours. */
export const labDistance = (p: Lab, q: Lab): number => Math.hypot(p.L - q.L, p.a - q.a, p.b - q.b);
