/**
 * cuts: finds scene cuts on the proxy and marks the first frame of each new shot (`sceneCut`), so
 * that no window, correction blend or shot summary after it ever crosses a cut.
 *
 * Each frame's signature is its per-channel 16-bin histogram (of the picture, padding excluded).
 * The distance between neighbouring frames is half the summed absolute difference of their
 * histograms, in [0, 1]: 0 for the same colours, 1 for colours that do not overlap at all. A cut is
 * a distance above `threshold` that is also `contrast` times the median distance of the previous
 * `history` frames: a flash, a whip pan or a fast fade raises the distance on many frames in a
 * row, a cut on one. The first frame after a discontinuity starts afresh (it is already a new
 * segment, and its distance to the frame before the gap means nothing).
 */
import { defer, map } from '../util/rx.js';
import { defineStage } from './stage.js';
import type { Frame } from '../frame/frame.js';
import { noteKey } from '../frame/notes.js';

const options = {
  threshold: {
    type: 'number',
    default: 0.3,
    min: 0,
    max: 1,
    help: 'Histogram distance (0..1) between neighbouring frames above which a cut is possible',
  },
  contrast: {
    type: 'number',
    default: 3,
    min: 1,
    max: 100,
    help: 'How many times the recent median distance a cut must stand out',
  },
  history: {
    type: 'integer',
    default: 10,
    min: 1,
    max: 250,
    help: 'Frames of recent distances the median is taken over',
  },
} as const;

/** The histogram distance from the frame before, in `frame.notes` (absent after a discontinuity). */
export const CUT_DISTANCE = noteKey<number>('cuts');

const BINS = 16;

/** Per-channel histograms of the frame's picture, each normalised to sum 1: 3 x 16 values. */
export function histogramSignature(frame: Frame): Float32Array {
  const { data, width } = frame.image;
  const { x, y, width: w, height: h } = frame.active;
  // Counted in integers (float increments cost twice as much), one loop per pixel type so that
  // each stays monomorphic; the counts are exact either way, so the signature is the same.
  const counts = new Uint32Array(3 * BINS);
  if (data instanceof Uint16Array) countBins16(data, width, x, y, w, h, counts);
  else countBins8(data, width, x, y, w, h, counts);
  const n = Math.max(1, w * h);
  const signature = new Float32Array(3 * BINS);
  for (let k = 0; k < counts.length; k++) signature[k] = counts[k]! / n;
  return signature;
}

function countBins8(
  data: Uint8Array,
  width: number,
  x0: number,
  y0: number,
  w: number,
  h: number,
  counts: Uint32Array,
): void {
  for (let y = y0; y < y0 + h; y++) {
    for (let i = (y * width + x0) * 3, end = i + w * 3; i < end; i += 3) {
      counts[data[i]! >> 4]!++;
      counts[BINS + (data[i + 1]! >> 4)]!++;
      counts[2 * BINS + (data[i + 2]! >> 4)]!++;
    }
  }
}

function countBins16(
  data: Uint16Array,
  width: number,
  x0: number,
  y0: number,
  w: number,
  h: number,
  counts: Uint32Array,
): void {
  for (let y = y0; y < y0 + h; y++) {
    for (let i = (y * width + x0) * 3, end = i + w * 3; i < end; i += 3) {
      counts[data[i]! >> 12]!++;
      counts[BINS + (data[i + 1]! >> 12)]!++;
      counts[2 * BINS + (data[i + 2]! >> 12)]!++;
    }
  }
}

/** Half the summed absolute difference of two signatures, averaged over the channels: 0..1. */
export function signatureDistance(a: Float32Array, b: Float32Array): number {
  let d = 0;
  for (let k = 0; k < a.length; k++) d += Math.abs(a[k]! - b[k]!);
  return d / 2 / 3;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export const cuts = defineStage({
  kind: 'transform',
  name: 'cuts',
  description: 'Finds scene cuts on the proxy (histogram jumps) so that nothing temporal crosses them',
  options,
  create: (opts, run) => (source) =>
    defer(() => {
      let previous: Float32Array | undefined;
      let recent: number[] = [];
      let count = 0;
      return source.pipe(
        map((frame) => {
          const signature = histogramSignature(frame);
          if (frame.discontinuity || !previous) {
            recent = [];
          } else {
            const d = signatureDistance(previous, signature);
            const typical = recent.length ? median(recent) : 0;
            if (d > opts.threshold && d > opts.contrast * typical) {
              frame.sceneCut = true;
              count++;
              run.stats?.set('cuts', count);
              recent = [];
            } else {
              recent.push(d);
              if (recent.length > opts.history) recent.shift();
            }
            frame.notes.set(CUT_DISTANCE, d);
          }
          previous = signature;
          return frame;
        }),
      );
    }),
});
