import { allocImage, fullRect, type Depth } from '../image/image.js';
import type { Frame, FullPicture } from './frame.js';
import { FrameNotes } from './notes.js';
import { allocLut, type ColourTransform, type Lut3d } from '../correction/lut3d.js';

/**
 * A fixed set of preallocated frames: the ring every pipeline's frames live in.
 *
 * `tryAcquire()` hands out a free frame or `undefined` when all are in use; a producer that gets
 * `undefined` must stop producing (the decoder stops reading ffmpeg's stdout) and wait for
 * `onAvailable`. The pool never grows: memory is `capacity` frames whatever the footage's length.
 */
export class FramePool {
  readonly capacity: number;
  readonly width: number;
  readonly height: number;
  readonly depth: Depth;
  private readonly free: PooledFrame[] = [];
  private readonly waiters: Array<() => void> = [];
  private used = 0;
  private peak = 0;

  constructor(capacity: number, width: number, height: number, depth: Depth) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Expected integer >= 1 for pool capacity but received ${capacity}`);
    }
    this.capacity = capacity;
    this.width = width;
    this.height = height;
    this.depth = depth;
    for (let i = 0; i < capacity; i++) this.free.push(new PooledFrame(this, width, height, depth));
  }

  /** Frames handed out and not yet released. */
  get inUse(): number {
    return this.used;
  }

  /** Frames free right now. */
  get available(): number {
    return this.free.length;
  }

  /** The most frames ever in use at once. */
  get peakInUse(): number {
    return this.peak;
  }

  tryAcquire(): Frame | undefined {
    const frame = this.free.pop();
    if (!frame) return undefined;
    frame.reset();
    this.used++;
    if (this.used > this.peak) this.peak = this.used;
    return frame;
  }

  /** Calls `callback` once, as soon as a frame is free (at once if one is free now). */
  onAvailable(callback: () => void): void {
    if (this.free.length > 0) callback();
    else this.waiters.push(callback);
  }

  /** @internal called by a frame whose reference count reached zero. */
  giveBack(frame: PooledFrame): void {
    this.used--;
    this.free.push(frame);
    const waiter = this.waiters.shift();
    if (waiter) waiter();
  }
}

class PooledFrame implements Frame {
  index = 0;
  pts: number | undefined = undefined;
  ptsMicros = 0;
  discontinuity = false;
  sceneCut = false;
  readonly image;
  readonly graded;
  active;
  hasGraded = false;
  correction: ColourTransform | undefined = undefined;
  lut: Lut3d | undefined = undefined;
  full: FullPicture | undefined = undefined;
  readonly notes = new FrameNotes();
  private count = 0;
  private ownLut: Lut3d | undefined;

  constructor(
    private readonly pool: FramePool,
    width: number,
    height: number,
    depth: Depth,
  ) {
    this.image = allocImage(width, height, depth);
    this.graded = allocImage(width, height, depth);
    this.active = fullRect(this.image);
  }

  get refs(): number {
    return this.count;
  }

  reset(): void {
    this.count = 1;
    this.index = 0;
    this.pts = undefined;
    this.ptsMicros = 0;
    this.discontinuity = false;
    this.sceneCut = false;
    this.active = fullRect(this.image);
    this.hasGraded = false;
    this.correction = undefined;
    this.lut = undefined;
    this.dropFull();
    this.notes.clear();
  }

  private dropFull(): void {
    const full = this.full;
    this.full = undefined;
    full?.release();
  }

  lutStorage(size: number): Lut3d {
    if (!this.ownLut || this.ownLut.size !== size) this.ownLut = allocLut(size);
    return this.ownLut;
  }

  retain(): void {
    if (this.count <= 0) throw new Error(`frame ${this.index} retained after release`);
    this.count++;
  }

  release(): void {
    if (this.count <= 0) throw new Error(`frame ${this.index} released twice`);
    this.count--;
    if (this.count === 0) {
      this.dropFull();
      this.pool.giveBack(this);
    }
  }
}
