import type { FullPicture } from './frame.js';

/**
 * A fixed number of equal byte buffers for full-resolution pictures: the decoder fills one per
 * frame and the frame gives it back when it is released. Like `FramePool`, it never grows, and a
 * producer that gets `undefined` from `tryAcquire` waits for `onAvailable`. Buffers are allocated
 * the first time they are needed, so a short clip never pays for the whole ring.
 */
export class PictureRing {
  readonly capacity: number;
  readonly bytes: number;
  private readonly free: Uint8Array[] = [];
  private readonly waiters: Array<() => void> = [];
  private allocated = 0;
  private used = 0;
  private peak = 0;

  constructor(capacity: number, bytes: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Expected integer >= 1 for the picture ring's capacity but received ${capacity}`);
    }
    this.capacity = capacity;
    this.bytes = bytes;
  }

  /** Pictures handed out and not yet released. */
  get inUse(): number {
    return this.used;
  }

  /** The most pictures ever in use at once. */
  get peakInUse(): number {
    return this.peak;
  }

  tryAcquire(): FullPicture | undefined {
    let buffer = this.free.pop();
    if (!buffer && this.allocated < this.capacity) {
      buffer = new Uint8Array(this.bytes);
      this.allocated++;
    }
    if (!buffer) return undefined;
    this.used++;
    if (this.used > this.peak) this.peak = this.used;
    let released = false;
    return {
      bytes: buffer,
      release: () => {
        if (released) throw new Error('full-resolution picture released twice');
        released = true;
        this.used--;
        this.free.push(buffer);
        this.waiters.shift()?.();
      },
    };
  }

  /** Calls `callback` once, as soon as a picture is free (at once if one is free now). */
  onAvailable(callback: () => void): void {
    if (this.free.length > 0 || this.allocated < this.capacity) callback();
    else this.waiters.push(callback);
  }
}
