import { Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { EMPTY, NEVER, Subject, from, lastValueFrom, of, throwError, toArray, type Observable } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { OutputClosedError, writeWithBackpressure } from '../../src/operators/writeWithBackpressure.js';

/** An item carrying its bytes in one or more chunks. */
interface Item {
  readonly name: string;
  readonly parts: Uint8Array[];
}

function item(name: string, ...sizes: number[]): Item {
  const code = name.charCodeAt(0);
  return { name, parts: sizes.map((n) => new Uint8Array(n).fill(code)) };
}

/**
 * A writable whose `_write` completes only when the test says so (`finish()`), or on the next
 * turn of the event loop in `auto` mode. Records the bytes it accepted and the most bytes ever
 * queued in it (Node's `writableLength`: bytes handed to `write()` and not yet called back).
 */
class SlowWritable extends Writable {
  readonly accepted: Uint8Array[] = [];
  maxQueued = 0;
  failNext: Error | undefined;
  private readonly inProgress: Array<(err?: Error | null) => void> = [];

  constructor(
    highWaterMark: number,
    private readonly auto = false,
  ) {
    super({ highWaterMark });
  }

  override write(
    chunk: unknown,
    encoding?: BufferEncoding | ((error: Error | null | undefined) => void),
    cb?: (error: Error | null | undefined) => void,
  ): boolean {
    const ok = super.write(chunk, encoding as BufferEncoding, cb);
    this.maxQueued = Math.max(this.maxQueued, this.writableLength);
    return ok;
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.failNext) {
      const err = this.failNext;
      this.failNext = undefined;
      setImmediate(() => cb(err));
      return;
    }
    this.accepted.push(new Uint8Array(chunk));
    if (this.auto) setImmediate(() => cb());
    else this.inProgress.push(cb);
  }

  /** Completes the chunk `_write` is working on (Node hands `_write` one chunk at a time). */
  finish(): void {
    const cb = this.inProgress.shift();
    if (!cb) throw new Error('no write in progress');
    cb();
  }

  get writing(): number {
    return this.inProgress.length;
  }

  /** The names of the items whose bytes the writable has accepted, one per chunk. */
  get chunkNames(): string[] {
    return this.accepted.map((c) => String.fromCharCode(c[0]!));
  }
}

interface Probe {
  emitted: string[];
  written: string[];
  released: string[];
  error: unknown;
  completed: boolean;
  unsubscribe: () => void;
}

function run(source: Observable<Item>, writable: Writable): Probe {
  const probe: Probe = {
    emitted: [],
    written: [],
    released: [],
    error: undefined,
    completed: false,
    unsubscribe: () => {},
  };
  const subscription = source
    .pipe(
      writeWithBackpressure(writable, {
        chunks: (i) => i.parts,
        written: (i) => probe.written.push(i.name),
        release: (i) => probe.released.push(i.name),
      }),
    )
    .subscribe({
      next: (i) => probe.emitted.push(i.name),
      error: (e: unknown) => (probe.error = e),
      complete: () => (probe.completed = true),
    });
  probe.unsubscribe = () => subscription.unsubscribe();
  return probe;
}

function listenerCounts(w: Writable): number[] {
  return ['drain', 'close', 'error'].map((e) => w.listenerCount(e));
}

