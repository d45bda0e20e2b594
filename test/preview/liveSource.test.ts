import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ffmpeg, tempDir } from '../helpers/media.js';
import { EntryClock, LiveSource, type LiveFrame, type SourceStatus } from '../../src/preview/liveSource.js';
import { parseLiveInput } from '../../src/preview/liveInput.js';
import { resolveBinaries } from '../../src/ffmpeg/binaries.js';
import { getCapabilities } from '../../src/ffmpeg/capabilities.js';
import { silentLogger } from '../../src/util/logger.js';
import { HdrView } from '../../src/color/hdr.js';

async function source(input: string, stallMs = 5000) {
  const binaries = await resolveBinaries();
  const caps = await getCapabilities(binaries.ffmpeg, silentLogger);
  return new LiveSource(binaries.ffmpeg, parseLiveInput(input), caps.passthroughArgs, {
    width: 64,
    height: 36,
    stallMs,
  });
}

function until<T>(check: () => T | undefined, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const v = check();
      if (v !== undefined) {
        clearInterval(poll);
        resolve(v);
      } else if (Date.now() - started > ms) {
        clearInterval(poll);
        reject(new Error('timed out'));
      }
    }, 20);
  });
}

/** Starts the source, keeps its first `count` frames with when each arrived, and stops it. */
async function collect(live: LiveSource, count: number): Promise<Array<LiveFrame & { at: number }>> {
  const frames: Array<LiveFrame & { at: number }> = [];
  live.on('frame', (f) => {
    frames.push({ ...f, at: Date.now() });
    live.recycle(f.data);
  });
  live.start();
  try {
    await until(() => (frames.length >= count ? true : undefined), 120_000);
  } finally {
    live.stop();
  }
  return frames;
}

describe('the live source', () => {
  it('delivers frames at the source rate, sized and stamped with when they entered ffmpeg', async () => {
    const frames = await collect(await source('lavfi:testsrc2=size=320x240:rate=25'), 30);
    expect(frames[0]!.discontinuity).toBe(true);
    expect(frames[1]!.discontinuity).toBe(false);
    expect(frames[0]!.data.length).toBe(64 * 36 * 3);
    expect(frames.map((f) => f.seq)).toEqual(frames.map((_, i) => i));
    // Paced in real time: 29 intervals of 40 ms.
    const span = frames[29]!.at - frames[0]!.at;
    expect(span).toBeGreaterThan(29 * 40 * 0.7);
    // Never later than its arrival, never long before it.
    for (const f of frames) {
      expect(f.enteredAt).toBeLessThanOrEqual(f.at);
      expect(f.at - f.enteredAt).toBeLessThan(5_000);
    }
  });

  it('shows an HDR source (HLG, as its stream says) as its SDR view, as files are graded', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      // The same still picture, its transfer tagged HLG or BT.2020 SDR (the same matrix and
      // primaries): any frame of one is any frame of the other.
      const files = ['arib-std-b67', 'bt2020-10'].map((trc) => path.join(dir, `${trc}.mkv`));
      for (const [i, file] of files.entries()) {
        await ffmpeg([
          ...['-f', 'lavfi', '-i', 'smptebars=size=64x36:rate=25', '-t', '1', '-pix_fmt', 'yuv420p'],
          ...['-color_trc', i ? 'bt2020-10' : 'arib-std-b67', '-color_primaries', 'bt2020'],
          ...['-colorspace', 'bt2020nc', '-c:v', 'ffv1', file],
        ]);
      }
      const [hdr] = await collect(await source(files[0]!), 1);
      const [sdr] = await collect(await source(files[1]!), 1);
      const expected = Uint8Array.from(sdr!.data);
      new HdrView('HLG').toSdrInPlace(expected);
      let sum = 0;
      for (let i = 0; i < expected.length; i++) sum += Math.abs(hdr!.data[i]! - expected[i]!);
      expect(sum / expected.length).toBeLessThan(1);
      // And not the codes as they came.
      let moved = 0;
      for (let i = 0; i < expected.length; i++) moved += Math.abs(hdr!.data[i]! - sdr!.data[i]!);
      expect(moved / expected.length).toBeGreaterThan(5);
    } finally {
      await cleanup();
    }
  });

  it('keeps every frame and its timestamp when the feed changes size midway (showinfo counts from 0 again)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      // One second at 320x240, then one at 640x360: a broadcast feed's SD break, as one MPEG-TS.
      const parts = ['320x240', '640x360'].map((size) => path.join(dir, `${size}.ts`));
      for (const [i, part] of parts.entries()) {
        await ffmpeg(
          ['-f', 'lavfi', '-i', `testsrc2=size=${i ? '640x360' : '320x240'}:rate=25`, '-t', '1'].concat([
            '-output_ts_offset',
            String(i),
            '-c:v',
            'mpeg2video',
            '-f',
            'mpegts',
            part,
          ]),
        );
      }
      const feed = path.join(dir, 'feed.ts');
      await writeFile(feed, Buffer.concat(await Promise.all(parts.map((p) => readFile(p)))));
      const live = await source(feed);
      const frames = await collect(live, 45);
      // Frames after the change still come one by one at the source's rate, in order.
      expect(frames.slice(0, 45).map((f) => f.seq)).toEqual([...Array(45).keys()]);
      for (let i = 30; i < 45; i++)
        expect(frames[i]!.enteredAt).toBeGreaterThanOrEqual(frames[i - 1]!.enteredAt);
      expect(frames[44]!.sourceFps).toBeCloseTo(25, 0);
      // Each stamped with its own timestamp. Only where a busy machine reads several frames'
      // pixels before their lines may the oldest go; counting by showinfo's own n lost every
      // frame after the change (97 here).
      for (const f of frames) expect(f.enteredAt).toBeLessThanOrEqual(f.at);
      expect(live.unstamped).toBeLessThan(12);
    } finally {
      await cleanup();
    }
  });

  it('reconnects when the source ends, says so meanwhile, and marks the first frame after', async () => {
    const live = await source('lavfi:testsrc2=size=64x36:rate=25:duration=0.4');
    const states: SourceStatus[] = [];
    const frames: LiveFrame[] = [];
    live.on('status', (s) => states.push(s));
    live.on('frame', (f) => frames.push(f));
    live.start();
    try {
      await until(() => (states.filter((s) => s.state === 'live').length >= 2 ? true : undefined), 120_000);
    } finally {
      live.stop();
    }
    const reconnecting = states.find((s) => s.state === 'reconnecting')!;
    expect(reconnecting.reason).toBe('the source ended');
    expect(frames.filter((f) => f.discontinuity).length).toBeGreaterThanOrEqual(2);
    expect(frames[10]!.discontinuity).toBe(true); // 0.4 s at 25 fps: frames 0-9, then the new connection
  });

  it('restarts a source that stalls', async () => {
    // A UDP port nobody sends to: ffmpeg waits for ever.
    const live = await source('udp://127.0.0.1:9?timeout=60000000', 300);
    const states: SourceStatus[] = [];
    live.on('status', (s) => states.push(s));
    live.start();
    try {
      await until(() => states.find((s) => s.state === 'reconnecting'), 120_000);
    } finally {
      live.stop();
    }
    expect(states.find((s) => s.state === 'reconnecting')!.reason).toMatch(/^no frame for \d+\.\d s$/);
  });
});

