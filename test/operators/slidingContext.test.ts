import { Observable, Subject, take, tap } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  slidingContext,
  type Context,
  type SlidingContextOptions,
} from '../../src/operators/slidingContext.js';
import { FramePool } from '../../src/frame/pool.js';
import type { Frame } from '../../src/frame/frame.js';

/** A reference-counted stand-in for a frame: throws on use after its last release. */
class Item {
  refs = 1;
  constructor(readonly name: string) {}
  retain(): void {
    if (this.refs <= 0) throw new Error(`${this.name} retained after release`);
    this.refs++;
  }
  release(): void {
    if (this.refs <= 0) throw new Error(`${this.name} released twice`);
    this.refs--;
  }
}

function items(names: string): Record<string, Item> {
  return Object.fromEntries([...names].map((n) => [n, new Item(n)]));
}

function ctx(center: Item, before: Item[], after: Item[]): Context<Item> {
  return { center, before, after };
}

function opts(
  lookbehind: number,
  lookahead: number,
  extra: Partial<SlidingContextOptions<Item>> = {},
): SlidingContextOptions<Item> {
  return { lookbehind, lookahead, retain: (i) => i.retain(), release: (i) => i.release(), ...extra };
}

/** The downstream owns each center it receives: it releases it at once. */
const consumeCenter = tap((c: Context<Item>) => c.center.release());

function scheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

function expectAllReleased(all: Record<string, Item>): void {
  const refs = Object.fromEntries(Object.values(all).map((i) => [i.name, i.refs]));
  const zeros = Object.fromEntries(Object.values(all).map((i) => [i.name, 0]));
  expect(refs).toEqual(zeros);
}

describe('slidingContext: options', () => {
  it('rejects negative and fractional context sizes with one message shape', () => {
    expect(() => slidingContext({ lookbehind: -1, lookahead: 0 })).toThrow(
      new RangeError('Expected integer >= 0 for lookbehind but received -1'),
    );
    expect(() => slidingContext({ lookbehind: 0, lookahead: 1.5 })).toThrow(
      new RangeError('Expected integer >= 0 for lookahead but received 1.5'),
    );
    expect(() => slidingContext({ lookbehind: Number.NaN, lookahead: 0 })).toThrow(
      new RangeError('Expected integer >= 0 for lookbehind but received NaN'),
    );
  });
});

