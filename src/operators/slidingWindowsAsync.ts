import { Observable, type OperatorFunction } from '../util/rx.js';

export interface SlidingWindowsAsyncOptions<T, R> {
  /** Items per window (>= 1). */
  readonly size: number;
  /** Items between the starts of consecutive windows (1..size); `size` gives consecutive windows. */
  readonly hop: number;
  /** True when an item starts a new segment (a cut, a discontinuity): no window crosses it. */
  readonly startsSegment?: (item: T) => boolean;
  /**
   * Work on one window of exactly `size` items (at a segment's ends the edge item is repeated:
   * clamped); resolves with one result per position.
   */
  readonly work: (items: readonly T[]) => Promise<R[]>;
  /**
   * Combines an item with its results from every window that holds it (clamped copies do not
   * count), each weighted by how near the window's centre the item sits.
   */
  readonly combine: (item: T, parts: ReadonlyArray<{ readonly result: R; readonly weight: number }>) => T;
  /** Called for every item never emitted (error, unsubscribe). */
  readonly release?: (item: T) => void;
}

/** Triangular weight of position `p` in a window of `size`: 1 at the edges, highest at the centre. */
export function windowWeight(p: number, size: number): number {
  return Math.min(p + 1, size - p);
}

/**
 * Sliding windows over a stream, worked on asynchronously, with every item's results combined.
 *
 * Window k of a segment covers items [k*hop - (size - hop), k*hop + hop): every item lies in
 * size/hop windows (rounded up), the first items included, because the windows that start before
 * the segment, or end after it, are filled by repeating its first or last item (clamping). A
 * segment ends at an item for which `startsSegment` is true, and at completion; no window ever
 * crosses into another segment. With `hop == size` the windows are consecutive and no item is
 * repeated except to fill the last window.
 *
 * ```
 * size 4, hop 2, items a b c d e, then the end:
 *   window 0: a a a b    (a repeated: clamped at the start)
 *   window 1: a b c d
 *   window 2: c d e e    (e repeated: clamped at the end)
 *   window 3: e e e e    (every item lies in two windows, e included)
 * ```
 *
 * Items are emitted in order, each once every window holding it has resolved. Windows are
 * dispatched as soon as their last item arrives; the caller bounds how many items are in flight
 * (here, the frame pool: an item waits for at most size - 1 later items, plus the window being
 * worked on). The first error (from the source or from `work`) is passed on, and every item held
 * is released.
 */
export function slidingWindowsAsync<T, R>(options: SlidingWindowsAsyncOptions<T, R>): OperatorFunction<T, T> {
  const { size, hop, startsSegment, work, combine, release } = options;
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`Expected integer >= 1 for size but received ${size}`);
  if (!Number.isInteger(hop) || hop < 1 || hop > size)
    throw new RangeError(`Expected integer in [1, ${size}] for hop but received ${hop}`);
  const lead = size - hop; // how far the first window reaches before the segment's first item

  interface Held {
    readonly item: T;
    readonly parts: Array<{ result: R; weight: number }>;
    /** Windows holding this item that are dispatched but not resolved. */
    pending: number;
    /** Every window that will ever hold this item has been dispatched. */
    final: boolean;
  }

  return (source) =>
    new Observable<T>((subscriber) => {
      let closed = false;
      let sourceDone = false;
      let inFlight = 0;
      /** Every item not yet emitted, in order. */
      const queue: Held[] = [];
      /** The current segment's items that a future window may still need, from index `base`. */
      let segment: Held[] = [];
      let base = 0;
      let count = 0; // items seen in the current segment
      let next = 0; // the next window of the current segment to dispatch

      const fail = (err: unknown): void => {
        if (closed) return;
        closed = true;
        subscriber.error(err);
      };

      const flush = (): void => {
        while (!closed && queue.length > 0 && queue[0]!.final && queue[0]!.pending === 0) {
          const held = queue.shift()!;
          subscriber.next(combine(held.item, held.parts));
        }
        if (!closed && sourceDone && queue.length === 0 && inFlight === 0) {
          closed = true;
          subscriber.complete();
        }
      };

      const at = (index: number): Held => segment[Math.min(Math.max(index, 0), count - 1) - base]!;

      const dispatch = (k: number): void => {
        const start = k * hop - lead;
        const members = Array.from({ length: size }, (_, p) => at(start + p));
        // Positions holding the item itself rather than a clamped copy (one per item).
        const real = members.map((_, p) => start + p >= 0 && start + p < count);
        members.forEach((held, p) => {
          if (real[p]) held.pending++;
        });
        inFlight++;
        let result: Promise<R[]>;
        try {
          result = work(members.map((h) => h.item));
        } catch (err) {
          result = Promise.reject(err);
        }
        result.then(
          (results) => {
            inFlight--;
            if (closed) return;
            members.forEach((held, p) => {
              if (!real[p]) return;
              held.parts.push({ result: results[p]!, weight: windowWeight(p, size) });
              held.pending--;
            });
            flush();
          },
          (err: unknown) => {
            inFlight--;
            fail(err);
          },
        );
      };

      /** Marks the items no later window can hold as final, and forgets them here. */
      const settle = (segmentEnded: boolean): void => {
        const firstNeeded = segmentEnded ? count : next * hop - lead;
        while (base < count && base < firstNeeded) {
          segment[0]!.final = true;
          segment.shift();
          base++;
        }
      };

      const endSegment = (): void => {
        // Every window that starts by the last item, the later ones clamped.
        while (count > 0 && next * hop - lead <= count - 1) dispatch(next++);
        settle(true);
        segment = [];
        base = 0;
        count = 0;
        next = 0;
      };

      const subscription = source.subscribe({
        next: (item) => {
          if (closed) {
            release?.(item);
            return;
          }
          if (count > 0 && startsSegment?.(item)) endSegment();
          const held: Held = { item, parts: [], pending: 0, final: false };
          queue.push(held);
          segment.push(held);
          count++;
          // Dispatch every window whose last position has now arrived.
          while (next * hop - lead + size - 1 <= count - 1) dispatch(next++);
          settle(false);
          flush();
        },
        error: fail,
        complete: () => {
          sourceDone = true;
          endSegment();
          flush();
        },
      });

      return () => {
        closed = true;
        subscription.unsubscribe();
        for (const held of queue) release?.(held.item);
        queue.length = 0;
        segment = [];
      };
    });
}
