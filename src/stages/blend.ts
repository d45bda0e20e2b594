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
type Values = Float32Array | Uint8Array | Uint16Array;

function valuesOf(frame: Frame, mode: Mode): Values | undefined {
  if (mode === 'correction') return frame.lut?.data;
  return frame.hasGraded ? frame.graded.data : undefined;
}

// One loop per array type: a loop that meets several typed-array types is deoptimised by V8 to a
// generic element access several times slower (the blend was a fifth of the default pipeline's
// Node time at 720p before these were split).
function addScaledF32(acc: Float64Array, src: Float32Array, w: number): void {
  for (let i = 0; i < acc.length; i++) acc[i]! += src[i]! * w;
}
function addScaledU16(acc: Float64Array, src: Uint16Array, w: number): void {
  for (let i = 0; i < acc.length; i++) acc[i]! += src[i]! * w;
}
function addScaledU8(acc: Float64Array, src: Uint8Array, w: number): void {
  for (let i = 0; i < acc.length; i++) acc[i]! += src[i]! * w;
}
function addScaled(acc: Float64Array, src: Values, w: number): void {
  if (src instanceof Float32Array) addScaledF32(acc, src, w);
  else if (src instanceof Uint16Array) addScaledU16(acc, src, w);
  else addScaledU8(acc, src, w);
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
  sources.forEach((src, k) => addScaled(acc, src, weights[k]! / total));
  if (target instanceof Float32Array) target.set(acc);
  else for (let i = 0; i < acc.length; i++) target[i] = Math.round(acc[i]!);
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

export function blendOperator(mode: Mode, radius: number, causal = false): OperatorFunction<Frame, Frame> {
  return (source) =>
    defer(() => {
      // Originals of the frames already passed on, nearest last (copies: their own buffers now
      // hold blended values or belong downstream).
      let history: Values[] = [];
      const originals = new WeakMap<Frame, Values>();
      const pool = new CopyPool();
      let acc = new Float64Array(0);
      const forget = (values: Values): void => pool.recycle(values, radius + 2);
      return source.pipe(
        map((frame) => {
          const values = valuesOf(frame, mode);
          if (values) originals.set(frame, pool.copy(values));
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
          if (startsSegment(center) || !own || !target) {
            history.forEach(forget);
            history = [];
          }
          if (!own || !target) return center;
          const ahead = after
            .map((f) => originals.get(f))
            .filter((v): v is Values => v !== undefined && v.length === own.length);
          const behind = history.filter((v) => v.length === own.length);
          const sources = [...behind, own, ...ahead];
          const weights = [
            ...behind.map((_, k) => radius + 1 - (behind.length - k)),
            radius + 1,
            ...ahead.map((_, k) => radius - k),
          ];
          if (sources.length > 1) {
            if (acc.length !== target.length) acc = new Float64Array(target.length);
            weightedMean(target, sources, weights, acc);
          }
          originals.delete(center);
          history.push(own);
          if (history.length > radius) forget(history.shift()!);
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