describe('slidingContext: marbles (lookbehind 1, lookahead 1 unless stated)', () => {
  it('never: emits nothing and stays subscribed', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<Item>('-');
      expectObservable(source.pipe(slidingContext(opts(1, 1)))).toBe('-');
      expectSubscriptions(source.subscriptions).toBe('^');
    });
  });

  it('empty: completes at once with nothing', () => {
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold<Item>('|');
      expectObservable(source.pipe(slidingContext(opts(1, 1)))).toBe('|');
      expectSubscriptions(source.subscriptions).toBe('(^!)');
    });
  });

  it('one: the single item is held for its lookahead and flushed with no context on completion', () => {
    const v = items('a');
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('--a--|', v);
      expectObservable(source.pipe(slidingContext(opts(1, 1)), consumeCenter)).toBe('-----(A|)', {
        A: ctx(v.a!, [], []),
      });
    });
    expectAllReleased(v);
  });

  it('many: each item waits for one later item and sees one earlier item; the last is flushed on completion', () => {
    const v = items('abcd');
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('--a--b--c--d--|', v);
      expectObservable(source.pipe(slidingContext(opts(1, 1)), consumeCenter)).toBe('-----A--B--C--(D|)', {
        A: ctx(v.a!, [], [v.b!]),
        B: ctx(v.b!, [v.a!], [v.c!]),
        C: ctx(v.c!, [v.b!], [v.d!]),
        D: ctx(v.d!, [v.c!], []),
      });
      expectSubscriptions(source.subscriptions).toBe('^-------------!');
    });
    expectAllReleased(v);
  });

  it('lookbehind 0, lookahead 0: a passthrough with empty context', () => {
    const v = items('abc');
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-|', v);
      expectObservable(source.pipe(slidingContext(opts(0, 0)), consumeCenter)).toBe('-A-B-C-|', {
        A: ctx(v.a!, [], []),
        B: ctx(v.b!, [], []),
        C: ctx(v.c!, [], []),
      });
    });
    expectAllReleased(v);
  });

  it('lookbehind 2, lookahead 0: no delay, history grows to two items, oldest first', () => {
    const v = items('abcd');
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', v);
      expectObservable(source.pipe(slidingContext(opts(2, 0)), consumeCenter)).toBe('-A-B-C-D-|', {
        A: ctx(v.a!, [], []),
        B: ctx(v.b!, [v.a!], []),
        C: ctx(v.c!, [v.a!, v.b!], []),
        D: ctx(v.d!, [v.b!, v.c!], []),
      });
    });
    expectAllReleased(v);
  });

  it('lookbehind 0, lookahead 2: each item is delayed by two, later items nearest first', () => {
    const v = items('abcd');
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', v);
      expectObservable(source.pipe(slidingContext(opts(0, 2)), consumeCenter)).toBe('-----A-B-(CD|)', {
        A: ctx(v.a!, [], [v.b!, v.c!]),
        B: ctx(v.b!, [], [v.c!, v.d!]),
        C: ctx(v.c!, [], [v.d!]),
        D: ctx(v.d!, [], []),
      });
    });
    expectAllReleased(v);
  });

  it('lookbehind 2, lookahead 2: full context in the middle, shorter at both ends', () => {
    const v = items('abcde');
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-e-|', v);
      expectObservable(source.pipe(slidingContext(opts(2, 2)), consumeCenter)).toBe('-----A-B-C-(DE|)', {
        A: ctx(v.a!, [], [v.b!, v.c!]),
        B: ctx(v.b!, [v.a!], [v.c!, v.d!]),
        C: ctx(v.c!, [v.a!, v.b!], [v.d!, v.e!]),
        D: ctx(v.d!, [v.b!, v.c!], [v.e!]),
        E: ctx(v.e!, [v.c!, v.d!], []),
      });
    });
    expectAllReleased(v);
  });

  it('a lookahead longer than the stream: everything is emitted on completion, with all the context there is', () => {
    const v = items('abc');
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-|', v);
      expectObservable(source.pipe(slidingContext(opts(1, 5)), consumeCenter)).toBe('-------(ABC|)', {
        A: ctx(v.a!, [], [v.b!, v.c!]),
        B: ctx(v.b!, [v.a!], [v.c!]),
        C: ctx(v.c!, [v.b!], []),
      });
    });
    expectAllReleased(v);
  });

  it('error: passes the error on at once, drops (and releases) items still waiting for lookahead', () => {
    const v = items('ab');
    const err = new Error('decoder failed');
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-#', v, err);
      expectObservable(source.pipe(slidingContext(opts(1, 1)), consumeCenter)).toBe(
        '---A-#',
        { A: ctx(v.a!, [], [v.b!]) },
        err,
      );
      expectSubscriptions(source.subscriptions).toBe('^----!');
    });
    expectAllReleased(v);
  });

  it('error before any item: errors at once', () => {
    scheduler().run(({ cold, expectObservable }) => {
      expectObservable(cold<Item>('#').pipe(slidingContext(opts(2, 2)))).toBe('#');
    });
  });

  it('early unsubscribe: unsubscribes from the source and releases pending items and history', () => {
    const v = items('abcd');
    scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
      const source = cold('-a-b-c-d-|', v);
      expectObservable(source.pipe(slidingContext(opts(1, 1)), consumeCenter), '^-----!').toBe('---A-B', {
        A: ctx(v.a!, [], [v.b!]),
        B: ctx(v.b!, [v.a!], [v.c!]),
      });
      expectSubscriptions(source.subscriptions).toBe('^-----!');
    });
    // a and b went downstream (and were released there; a also as history), c was pending, d never came.
    expect(v.d!.refs).toBe(1);
    v.d!.release();
    expectAllReleased(v);
  });

  it('a segment start flushes the pending items without lookahead across it and clears the history', () => {
    const v = items('abcdef');
    const cuts = new Set([v.d!]);
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-e-f-|', v);
      const result = source.pipe(
        slidingContext(opts(1, 1, { startsSegment: (i) => cuts.has(i) })),
        consumeCenter,
      );
      expectObservable(result).toBe('---A-B-C-D-E-(F|)', {
        A: ctx(v.a!, [], [v.b!]),
        B: ctx(v.b!, [v.a!], [v.c!]),
        C: ctx(v.c!, [v.b!], []), // d starts a new segment: c sees nothing after it
        D: ctx(v.d!, [], [v.e!]), // and d sees nothing before it
        E: ctx(v.e!, [v.d!], [v.f!]),
        F: ctx(v.f!, [v.e!], []),
      });
    });
    expectAllReleased(v);
  });

  it('segments of one item (every item a cut) get no context at all, with lookahead 2 and lookbehind 2', () => {
    const v = items('abc');
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-|', v);
      const result = source.pipe(slidingContext(opts(2, 2, { startsSegment: () => true })), consumeCenter);
      expectObservable(result).toBe('---A-B-(C|)', {
        A: ctx(v.a!, [], []),
        B: ctx(v.b!, [], []),
        C: ctx(v.c!, [], []),
      });
    });
    expectAllReleased(v);
  });

  it('a cut on the first item of the stream changes nothing', () => {
    const v = items('ab');
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-|', v);
      const result = source.pipe(
        slidingContext(opts(1, 1, { startsSegment: (i) => i === v.a })),
        consumeCenter,
      );
      expectObservable(result).toBe('---A-(B|)', { A: ctx(v.a!, [], [v.b!]), B: ctx(v.b!, [v.a!], []) });
    });
    expectAllReleased(v);
  });

  it('two cuts with lookahead 2: each segment is flushed separately, no context crosses either cut', () => {
    const v = items('abcdefg');
    const cuts = new Set([v.c!, v.f!]);
    scheduler().run(({ cold, expectObservable }) => {
      //                       a b c d e f g
      const source = cold('-a-b-c-d-e-f-g-|', v);
      const result = source.pipe(
        slidingContext(opts(2, 2, { startsSegment: (i) => cuts.has(i) })),
        consumeCenter,
      );
      // at c: flush a, b; at e: emit c; at f: flush d, e; at completion: f, g.
      expectObservable(result).toBe('-----(AB)C-(DE)(FG|)', {
        A: ctx(v.a!, [], [v.b!]),
        B: ctx(v.b!, [v.a!], []),
        C: ctx(v.c!, [], [v.d!, v.e!]),
        D: ctx(v.d!, [v.c!], [v.e!]),
        E: ctx(v.e!, [v.c!, v.d!], []),
        F: ctx(v.f!, [], [v.g!]),
        G: ctx(v.g!, [v.f!], []),
      });
    });
    expectAllReleased(v);
  });
});

