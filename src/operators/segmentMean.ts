import { defer, map, type OperatorFunction } from '../util/rx.js';
import { slidingContext } from './slidingContext.js';

export interface SegmentMeanOptions<T, M> {
  /** Items either side whose measures are averaged (so each item is delayed by this many). */
  readonly radius: number;
  /** Called once per item, in order, as it arrives. */
  readonly measure: (item: T) => M;
  readonly mean: (measures: readonly M[]) => M;
  /** An item for which this is true starts a new segment: no mean crosses it. */
  readonly startsSegment?: (item: T) => boolean;
  readonly retain?: (item: T) => void;
  readonly release?: (item: T) => void;
}

/** An item with its own measure and the mean over its neighbourhood. */
export interface Averaged<T, M> {
  readonly item: T;
  readonly own: M;
  readonly mean: M;
}

/**
 * Each item with the mean of the measures of the items within `radius` either side of it in its
 * segment: what keeps a per-frame correction from pumping within a shot.
 *
 * ```
 * source:  --a--b--C--d--|         (radius 1; C starts a segment; the mean of letters: joined)
 * result:  -----A--B-----C--(D|)   A = {a, 'ab'}, B = {b, 'ab'}, C = {C, 'Cd'}, D = {d, 'Cd'}
 * ```
 *
 * Later items are held as lookahead (`radius` of them); earlier ones only as their measures, so a
 * pool of frames sized for the lookahead suffices and memory does not grow with the segment.
 */
export function segmentMean<T, M>(options: SegmentMeanOptions<T, M>): OperatorFunction<T, Averaged<T, M>> {
  const { radius, measure, mean } = options;
  return (source) =>
    defer(() => {
      // Measures of the items already passed on within the segment (numbers, not items).
      let history: M[] = [];
      const measured = new Map<T, M>();
      return source.pipe(
        map((item) => {
          measured.set(item, measure(item));
          return item;
        }),
        slidingContext<T>({
          lookbehind: 0,
          lookahead: radius,
          startsSegment: options.startsSegment,
          retain: options.retain,
          release: options.release,
        }),
        map(({ center, after }) => {
          if (options.startsSegment?.(center)) history = [];
          const own = measured.get(center)!;
          measured.delete(center);
          const averaged = mean([...history, own, ...after.map((item) => measured.get(item)!)]);
          history.push(own);
          if (history.length > radius) history.shift();
          return { item: center, own, mean: averaged };
        }),
      );
    });
}
