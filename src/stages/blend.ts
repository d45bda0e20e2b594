/**
 * blend: smooths grading over time, against flicker, never across a cut or a discontinuity.
 *
 * mode `correction` (the default; place it after `merge`): each frame's LUT becomes the weighted
 * mean of the LUTs of the frames within +-radius of it in its shot. The correction changes slowly;
 * the pixels themselves are never mixed, so moving detail cannot ghost.
 *
 * mode `pixels` (the paper's frame blending; place it before `merge`): each frame's graded proxy
 * becomes the weighted mean of the graded proxies within +-radius. `merge` then fits the LUT from
 * the frame's own proxy to that mean, which carries neighbouring frames' content into the fit:
 * kept to compare with the paper.
 *
 * Weights are triangular (radius + 1 - |offset|): the nearest frames count most, and a frame's
 * influence fades in and out instead of switching on and off at the window's edge. At a shot's
 * ends the window is shorter (nothing is invented). The stage holds `radius` frames ahead; the
 * frames behind are kept as copies of their originals, not as frames. With `causal`, only the
 * frames behind count and nothing is held: what a live preview needs.
 */
import { defer, map, type OperatorFunction } from 'rxjs';
import { defineStage } from './stage.js';
import { UsageError } from '../util/errors.js';
import { slidingContext } from '../operators/slidingContext.js';
import { startsSegment, type Frame } from '../frame/frame.js';
import { TriangularMean, addScaled, writeScaled, type Values } from '../util/triangularMean.js';

const options = {
  mode: {
    type: 'enum',
    values: ['correction', 'pixels'],
    default: 'correction',
    help: 'Blend the correction (the LUT, after merge) or the graded pixels (before merge, as the paper)',
  },
  radius: {
    type: 'integer',
    default: 6,
    min: 0,
    max: 60,
    help: 'Frames on each side that contribute (0: no blending)',
  },
  causal: {
    type: 'boolean',
    default: false,
    help: 'Only earlier frames contribute: no frame waits for later ones (live preview)',
  },
} as const;

type Mode = 'correction' | 'pixels';

function valuesOf(frame: Frame, mode: Mode): Values | undefined {
  if (mode === 'correction') return frame.lut?.data;
  return frame.hasGraded ? frame.graded.data : undefined;
}

/** Weighted mean of `sources` (weights w) into `target` (rounded for integer pixels); `acc` is scratch. */
function weightedMean(
  target: Values,
  sources: readonly Values[],
  weights: readonly number[],
  acc: Float64Array,
): void {
  const total = weights.reduce((a, b) => a + b, 0);
  acc.fill(0);
  sources.forEach((src, k) => addScaled(acc, src, weights[k]!));
  writeScaled(target, acc, 1 / total);
}

/** Copies of frames' values, recycled once no window needs them (saves a large allocation per frame). */
class CopyPool {
  private readonly free: Values[] = [];
  copy(values: Values): Values {
    const i = this.free.findIndex((v) => v.constructor === values.constructor && v.length === values.length);
    if (i < 0) return values.slice();
    const copy = this.free.splice(i, 1)[0]!;
    copy.set(values);
    return copy;
  }
  recycle(values: Values, keep: number): void {
    if (this.free.length < keep) this.free.push(values);
  }
}

/** The first items of `values` up to the first that is missing or of another size. */
function leadingRun(values: ReadonlyArray<Values | undefined>, length: number): Values[] {
  const run: Values[] = [];
  for (const v of values) {
    if (v === undefined || v.length !== length) break;
    run.push(v);
  }
  return run;
}

export function blendOperator(mode: Mode, radius: number, causal = false): OperatorFunction<Frame, Frame> {
  return (source) =>
    defer(() => {
      // Originals of the frames already passed on in this shot, nearest last (copies: their own
      // buffers now hold blended values or belong downstream). Two more than the radius: the
      // running sums take away the frame that has just left the window.
      let history: Values[] = [];
      const keepBehind = radius + 2;
      const originals = new WeakMap<Frame, Values>();
      const pool = new CopyPool();
      const running = new TriangularMean(radius);
      let acc = new Float64Array(0);
      const forget = (values: Values): void => pool.recycle(values, radius + 4);
      const restart = (): void => {
        history.forEach(forget);
        history = [];
        running.reset();
      };
      return source.pipe(
        map((frame) => {
          const values = valuesOf(frame, mode);
          if (values && radius > 0) originals.set(frame, pool.copy(values));
          return frame;
        }),
        slidingContext<Frame>({
          lookbehind: 0,
          lookahead: causal ? 0 : radius,
          startsSegment,
          retain: (f) => f.retain(),
          release: (f) => f.release(),
        }),
        map(({ center, after }) => {
          const own = originals.get(center);
          const target = valuesOf(center, mode);
          // A frame with nothing to blend is a gap: the frames either side of it are not neighbours.
          if (startsSegment(center) || !own || !target || history.some((v) => v.length !== own.length))
            restart();
          if (!own || !target) return center;
          // The frames ahead, up to a gap and never past one.
          const ahead = leadingRun(
            after.map((f) => originals.get(f)),
            own.length,
          );
          if (causal) {
            const behind = history.slice(-radius);
            if (behind.length > 0) {
              if (acc.length !== target.length) acc = new Float64Array(target.length);
              const weights = [...behind.map((_, k) => radius + 1 - (behind.length - k)), radius + 1];
              weightedMean(target, [...behind, own], weights, acc);
            }
          } else if (history.length > 0 || ahead.length > 0) {
            running.meanInto(target, own, history, ahead);
          } else {
            running.reset(); // a shot of one frame: nothing to blend
          }
          originals.delete(center);
          history.push(own);
          if (history.length > keepBehind) forget(history.shift()!);
          return center;
        }),
      );
    });
}

export const blend = defineStage({
  kind: 'transform',
  name: 'blend',
  description:
    'Smooths the correction (or, as the paper, the graded pixels) over +-radius frames, reset at cuts',
  options,
  context: (opts) => ({ lookbehind: 0, lookahead: opts.causal ? 0 : opts.radius }),
  // Each mode is silently a no-op in the wrong place, so the wrong place is refused.
  checkOrder: (opts, before) => {
    if (opts.mode === 'correction' && !before.has('lut')) {
      throw new UsageError(
        'E_PIPELINE_ORDER',
        'blend with mode correction smooths the per-frame LUT, so it must come after merge (or use mode pixels before merge)',
      );
    }
    if (opts.mode === 'pixels' && (before.has('lut') || !before.has('graded'))) {
      throw new UsageError(
        'E_PIPELINE_ORDER',
        'blend with mode pixels smooths the graded proxy, so it must come after a grader and before merge',
      );
    }
  },
  isIdentity: (opts) => opts.radius === 0,
  create: (opts) => blendOperator(opts.mode as Mode, opts.radius, opts.causal),
});
