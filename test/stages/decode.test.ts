import path from 'node:path';
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
import { decode } from '../../src/stages/decode.js';
import { silentLogger } from '../../src/util/logger.js';
import { defaultOptions } from '../../src/stages/options.js';
import type { Frame } from '../../src/frame/frame.js';

interface Seen {
  index: number;
  discontinuity: boolean;
  first: number;
}

/** Decodes `file` with a consumer that keeps each frame `holdMs` before releasing it. */
async function decodeSlowly(file: string, onFull: string, holdMs: number) {
  const binaries = await resolveBinaries();
  const caps = await getCapabilities(binaries.ffmpeg);
  const pipeline = compilePipeline(parsePipeline('stages: [decode, encode]', 'decode.yaml'));
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
