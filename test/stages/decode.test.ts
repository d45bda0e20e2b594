import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip } from '../helpers/clips.js';
import { tempDir } from '../helpers/media.js';
import { resolveBinaries } from '../../src/ffmpeg/binaries.js';
import { getCapabilities } from '../../src/ffmpeg/capabilities.js';
import { parsePipeline } from '../../src/pipeline/load.js';
import { compilePipeline } from '../../src/pipeline/compile.js';
import { prepareRun } from '../../src/run/grade.js';
import { fileInput } from '../../src/ffmpeg/input.js';
import { fileOutput } from '../../src/ffmpeg/output.js';
import { decode, decoderArgs } from '../../src/stages/decode.js';
import type { FfmpegCapabilities } from '../../src/ffmpeg/capabilities.js';
import type { MediaInfo } from '../../src/ffmpeg/probe.js';
import { silentLogger } from '../../src/util/logger.js';
import { defaultOptions } from '../../src/stages/options.js';
import type { Frame } from '../../src/frame/frame.js';
import { imageBytes } from '../../src/image/image.js';

const execFileAsync = promisify(execFile);

interface Seen {
  index: number;
  discontinuity: boolean;
  first: number;
}

/** Decodes `file` with a consumer that keeps each frame `holdMs` before releasing it. */
async function decodeSlowly(file: string, onFull: string, holdMs: number) {
  const binaries = await resolveBinaries();
  const caps = await getCapabilities(binaries.ffmpeg);
  const pipeline = compilePipeline(
    parsePipeline('stages: [decode, {encode: {apply: encoder}}]', 'decode.yaml'),
  );
  const stats = new Map<string, number>();
  const base = await prepareRun(
    pipeline,
    fileInput(file),
    fileOutput(path.join(path.dirname(file), 'unused.mkv')),
    {
      logger: silentLogger,
      binaries,
      caps,
      signal: new AbortController().signal,
    },
  );
  const run = { ...base, stats };
  const seen: Seen[] = [];
  await new Promise<void>((resolve, reject) =>
    decode.open({ ...defaultOptions(decode.options), on_full: onFull as 'block' }, run).subscribe({
      next: (frame: Frame) => {
        seen.push({ index: frame.index, discontinuity: frame.discontinuity, first: frame.image.data[0]! });
        setTimeout(() => frame.release(), holdMs);
      },
      error: reject,
      complete: () => setTimeout(resolve, holdMs + 20),
    }),
  );
  return { seen, dropped: stats.get('droppedFrames') ?? 0, pool: run.pool };
}

describe('decode', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let clip: string;
  const total = 60;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    clip = path.join(dir, 'clip.mkv');
    // Each frame's first pixel tells its number: a grey level that rises by 4 per frame.
    await makeClip(clip, {
      source: 'color',
      color: 'black',
      size: '32x18',
      fps: 25,
      frames: total,
      filter: 'lutrgb=r=4*N:g=0:b=0',
      codec: 'ffv1',
    }).catch(() => makeClip(clip, { size: '32x18', fps: 25, frames: total, codec: 'ffv1' }));
  });
  afterAll(() => cleanup());

  it('blocks by default: every frame arrives, in order, within the pool', async () => {
    const { seen, dropped, pool } = await decodeSlowly(clip, 'block', 5);
    expect(dropped).toBe(0);
    expect(seen.map((s) => s.index)).toEqual([...Array(total).keys()]);
    expect(seen.filter((s) => s.discontinuity).map((s) => s.index)).toEqual([0]);
    expect(pool.peakInUse).toBeLessThanOrEqual(pool.capacity);
    expect(pool.inUse).toBe(0);
  });

  for (const policy of ['drop-new', 'drop-old'] as const) {
    it(`${policy}: a slow consumer loses frames, counted, and the frame after a gap is a discontinuity`, async () => {
      const { seen, dropped, pool } = await decodeSlowly(clip, policy, 40);
      expect(dropped).toBeGreaterThan(0);
      expect(seen.length + dropped).toBe(total);
      const indices = seen.map((s) => s.index);
      expect(indices).toEqual([...indices].sort((a, b) => a - b));
      for (let i = 1; i < seen.length; i++) {
        const gap = seen[i]!.index !== seen[i - 1]!.index + 1;
        expect(seen[i]!.discontinuity, `frame ${seen[i]!.index}`).toBe(gap);
      }
      if (policy === 'drop-old') expect(indices.at(-1)).toBe(total - 1); // the newest picture is never lost
      expect(pool.inUse).toBe(0);
    });
  }
});

