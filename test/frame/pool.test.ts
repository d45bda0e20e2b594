import { describe, expect, it } from 'vitest';
import { FramePool } from '../../src/frame/pool.js';
import { noteKey } from '../../src/frame/notes.js';
import { identityLut } from '../../src/correction/lut3d.js';
import type { Frame } from '../../src/frame/frame.js';

function acquireAll(pool: FramePool): Frame[] {
  const frames: Frame[] = [];
  for (let f = pool.tryAcquire(); f; f = pool.tryAcquire()) frames.push(f);
  return frames;
}

describe('FramePool: capacity', () => {
  it('rejects a capacity that is not an integer >= 1', () => {
    expect(() => new FramePool(0, 4, 4, 8)).toThrow(
      new RangeError('Expected integer >= 1 for pool capacity but received 0'),
    );
    expect(() => new FramePool(2.5, 4, 4, 8)).toThrow(
      new RangeError('Expected integer >= 1 for pool capacity but received 2.5'),
    );
    expect(() => new FramePool(-3, 4, 4, 8)).toThrow(RangeError);
  });

  it('hands out exactly `capacity` distinct frames, then undefined', () => {
    const pool = new FramePool(3, 5, 3, 8);
    expect(pool.capacity).toBe(3);
    const frames = acquireAll(pool);
    expect(frames).toHaveLength(3);
    expect(new Set(frames).size).toBe(3);
    expect(pool.inUse).toBe(3);
    expect(pool.tryAcquire()).toBeUndefined();
    expect(pool.tryAcquire()).toBeUndefined();
    expect(pool.inUse).toBe(3);
  });

  it('preallocates image and graded buffers of the pool size and depth (odd size 5x3)', () => {
    const pool8 = new FramePool(1, 5, 3, 8);
    const f8 = pool8.tryAcquire()!;
    expect(f8.image.data).toBeInstanceOf(Uint8Array);
    expect(f8.image.data).toHaveLength(5 * 3 * 3);
    expect(f8.graded.data).toBeInstanceOf(Uint8Array);
    expect(f8.graded.data).not.toBe(f8.image.data);
    expect(f8.image).toMatchObject({ width: 5, height: 3, depth: 8 });
    expect(f8.active).toEqual({ x: 0, y: 0, width: 5, height: 3 });

    const pool16 = new FramePool(1, 5, 3, 16);
    const f16 = pool16.tryAcquire()!;
    expect(f16.image.data).toBeInstanceOf(Uint16Array);
    expect(f16.image.data).toHaveLength(45);
    expect(f16.graded).toMatchObject({ width: 5, height: 3, depth: 16 });
  });

  it('a released frame is handed out again (the pool never allocates)', () => {
    const pool = new FramePool(2, 2, 2, 8);
    const [a, b] = acquireAll(pool) as [Frame, Frame];
    b.release();
    expect(pool.inUse).toBe(1);
    const c = pool.tryAcquire();
    expect(c).toBe(b);
    a.release();
    expect(pool.tryAcquire()).toBe(a);
    expect(pool.tryAcquire()).toBeUndefined();
  });
});

describe('FramePool: onAvailable', () => {
  it('calls back at once (synchronously) when a frame is free', () => {
    const pool = new FramePool(1, 2, 2, 8);
    let calls = 0;
    pool.onAvailable(() => calls++);
    expect(calls).toBe(1);
  });

  it('calls back once, on the release that frees a frame, when the pool is exhausted', () => {
    const pool = new FramePool(2, 2, 2, 8);
    const [a, b] = acquireAll(pool) as [Frame, Frame];
    const events: string[] = [];
    pool.onAvailable(() => events.push(`available with ${pool.inUse} in use`));
    expect(events).toEqual([]);
    a.retain();
    a.release(); // still referenced: nothing is free
    expect(events).toEqual([]);
    a.release();
    expect(events).toEqual(['available with 1 in use']);
    b.release();
    expect(events).toHaveLength(1);
  });

  it('wakes one waiter per freed frame, first come first served', () => {
    const pool = new FramePool(2, 2, 2, 8);
    const [a, b] = acquireAll(pool) as [Frame, Frame];
    const woken: number[] = [];
    pool.onAvailable(() => woken.push(1));
    pool.onAvailable(() => woken.push(2));
    pool.onAvailable(() => woken.push(3));
    a.release();
    expect(woken).toEqual([1]);
    b.release();
    expect(woken).toEqual([1, 2]);
  });

  it('a waiter can acquire the freed frame from inside its callback', () => {
    const pool = new FramePool(1, 2, 2, 8);
    const a = pool.tryAcquire()!;
    let got: Frame | undefined;
    pool.onAvailable(() => (got = pool.tryAcquire()));
    a.release();
    expect(got).toBe(a);
    expect(pool.inUse).toBe(1);
  });
});

