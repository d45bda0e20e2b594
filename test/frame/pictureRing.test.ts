import { describe, expect, it } from 'vitest';
import { PictureRing } from '../../src/frame/pictureRing.js';
import { FramePool } from '../../src/frame/pool.js';

describe('PictureRing', () => {
  it('hands out at most `capacity` buffers of `bytes`, allocating them as they are first needed', () => {
    const ring = new PictureRing(2, 6);
    const a = ring.tryAcquire()!;
    const b = ring.tryAcquire()!;
    expect(a.bytes).toHaveLength(6);
    expect(b.bytes).not.toBe(a.bytes);
    expect(ring.tryAcquire()).toBeUndefined();
    expect(ring.inUse).toBe(2);
  });

  it('reuses a released buffer and wakes one waiter per release, in order', () => {
    const ring = new PictureRing(1, 4);
    const first = ring.tryAcquire()!;
    const woken: string[] = [];
    ring.onAvailable(() => woken.push('a'));
    ring.onAvailable(() => woken.push('b'));
    expect(woken).toEqual([]);
    first.release();
    expect(woken).toEqual(['a']);
    const again = ring.tryAcquire()!;
    expect(again.bytes).toBe(first.bytes);
    expect(ring.peakInUse).toBe(1);
  });

  it('takes buffers from the allocator it is given, and from the heap once that has none left', () => {
    const ring = new PictureRing(3, 4);
    const kept = ring.tryAcquire()!; // allocated before: stays where it is
    const memory = new Uint8Array(8);
    let next = 0;
    ring.allocateWith((bytes) =>
      next + bytes <= memory.length ? memory.subarray(next, (next += bytes)) : undefined,
    );
    const a = ring.tryAcquire()!;
    const b = ring.tryAcquire()!;
    expect(kept.bytes.buffer).not.toBe(memory.buffer);
    expect(a.bytes.buffer).toBe(memory.buffer);
    expect(a.bytes.byteOffset).toBe(0);
    expect(b.bytes.buffer).toBe(memory.buffer);
    expect(b.bytes.byteOffset).toBe(4);
    expect(ring.tryAcquire()).toBeUndefined();
    a.release();
    expect(ring.tryAcquire()!.bytes).toBe(a.bytes);

    const short = new PictureRing(1, 4);
    short.allocateWith(() => new Uint8Array(3));
    expect(() => short.tryAcquire()).toThrow('Expected a picture buffer of 4 bytes but received 3');
    const none = new PictureRing(1, 4);
    none.allocateWith(() => undefined);
    expect(none.tryAcquire()!.bytes).toHaveLength(4);
  });

  it('calls a waiter at once while a buffer is free or not yet allocated', () => {
    const ring = new PictureRing(1, 4);
    let called = 0;
    ring.onAvailable(() => called++);
    expect(called).toBe(1);
  });

  it('refuses a second release of the same picture and a capacity below 1', () => {
    const ring = new PictureRing(1, 4);
    const picture = ring.tryAcquire()!;
    picture.release();
    expect(() => picture.release()).toThrow('released twice');
    expect(() => new PictureRing(0, 4)).toThrow(RangeError);
  });

  it('gets its picture back when the frame holding it is released', () => {
    const ring = new PictureRing(1, 4);
    const pool = new FramePool(1, 2, 2, 8);
    const frame = pool.tryAcquire()!;
    frame.full = ring.tryAcquire();
    frame.retain();
    frame.release();
    expect(ring.inUse).toBe(1);
    frame.release();
    expect(ring.inUse).toBe(0);
    expect(pool.tryAcquire()!.full).toBeUndefined();
  });
});
