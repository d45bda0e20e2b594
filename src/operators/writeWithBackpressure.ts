import { Observable, Subscriber, type OperatorFunction } from '../util/rx.js';
import type { Writable } from 'node:stream';

export interface WriteWithBackpressureOptions<T> {
  /** The chunks that carry one item, written in order. */
  readonly chunks: (item: T) => readonly Uint8Array[];
  /** Called once an item's chunks are written (its buffers may be reused). */
  readonly written?: (item: T) => void;
  /** Called for items that were never written (error or unsubscribe). */
  readonly release?: (item: T) => void;
}

/**
 * The writable closed while items were still to be written (its reader went away). `code` is
 * Node's own for a stream that ended too early.
 */
export class OutputClosedError extends Error {
  readonly code = 'ERR_STREAM_PREMATURE_CLOSE';
  constructor() {
    super('the output stream closed before all frames were written');
    this.name = 'OutputClosedError';
  }
}

/**
 * Writes each item to a Node writable, emitting the item once the stream has accepted its bytes.
 *
 * ```
 * source:  --a--b--c--|
 * write:     a  b        (write() returns false after b: the stream's buffer is full)
 * drain:           ^     (c is written only after 'drain')
 * result:  ---A--B---C--|
 * ```
 *
 * RxJS cannot slow its producer down, so backpressure works by holding items: while the writable
 * is above its high-water mark the operator keeps arriving items in a queue and writes them on
 * 'drain'. The queue holds frames from a fixed pool, so it can never hold more than the pool's
 * capacity, and holding them is what stops the decoder (it finds no free frame and stops reading
 * ffmpeg's stdout). The operator completes when the source has completed and every item's write
 * callback has run; it never ends the writable (its owner decides that). A write error, or the
 * stream closing early (an {@link OutputClosedError}), errors the result.
 */
export function writeWithBackpressure<T>(
  writable: Writable,
  options: WriteWithBackpressureOptions<T>,
): OperatorFunction<T, T> {
  const release = options.release ?? (() => {});
  return (source) =>
    new Observable<T>((subscriber) => {
      const waiting: T[] = [];
      let inFlight = 0;
      let blocked = false;
      let sourceDone = false;
      let failed = false;

      const fail = (err: unknown): void => {
        if (failed) return;
        failed = true;
        subscriber.error(err);
      };

      const maybeComplete = (): void => {
        if (sourceDone && inFlight === 0 && waiting.length === 0 && !failed) subscriber.complete();
      };

      const write = (item: T): void => {
        const parts = options.chunks(item);
        inFlight++;
        let ok = true;
        for (let i = 0; i < parts.length; i++) {
          const last = i === parts.length - 1;
          ok = writable.write(
            parts[i]!,
            last
              ? (err?: Error | null) => {
                  inFlight--;
                  if (err) {
                    release(item);
                    fail(err);
                    return;
                  }
                  if (failed || subscriber.closed) {
                    release(item);
                    return;
                  }
                  options.written?.(item);
                  subscriber.next(item);
                  maybeComplete();
                }
              : undefined,
          );
        }
        if (!ok) blocked = true;
      };

      const onDrain = (): void => {
        blocked = false;
        while (!blocked && waiting.length > 0 && !failed) write(waiting.shift() as T);
        maybeComplete();
      };
      const onClose = (): void => {
        if (!sourceDone || inFlight > 0 || waiting.length > 0) {
          fail(new OutputClosedError());
        }
      };
      const onError = (err: Error): void => fail(err);
      writable.on('drain', onDrain);
      writable.on('close', onClose);
      writable.on('error', onError);

      const inner = new Subscriber<T>({
        next: (item) => {
          if (failed) {
            release(item);
            return;
          }
          if (blocked || waiting.length > 0) waiting.push(item);
          else write(item);
        },
        error: (err: unknown) => fail(err),
        complete: () => {
          sourceDone = true;
          maybeComplete();
        },
      });
      subscriber.add(inner);
      source.subscribe(inner);

      return () => {
        inner.unsubscribe();
        writable.off('drain', onDrain);
        writable.off('close', onClose);
        writable.off('error', onError);
        while (waiting.length > 0) release(waiting.shift() as T);
      };
    });
}
