import type { FullPicture } from './frame.js';

/**
 * A fixed number of equal byte buffers for full-resolution pictures: the decoder fills one per
 * frame and the frame gives it back when it is released. Like `FramePool`, it never grows, and a
 * producer that gets `undefined` from `tryAcquire` waits for `onAvailable`. Buffers are allocated
 * the first time they are needed, so a short clip never pays for the whole ring.
 *
 * The consumer may say where the buffers live (`allocateWith`): the sink that grades the pictures
 * in WebAssembly keeps them in the kernel's own memory, so a picture is graded in place and
 * written from there, never copied in and out.
 */
export class PictureRing {
  readonly capacity: number;
  readonly bytes: number;
  private readonly free: Uint8Array[] = [];
  private readonly waiters: Array<() => void> = [];
  private allocated = 0;
  private allocate: (bytes: number) => Uint8Array | undefined = () => undefined;
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

  /**
   * Buffers allocated from now on come from `allocate` (`bytes` long), or, where it returns
   * undefined (no room left there), from the JavaScript heap as before. Those already allocated
   * stay where they are.
   */
  allocateWith(allocate: (bytes: number) => Uint8Array | undefined): void {
    this.allocate = allocate;
  }

  tryAcquire(): FullPicture | undefined {
    let buffer = this.free.pop();
    if (!buffer && this.allocated < this.capacity) {
      buffer = this.allocate(this.bytes) ?? new Uint8Array(this.bytes);
      if (buffer.length !== this.bytes) {
        throw new RangeError(
          `Expected a picture buffer of ${this.bytes} bytes but received ${buffer.length}`,
        );
      }
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
