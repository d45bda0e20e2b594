import { Observable, Subscriber, type OperatorFunction } from '../util/rx.js';

/** One item with the items around it inside its segment. */
export interface Context<T> {
  readonly center: T;
  /** Up to `lookbehind` earlier items of the same segment, oldest first. Borrowed: valid during `next` only. */
  readonly before: readonly T[];
  /** Up to `lookahead` later items of the same segment, nearest first. Borrowed: valid during `next` only. */
  readonly after: readonly T[];
}

export interface SlidingContextOptions<T> {
  /** Earlier items each emission sees (kept after their own emission). */
  readonly lookbehind: number;
  /** Later items each emission sees (so each item is delayed by this many). */
  readonly lookahead: number;
  /** An item for which this is true starts a new segment: no context crosses it. */
  readonly startsSegment?: (item: T) => boolean;
  /** Called before the operator keeps an item it has already passed on. */
  readonly retain?: (item: T) => void;
  /** Called when the operator lets go of an item it kept or was never able to pass on. */
  readonly release?: (item: T) => void;
}

/**
 * Emits each item with up to `lookbehind` earlier and `lookahead` later items of its segment.
 *
 * ```
 * source:   --a--b--c--d--|          (lookbehind 1, lookahead 1)
 * result:   -----A-----B--C--(D|)    A = {a, [], [b]}, B = {b, [a], [c]}, C = {c,[b],[d]}, D = {d,[c],[]}
 * ```
 *
 * At the ends of a segment (stream start and end, or an item for which `startsSegment` is true)
 * the context is shorter: the operator never invents items; a stage that wants clamping repeats
 * the edge item itself. It holds at most `lookbehind + lookahead` items at any time, so a pool of
 * frames sized with that in mind cannot run dry. Ownership of the center passes downstream; items
 * kept as `before` context are retained first and released when they fall out of reach, and
 * everything held is released on completion, error and unsubscribe.
 */
export function slidingContext<T>(options: SlidingContextOptions<T>): OperatorFunction<T, Context<T>> {
  const { lookbehind, lookahead } = options;
  for (const [name, value] of [
    ['lookbehind', lookbehind],
    ['lookahead', lookahead],
  ] as const) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`Expected integer >= 0 for ${name} but received ${String(value)}`);
    }
  }
  const retain = options.retain ?? (() => {});
  const release = options.release ?? (() => {});
  const startsSegment = options.startsSegment ?? (() => false);

  return (source) =>
    new Observable<Context<T>>((subscriber) => {
      /** Items already emitted, kept as context: each holds one reference of ours. */
      const history: T[] = [];
      /** Items received but not yet emitted: the stream's references, held by us. */
      const pending: T[] = [];

      const emitOldest = (): void => {
        const center = pending.shift() as T;
        const before = history.slice();
        const after = pending.slice(0, lookahead);
        if (lookbehind > 0) {
          retain(center);
          history.push(center);
        }
        subscriber.next({ center, before, after });
        // Only now: the item that falls out of reach was still `before` context during next().
        if (history.length > lookbehind) release(history.shift() as T);
      };

      const flushSegment = (): void => {
        while (pending.length > 0 && !subscriber.closed) emitOldest();
        while (history.length > 0) release(history.shift() as T);
      };

      // A Subscriber (not a plain observer) linked to ours, so a synchronous source sees it closed
      // as soon as downstream unsubscribes, instead of running on into our queue.
      const inner = new Subscriber<T>({
        next: (item) => {
          if (pending.length + history.length > 0 && startsSegment(item)) flushSegment();
          pending.push(item);
          while (pending.length > lookahead && !subscriber.closed) emitOldest();
        },
        error: (err: unknown) => subscriber.error(err),
        complete: () => {
          flushSegment();
          subscriber.complete();
        },
      });
      subscriber.add(inner);
      source.subscribe(inner);

      return () => {
        inner.unsubscribe();
        while (pending.length > 0) release(pending.shift() as T);
        while (history.length > 0) release(history.shift() as T);
      };
    });
}