/**
 * A synchronous decoder stand-in: acquires one pool frame per item (errors if the pool is dry,
 * which in the real decoder would be a deadlock), stops as soon as its subscriber is closed.
 */
function poolSource(
  pool: FramePool,
  count: number,
  opts: {
    cutAt?: ReadonlySet<number>;
    failAfter?: number;
    log?: { acquired: number; heldBefore: number[] };
  } = {},
): Observable<Frame> {
  return new Observable<Frame>((sub) => {
    for (let i = 0; i < count; i++) {
      if (sub.closed) return;
      if (opts.failAfter === i) {
        sub.error(new Error(`decode failed at ${i}`));
        return;
      }
      opts.log?.heldBefore.push(pool.inUse);
      const frame = pool.tryAcquire();
      if (!frame) {
        sub.error(new Error(`pool ran dry at item ${i} with ${pool.inUse} frames in use`));
        return;
      }
      if (opts.log) opts.log.acquired++;
      frame.index = i;
      frame.sceneCut = opts.cutAt?.has(i) ?? false;
      sub.next(frame);
    }
    sub.complete();
  });
}

const frameOptions = (lookbehind: number, lookahead: number): SlidingContextOptions<Frame> => ({
  lookbehind,
  lookahead,
  startsSegment: (f) => f.sceneCut,
  retain: (f) => f.retain(),
  release: (f) => f.release(),
});