describe('FramePool: reference counts', () => {
  it('a frame starts with one reference; retain adds one, release removes one, the last returns it', () => {
    const pool = new FramePool(2, 2, 2, 8);
    const f = pool.tryAcquire()!;
    expect(f.refs).toBe(1);
    f.retain();
    f.retain();
    expect(f.refs).toBe(3);
    f.release();
    f.release();
    expect(f.refs).toBe(1);
    expect(pool.inUse).toBe(1);
    f.release();
    expect(f.refs).toBe(0);
    expect(pool.inUse).toBe(0);
  });

  it('releasing a frame twice throws, and does not corrupt the count', () => {
    const pool = new FramePool(2, 2, 2, 8);
    const f = pool.tryAcquire()!;
    f.index = 42;
    f.release();
    expect(() => f.release()).toThrow(new Error('frame 42 released twice'));
    expect(pool.inUse).toBe(0);
    expect(acquireAll(pool)).toHaveLength(2);
  });

  it('retaining a released frame throws', () => {
    const pool = new FramePool(1, 2, 2, 8);
    const f = pool.tryAcquire()!;
    f.index = 7;
    f.release();
    expect(() => f.retain()).toThrow(new Error('frame 7 retained after release'));
  });

  it('peakInUse is the most frames in use at once, and does not fall on release', () => {
    const pool = new FramePool(4, 2, 2, 8);
    expect(pool.peakInUse).toBe(0);
    const a = pool.tryAcquire()!;
    const b = pool.tryAcquire()!;
    a.release();
    const c = pool.tryAcquire()!;
    expect(pool.peakInUse).toBe(2);
    const d = pool.tryAcquire()!;
    expect(pool.peakInUse).toBe(3);
    for (const f of [b, c, d]) f.release();
    expect(pool.inUse).toBe(0);
    expect(pool.peakInUse).toBe(3);
  });
});

describe('FramePool: reuse', () => {
  it('resets every per-frame field when a frame is handed out again, keeping its buffers', () => {
    const pool = new FramePool(1, 6, 4, 8);
    const f = pool.tryAcquire()!;
    const image = f.image;
    const graded = f.graded;
    f.index = 17;
    f.pts = 0.68;
    f.ptsMicros = 680000;
    f.discontinuity = true;
    f.sceneCut = true;
    f.active = { x: 1, y: 1, width: 4, height: 2 };
    f.hasGraded = true;
    f.correction = (r, g, b, out) => {
      out[0] = r;
      out[1] = g;
      out[2] = b;
    };
    f.lut = identityLut(2);
    f.notes.set(noteKey<{ gain: number }>('autobalance'), { gain: 1.2 });
    f.retain();
    f.release();
    f.release();

    const again = pool.tryAcquire()!;
    expect(again).toBe(f);
    expect({
      refs: again.refs,
      index: again.index,
      pts: again.pts,
      ptsMicros: again.ptsMicros,
      discontinuity: again.discontinuity,
      sceneCut: again.sceneCut,
      active: again.active,
      hasGraded: again.hasGraded,
      correction: again.correction,
      lut: again.lut,
      notes: [...again.notes],
    }).toEqual({
      refs: 1,
      index: 0,
      pts: undefined,
      ptsMicros: 0,
      discontinuity: false,
      sceneCut: false,
      active: { x: 0, y: 0, width: 6, height: 4 },
      hasGraded: false,
      correction: undefined,
      lut: undefined,
      notes: [],
    });
    expect(again.image).toBe(image);
    expect(again.graded).toBe(graded);
  });

  it('lutStorage is allocated once per size and kept across reuse', () => {
    const pool = new FramePool(1, 2, 2, 8);
    const f = pool.tryAcquire()!;
    const lut17 = f.lutStorage(17);
    expect(lut17.size).toBe(17);
    expect(lut17.data).toHaveLength(17 * 17 * 17 * 3);
    expect(f.lutStorage(17)).toBe(lut17);
    f.release();
    const g = pool.tryAcquire()!;
    expect(g.lutStorage(17)).toBe(lut17);
    const lut9 = g.lutStorage(9);
    expect(lut9.size).toBe(9);
    expect(lut9).not.toBe(lut17);
  });
});