describe('when a frame entered ffmpeg', () => {
  // A 25 fps source: frame k has the timestamp 40k ms. Arrivals are on a fake clock.
  const T0 = 1_000_000;
  const latencies = (clock: EntryClock, arrival: (k: number) => number, frames: number) =>
    Array.from({ length: frames }, (_, k) => arrival(k) - clock.stamp(40 * k, arrival(k)));

  it('a source on time is stamped from its timestamps: the least delayed frame sets the clock', () => {
    // 5 to 25 ms inside ffmpeg, varying.
    const jitter = (k: number) => 5 + ((k * 7) % 21);
    for (const paced of [true, false]) {
      const late = latencies(new EntryClock(paced), (k) => T0 + 40 * k + jitter(k), 200);
      expect(Math.min(...late.slice(25))).toBe(0);
      expect(Math.max(...late)).toBeLessThanOrEqual(20);
    }
  });

  it('a source ffmpeg paces itself (a file, a lavfi graph) but makes at half speed: latency stays one frame of making, however long it runs', () => {
    // 80 ms a frame: after 2500 frames ffmpeg is 100 s behind the timestamps, yet no frame waited.
    const late = latencies(new EntryClock(true), (k) => T0 + 80 * k + 5, 2500);
    expect(Math.max(...late)).toBeLessThanOrEqual(80);
    expect(late.at(-1)).toBe(80);
  });

  it('a camera whose frames wait before ffmpeg reads them (socket, driver) is as late as it really is', () => {
    // Captured every 40 ms, read every 80 ms: the wait grows by 40 ms a frame, and so does the latency.
    const late = latencies(new EntryClock(false), (k) => T0 + 80 * k + 5, 101);
    expect(late.at(-1)).toBe(4000);
  });

  it('a frame without a timestamp entered when it arrived', () => {
    expect(new EntryClock(true).stamp(undefined, T0)).toBe(T0);
  });
});
