import { Observable, type OperatorFunction } from 'rxjs';

export interface WindowedAsyncOptions<T, R> {
  /** Items per window (>= 1). */
  readonly size: number;
  /** True when an item starts a new window (a cut or a discontinuity): the open window closes first. */
  readonly startsWindow?: (item: T) => boolean;
  /** Work on one whole window; resolves with one result per item. */
  readonly work: (items: readonly T[]) => Promise<R[]>;
  /** Combines an item with its result into what is emitted. */
  readonly apply: (item: T, result: R) => T;
  /** Called for every item never emitted (error, unsubscribe). */
  readonly release?: (item: T) => void;
}

/**
 * Groups items into consecutive windows of `size` (closing early where `startsWindow` says, and at
 * completion), runs `work` on each window as soon as it is full, and emits the items in order as
 * their window's results arrive. Windows are worked on one after another (in order), while the
 * next window fills: the caller bounds memory by how many items it lets into flight (here, the
 * frame pool).
 *
 * ```
 * source:  --a--b--c--d--|          (size 2)
 * work:         [a,b]--->   [c,d]-->
 * output:  ------------a-b-------c-d|
 * ```
 *
 * The first error (from the source or from `work`) is passed on; everything held is released.
 */
export function windowedAsync<T, R>(options: WindowedAsyncOptions<T, R>): OperatorFunction<T, T> {
  const { size, startsWindow, work, apply, release } = options;
  if (!Number.isInteger(size) || size < 1)
    throw new RangeError(`Expected integer >= 1 for size but received ${size}`);
  return (source) =>
    new Observable<T>((subscriber) => {
      let open: T[] = [];
      const inFlight = new Set<T>();
      let chain: Promise<void> = Promise.resolve();
      let closed = false;
      let sourceDone = false;
      let queued = 0;

      const dispatch = (items: T[]): void => {
        if (items.length === 0) return;
        for (const item of items) inFlight.add(item);
        queued++;
        const result = work(items);
        result.catch(() => {}); // handled in order below
        chain = chain.then(async () => {
          if (closed) return;
          let results: R[];
          try {
            results = await result;
          } catch (err) {
            closed = true;
            subscriber.error(err);
            return;
          }
          queued--;
          for (let i = 0; i < items.length; i++) {
            if (closed) return;
            inFlight.delete(items[i]!);
            subscriber.next(apply(items[i]!, results[i]!));
          }
          if (sourceDone && queued === 0 && !closed) {
            closed = true;
            subscriber.complete();
          }
        });
      };

      const subscription = source.subscribe({
        next: (item) => {
          if (open.length > 0 && startsWindow?.(item)) {
            dispatch(open);
            open = [];
          }
          open.push(item);
          if (open.length >= size) {
            dispatch(open);
            open = [];
          }
        },
        error: (err) => {
          closed = true;
          subscriber.error(err);
        },
        complete: () => {
          sourceDone = true;
          dispatch(open);
          open = [];
          if (queued === 0 && !closed) {
            closed = true;
            subscriber.complete();
          }
        },
      });

      return () => {
        closed = true;
        subscription.unsubscribe();
        for (const item of open) release?.(item);
        for (const item of inFlight) release?.(item);
        open = [];
        inFlight.clear();
      };
    });
}