/** Every frame's proxy and full-resolution picture, copied, from a consumer that holds each `holdMs`. */
async function decodeWithPictures(file: string, pipelineText: string, holdMs: number) {
  const binaries = await resolveBinaries();
  const caps = await getCapabilities(binaries.ffmpeg);
  const pipeline = compilePipeline(parsePipeline(pipelineText, 'decode.yaml'));
  const run = await prepareRun(
    pipeline,
    fileInput(file),
    fileOutput(path.join(path.dirname(file), 'unused.mkv')),
    { logger: silentLogger, binaries, caps, signal: new AbortController().signal },
  );
  const proxies: Buffer[] = [];
  const pictures: (Buffer | undefined)[] = [];
  await new Promise<void>((resolve, reject) =>
    decode.open(defaultOptions(decode.options), run).subscribe({
      next: (frame: Frame) => {
        proxies.push(Buffer.from(imageBytes(frame.image))); // a copy: the pool reuses the frame
        pictures.push(frame.full && Buffer.from(frame.full.bytes));
        setTimeout(() => frame.release(), holdMs);
      },
      error: reject,
      complete: () => setTimeout(resolve, holdMs + 20),
    }),
  );
  return { proxies, pictures, run };
}

describe('decode: full-resolution pictures beside the proxy (encode apply node)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let clip: string;
  const frames = 30;
  const withProxy = (apply: string): string =>
    `stages: [decode, {downscale: {width: 24, height: 16}}, {encode: {apply: ${apply}}}]`;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    clip = path.join(dir, 'clip420.mkv');
    await makeClip(clip, { size: '48x32', fps: 25, frames, codec: 'ffv1', pixelFormat: 'yuv420p' });
  });
  afterAll(() => cleanup());

  it('hands each frame its own picture, byte for byte as ffmpeg decodes it, and the same proxies', async () => {
    const { proxies, pictures, run } = await decodeWithPictures(clip, withProxy('node'), 3);
    expect(run.fullFrames?.format).toMatchObject({ width: 48, height: 32, pixFmt: 'yuv420p' });
    const { stdout } = await execFileAsync(
      (await resolveBinaries()).ffmpeg,
      ['-v', 'error', '-i', clip, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'],
      { encoding: 'buffer', maxBuffer: 1 << 24 },
    );
    const size = 48 * 32 * 1.5;
    expect(pictures).toHaveLength(frames);
    pictures.forEach((picture, i) =>
      expect(picture?.equals(stdout.subarray(i * size, (i + 1) * size))).toBe(true),
    );
    const alone = await decodeWithPictures(clip, withProxy('encoder'), 0);
    expect(alone.run.fullFrames).toBeUndefined();
    expect(alone.pictures.every((p) => p === undefined)).toBe(true);
    expect(proxies.map((p) => p.toString('hex'))).toEqual(alone.proxies.map((p) => p.toString('hex')));
    // Every picture went back to the decoder's ring, which never outgrew its capacity.
    expect(run.fullFrames!.ring.inUse).toBe(0);
    expect(run.fullFrames!.ring.peakInUse).toBeLessThanOrEqual(run.fullFrames!.ring.capacity);
    expect(run.pool.inUse).toBe(0);
  });
});

describe("decode's ffmpeg", () => {
  const run = (fieldOrder: 'tt' | undefined, decoderFilters: string[]) => {
    const video = { index: 0, codec: 'h264', width: 160, height: 96, pixFmt: 'yuv420p', bitsPerChannel: 8 };
    const media = {
      path: 'in.mp4',
      video: { ...video, rotation: 0, isStill: false, hasAlpha: false, ...(fieldOrder && { fieldOrder }) },
    } as MediaInfo;
    return decoderArgs({
      input: fileInput('in.mp4'),
      caps: { passthroughArgs: ['-fps_mode', 'passthrough'] } as unknown as FfmpegCapabilities,
      decoderFilters,
      geometry: { width: 160, height: 96, depth: 8, active: { x: 0, y: 0, width: 160, height: 96 } },
      media,
    });
  };
  const filters = (args: string[]): string => args[args.indexOf('-vf') + 1]!;

  it("converts an interlaced source's full-resolution frames to RGB field by field; a proxy's resize blends the fields anyway", () => {
    expect(filters(run(undefined, []))).toBe('format=rgb24,showinfo');
    expect(filters(run('tt', []))).toBe('scale=interl=1,format=rgb24,showinfo');
    expect(filters(run('tt', ['scale=456:256:flags=area']))).toBe(
      'scale=456:256:flags=area,format=rgb24,showinfo',
    );
  });
});