describe('writeWithBackpressure: never, empty, one, many, error', () => {
  it('never: writes nothing, emits nothing; unsubscribing removes its listeners from the writable', async () => {
    const w = new SlowWritable(16, true);
    const before = listenerCounts(w);
    const p = run(NEVER, w);
    await tick();
    expect(p).toMatchObject({ emitted: [], written: [], released: [], error: undefined, completed: false });
    expect(w.accepted).toEqual([]);
    p.unsubscribe();
    expect(listenerCounts(w)).toEqual(before);
  });

  it('empty: completes at once, writes nothing and does not end the writable', () => {
    const w = new SlowWritable(16, true);
    const p = run(EMPTY, w);
    expect(p.completed).toBe(true);
    expect(w.accepted).toEqual([]);
    expect(w.writableEnded).toBe(false);
  });

  it('one: writes the item, emits it after its callback, then completes', async () => {
    const w = new SlowWritable(16);
    const a = item('a', 4, 3);
    const p = run(of(a), w);
    expect(w.chunkNames).toEqual(['a']); // _write has the first chunk, the second is buffered in the writable
    expect(w.writableLength).toBe(7);
    w.finish();
    expect(p.emitted).toEqual([]); // the item's callback is on its last chunk
    w.finish();
    expect(p).toMatchObject({ emitted: ['a'], written: ['a'], released: [], completed: true });
    expect(w.accepted.map((c) => c.length)).toEqual([4, 3]);
    expect(w.writableEnded).toBe(false);
  });

  it('many: every item written and emitted in order, bytes in order, through a small high-water mark', async () => {
    const w = new SlowWritable(8, true);
    const names = 'abcdefghij';
    const source = from([...names].map((n, k) => item(n, 3, 1 + (k % 4))));
    const emitted = await lastValueFrom(
      source.pipe(writeWithBackpressure(w, { chunks: (i) => i.parts }), toArray()),
    );
    expect(emitted.map((i) => i.name).join('')).toBe(names);
    expect(w.chunkNames.join('')).toBe('aabbccddeeffgghhiijj');
    // One item is at most 3 + 4 = 7 bytes: the operator never queues more than one item past the mark.
    expect(w.maxQueued).toBeLessThanOrEqual(8 + 7);
    expect(w.writableEnded).toBe(false);
  });

  it('error: a source error before any item errors the result and writes nothing', () => {
    const w = new SlowWritable(8, true);
    const err = new Error('decode failed');
    const p = run(
      throwError(() => err),
      w,
    );
    expect(p.error).toBe(err);
    expect(w.accepted).toEqual([]);
  });

  it('error: a source error while items wait releases the waiting ones and the one in flight when it returns', () => {
    const w = new SlowWritable(4);
    const s = new Subject<Item>();
    const p = run(s, w);
    s.next(item('a', 4)); // fills the high-water mark
    s.next(item('b', 4));
    s.next(item('c', 4));
    const err = new Error('decode failed');
    s.error(err);
    expect(p.error).toBe(err);
    expect(p.released).toEqual(['b', 'c']);
    w.finish(); // a's callback arrives after the error: a is released, never emitted
    expect(p).toMatchObject({ emitted: [], written: [], released: ['b', 'c', 'a'] });
    expect(w.chunkNames).toEqual(['a']);
  });
});