interface Seen {
  center: number;
  before: number[];
  after: number[];
}

function collect(
  source: Observable<Frame>,
  lookbehind: number,
  lookahead: number,
): { seen: Seen[]; error: unknown; completed: boolean } {
  const out = { seen: [] as Seen[], error: undefined as unknown, completed: false };
  source.pipe(slidingContext(frameOptions(lookbehind, lookahead))).subscribe({
    next: (c) => {
      out.seen.push({
        center: c.center.index,
        before: c.before.map((f) => f.index),
        after: c.after.map((f) => f.index),
      });
      c.center.release();
    },
    error: (e: unknown) => (out.error = e),
    complete: () => (out.completed = true),
  });
  return out;
}

describe('slidingContext: frames from a FramePool', () => {
  for (const lookbehind of [0, 1, 2]) {
    for (const lookahead of [0, 1, 2]) {
      const held = lookbehind + lookahead;
      it(`lookbehind ${lookbehind}, lookahead ${lookahead}: a pool of ${held + 1} frames suffices, and all are back after completion`, () => {
        const pool = new FramePool(held + 1, 2, 2, 8);
        const log = { acquired: 0, heldBefore: [] as number[] };
        const { seen, error, completed } = collect(poolSource(pool, 9, { log }), lookbehind, lookahead);
        expect(error).toBeUndefined();
        expect(completed).toBe(true);
        expect(seen.map((s) => s.center)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
        // Item 4 is in the middle of the stream: its context is complete.
        expect(seen[4]).toEqual({
          center: 4,
          before: Array.from({ length: lookbehind }, (_, k) => 4 - lookbehind + k),
          after: Array.from({ length: lookahead }, (_, k) => 5 + k),
        });
        // Before each new frame is acquired the operator holds at most lookbehind + lookahead frames.
        expect(Math.max(...log.heldBefore)).toBeLessThanOrEqual(held);
        expect(log.heldBefore[8]).toBe(held);
        expect(pool.peakInUse).toBe(held + 1);
        expect(pool.inUse).toBe(0);
      });
    }
  }

  it('scene cuts: no context crosses a cut, and the history is released at the cut', () => {
    const pool = new FramePool(3, 2, 2, 8);
    const log = { acquired: 0, heldBefore: [] as number[] };
    const { seen, completed } = collect(poolSource(pool, 6, { cutAt: new Set([3]), log }), 1, 1);
    expect(completed).toBe(true);
    expect(seen).toEqual([
      { center: 0, before: [], after: [1] },
      { center: 1, before: [0], after: [2] },
      { center: 2, before: [1], after: [] },
      { center: 3, before: [], after: [4] },
      { center: 4, before: [3], after: [5] },
      { center: 5, before: [4], after: [] },
    ]);
    // Before frame 3 is acquired: 1 as history and 2 as pending; before frame 4 only 3 is held.
    expect(log.heldBefore).toEqual([0, 1, 2, 2, 1, 2]);
    expect(pool.inUse).toBe(0);
  });

  it('after an error every frame is back in the pool', () => {
    const pool = new FramePool(5, 2, 2, 8);
    const { seen, error } = collect(poolSource(pool, 9, { failAfter: 4 }), 2, 2);
    expect((error as Error).message).toBe('decode failed at 4');
    // Frames 0..3 came in; 0 and 1 were emitted, 2 and 3 waited for lookahead and are dropped.
    expect(seen.map((s) => s.center)).toEqual([0, 1]);
    expect(pool.inUse).toBe(0);
  });

  it('after an early unsubscribe every frame is back in the pool (asynchronous source)', () => {
    const pool = new FramePool(5, 2, 2, 8);
    const source = new Subject<Frame>();
    const centers: number[] = [];
    const subscription = source.pipe(slidingContext(frameOptions(2, 2))).subscribe((c) => {
      centers.push(c.center.index);
      c.center.release();
    });
    for (let i = 0; i < 4; i++) {
      const f = pool.tryAcquire()!;
      f.index = i;
      source.next(f);
    }
    expect(centers).toEqual([0, 1]);
    expect(pool.inUse).toBe(4); // 0, 1 as history; 2, 3 pending
    subscription.unsubscribe();
    expect(pool.inUse).toBe(0);
    expect(source.observed).toBe(false);
  });

  it('after an early unsubscribe (take) every frame is back in the pool and none was released twice', () => {
    const pool = new FramePool(3, 2, 2, 8);
    const centers: number[] = [];
    poolSource(pool, 9)
      .pipe(slidingContext(frameOptions(1, 1)), take(2))
      .subscribe((c) => {
        centers.push(c.center.index);
        c.center.release();
      });
    expect(centers).toEqual([0, 1]);
    expect(pool.inUse).toBe(0);
  });

  // Regression (fixed; src/operators/slidingContext.ts): unsubscribing downstream does not reach a synchronous
  // source. The operator subscribes to its source with a plain observer (`source.subscribe({...})`),
  // so the source's subscriber is not closed until that call returns; after take(2) unsubscribes,
  // the source keeps acquiring frames, the operator keeps queueing them in `pending` (beyond
  // lookbehind + lookahead) and a pool of lookbehind + lookahead + 1 frames runs dry
  // ("pool ran dry at item 4"). RxJS's own operators chain the inner subscriber to the outer one.
  it('after take(2) unsubscribes, a synchronous source is stopped at once and the pool never runs dry', () => {
    const pool = new FramePool(3, 2, 2, 8);
    const log = { acquired: 0, heldBefore: [] as number[] };
    let sourceError: unknown;
    const source = poolSource(pool, 9, { log }).pipe(tap({ error: (e: unknown) => (sourceError = e) }));
    const centers: number[] = [];
    source.pipe(slidingContext(frameOptions(1, 1)), take(2)).subscribe((c) => {
      centers.push(c.center.index);
      c.center.release();
    });
    expect(centers).toEqual([0, 1]);
    // Frame 2 arrives, center 1 goes out, take(2) unsubscribes: the source must stop there.
    expect(sourceError).toBeUndefined();
    expect(log.acquired).toBe(3);
    expect(Math.max(...log.heldBefore)).toBeLessThanOrEqual(2);
    expect(pool.inUse).toBe(0);
  });

  // Regression (fixed; src/operators/slidingContext.ts, emitOldest): the doc says `before` items are borrowed and
  // valid during `next`, but when the history is full the oldest entry is released *before*
  // `subscriber.next` is called, while it is still in the `before` array handed downstream. With
  // real frames that item is back in the pool during `next` (refs 0): a downstream that acquires a
  // frame there gets the very buffer it is reading as context. The release should come after `next`.
  it('every item in before and after is still referenced while the downstream handles it', () => {
    const v = items('abcd');
    const borrowedRefs: Array<[string, string, number]> = [];
    scheduler().run(({ cold, expectObservable }) => {
      const source = cold('-a-b-c-d-|', v);
      const result = source.pipe(
        slidingContext(opts(1, 1)),
        tap((c) => {
          for (const i of [...c.before, ...c.after]) borrowedRefs.push([c.center.name, i.name, i.refs]);
          c.center.release();
        }),
      );
      expectObservable(result).toBe('---A-B-C-(D|)', {
        A: ctx(v.a!, [], [v.b!]),
        B: ctx(v.b!, [v.a!], [v.c!]),
        C: ctx(v.c!, [v.b!], [v.d!]),
        D: ctx(v.d!, [v.c!], []),
      });
    });
    expect(borrowedRefs.filter(([, , refs]) => refs <= 0)).toEqual([]);
    expectAllReleased(v);
  });
});
