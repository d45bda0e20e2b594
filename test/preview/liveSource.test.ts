import { describe, expect, it } from 'vitest';
import { LiveSource, type LiveFrame, type SourceStatus } from '../../src/preview/liveSource.js';
import { parseLiveInput } from '../../src/preview/liveInput.js';
import { resolveBinaries } from '../../src/ffmpeg/binaries.js';
import { getCapabilities } from '../../src/ffmpeg/capabilities.js';
import { silentLogger } from '../../src/util/logger.js';

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

describe('the live source', () => {
  it('delivers frames at the source rate, sized and stamped with when they entered ffmpeg', async () => {
    const live = await source('lavfi:testsrc2=size=320x240:rate=25');
    const frames: Array<LiveFrame & { at: number }> = [];
    live.on('frame', (f) => {
      frames.push({ ...f, at: Date.now() });
      live.recycle(f.data);
    });
    live.start();
    try {
      await until(() => (frames.length >= 30 ? true : undefined), 10_000);
    } finally {
      live.stop();
    }
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
      expect(f.at - f.enteredAt).toBeLessThan(500);
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
      await until(() => (states.filter((s) => s.state === 'live').length >= 2 ? true : undefined), 15_000);
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
      await until(() => states.find((s) => s.state === 'reconnecting'), 10_000);
    } finally {
      live.stop();
    }
    expect(states.find((s) => s.state === 'reconnecting')!.reason).toMatch(/^no frame for \d+\.\d s$/);
  });
});