describe('writeWithBackpressure: backpressure', () => {
  it('emits each item only after its write callback, in order', () => {
    const w = new SlowWritable(100);
    const s = new Subject<Item>();
    const p = run(s, w);
    s.next(item('a', 2));
    s.next(item('b', 2));
    s.next(item('c', 2));
    expect(p.emitted).toEqual([]);
    w.finish();
    expect(p.emitted).toEqual(['a']);
    expect(p.written).toEqual(['a']);
    w.finish();
    w.finish();
    expect(p.emitted).toEqual(['a', 'b', 'c']);
    expect(p.written).toEqual(['a', 'b', 'c']);
    expect(p.completed).toBe(false);
    s.complete();
    expect(p.completed).toBe(true);
  });

  it('when write() returns false, later items stay out of the writable until drain', () => {
    // Items of 12 bytes in 3 chunks; high-water mark 16. a: 12 < 16 (true); b: 24 >= 16 (false).
    const w = new SlowWritable(16);
    const s = new Subject<Item>();
    const p = run(s, w);
    for (const n of 'abcd') s.next(item(n, 4, 4, 4));
    expect(w.writableLength).toBe(24);
    expect(w.maxQueued).toBe(24);
    // Only a's and b's chunks were handed to the writable; c and d wait in the operator.
    w.finish();
    w.finish();
    w.finish();
    expect(p.emitted).toEqual(['a']);
    expect(w.writableLength).toBe(12);
    expect(w.chunkNames).toEqual(['a', 'a', 'a', 'b']);
    w.finish();
    w.finish();
    expect(w.chunkNames).toEqual(['a', 'a', 'a', 'b', 'b', 'b']);
    w.finish(); // b done: the writable is empty and emits 'drain', c and d are written
    expect(p.emitted).toEqual(['a', 'b']);
    expect(w.writableLength).toBe(24);
    expect(w.chunkNames).toEqual(['a', 'a', 'a', 'b', 'b', 'b', 'c']);
    while (w.writing > 0) w.finish();
    expect(p.emitted).toEqual(['a', 'b', 'c', 'd']);
    expect(w.chunkNames.join('')).toBe('aaabbbcccddd');
    // Never more than one item's chunks beyond the high-water mark.
    expect(w.maxQueued).toBe(24);
    expect(w.maxQueued).toBeLessThanOrEqual(16 + 12);
  });

  it('completes only after the last write callback, also when the source completed while items waited', () => {
    const w = new SlowWritable(4);
    const s = new Subject<Item>();
    const p = run(s, w);
    s.next(item('a', 4));
    s.next(item('b', 4));
    s.complete();
    expect(p.completed).toBe(false);
    w.finish();
    expect(p.emitted).toEqual(['a']);
    expect(p.completed).toBe(false);
    w.finish();
    expect(p.emitted).toEqual(['a', 'b']);
    expect(p.completed).toBe(true);
    expect(p.released).toEqual([]);
  });

  it('an error from the writable errors the result; every item is either emitted or released, once', async () => {
    const w = new SlowWritable(4);
    // The writable's owner listens for 'error' (as the encode stage does): the operator stops
    // listening once it has errored, and Node emits 'error' after the failed write's callback.
    w.on('error', () => {});
    const s = new Subject<Item>();
    const p = run(s, w);
    s.next(item('a', 4));
    s.next(item('b', 2, 2));
    s.next(item('c', 4));
    w.finish(); // a is written
    expect(p.emitted).toEqual(['a']);
    // b is in the writable now (written on drain); its second chunk fails.
    const err = new Error('EPIPE');
    w.failNext = err;
    s.next(item('d', 4));
    w.finish(); // b's first chunk was already accepted before failNext was set: complete it
    await tick();
    await tick();
    expect(p.error).toBe(err);
    expect(p.emitted).toEqual(['a']);
    expect([...p.released].sort()).toEqual(['b', 'c', 'd']);
    expect(new Set(p.released).size).toBe(p.released.length);
    expect(p.written).toEqual(['a']);
  });

  it('the writable closing before everything is written errors the result', async () => {
    const w = new SlowWritable(16, true);
    const s = new Subject<Item>();
    const p = run(s, w);
    s.next(item('a', 4));
    await tick();
    await tick();
    expect(p.emitted).toEqual(['a']);
    w.destroy();
    await tick();
    expect(p.error).toBeInstanceOf(OutputClosedError);
    expect(p.error).toMatchObject({
      code: 'ERR_STREAM_PREMATURE_CLOSE',
      message: 'the output stream closed before all frames were written',
    });
  });

  it('the writable closing after everything was written is no error', async () => {
    const w = new SlowWritable(16, true);
    const p = run(of(item('a', 4)), w);
    await tick();
    await tick();
    expect(p.completed).toBe(true);
    w.destroy();
    await tick();
    expect(p.error).toBeUndefined();
  });

  it('early unsubscribe releases the queued items at once and the in-flight item when its callback comes', () => {
    const w = new SlowWritable(4);
    const before = listenerCounts(w);
    const s = new Subject<Item>();
    const p = run(s, w);
    s.next(item('a', 4));
    s.next(item('b', 4));
    s.next(item('c', 4));
    p.unsubscribe();
    expect(p.released).toEqual(['b', 'c']);
    expect(s.observed).toBe(false);
    expect(listenerCounts(w)).toEqual(before);
    w.finish();
    expect(p).toMatchObject({ emitted: [], written: [], released: ['b', 'c', 'a'], completed: false });
    expect(w.chunkNames).toEqual(['a']); // b and c were never handed to the writable
  });
});
