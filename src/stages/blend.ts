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
import { defer, map, type OperatorFunction } from '../util/rx.js';
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

/** The values blended: a LUT's (float) or a graded proxy's pixels (8 or 16 bits). */
export type Values = Float32Array | Uint8Array | Uint16Array;

/** Items after which the running sums are recomputed from the window itself. */
export const REFRESH = 500;

// One loop per array type: a loop that meets several typed-array types is deoptimised by V8 to a
// generic element access several times slower.
function addF32(acc: Float64Array, src: Float32Array, w: number): void {
  for (let i = 0; i < acc.length; i++) acc[i]! += src[i]! * w;
}
function addU16(acc: Float64Array, src: Uint16Array, w: number): void {
  for (let i = 0; i < acc.length; i++) acc[i]! += src[i]! * w;
}
function addU8(acc: Float64Array, src: Uint8Array, w: number): void {
  for (let i = 0; i < acc.length; i++) acc[i]! += src[i]! * w;
}
/** acc += w * src */
function addScaled(acc: Float64Array, src: Values, w: number): void {
  if (src instanceof Float32Array) addF32(acc, src, w);
  else if (src instanceof Uint16Array) addU16(acc, src, w);
  else addU8(acc, src, w);
}

/** target = acc * scale (rounded for integer values). */
function writeScaled(target: Values, acc: Float64Array, scale: number): void {
  if (target instanceof Float32Array) {
    for (let i = 0; i < acc.length; i++) target[i] = acc[i]! * scale;
  } else {
    for (let i = 0; i < acc.length; i++) target[i] = Math.round(acc[i]! * scale);
  }
}

/**
 * The kernel: triangular-weighted means over a sliding window, in a fixed number of passes per item whatever
 * the radius.
 *
 * The weight of the item at offset k from the centre is radius + 1 - |k|. A triangle that wide is
 * two boxes of radius + 1 items convolved, so the weighted sum moves from centre c - 1 to c by
 *
 *   T(c) = T(c - 1) + fwd(c) - bwd(c),   fwd(c) = x[c] + ... + x[c + r],   bwd(c) = x[c - r - 1] + ... + x[c - 1]
 *
 * and each box moves by one addition and one subtraction: five passes over the values instead of
 * the 2r + 1 of summing the window afresh (13 at the default radius 6). Items beyond a shot's ends
 * count as 0, and the mean divides by the weights of the items present, so a window is shorter at
 * a shot's ends exactly as when it is summed afresh. The sums are kept in float64 and recomputed
 * from scratch every `REFRESH` items, so rounding cannot build up over a long shot.
 */
export class TriangularMean {
  private fwd = new Float64Array(0);
  private bwd = new Float64Array(0);
  private sum = new Float64Array(0);
  private steps = 0;
  private valid = false;

  constructor(readonly radius: number) {}

  /** The next item is not the one after the last (a cut, a gap, a new stream). */
  reset(): void {
    this.valid = false;
  }

  /**
   * Writes the weighted mean around `own` into `target`. `behind` holds the items before it in
   * its shot, oldest first and nearest last, at least the radius + 2 nearest where the shot has
   * them; `ahead` the items after it, nearest first, at most `radius`, cut short only where the
   * shot ends. Consecutive calls must be for consecutive items, or `reset` comes between them.
   */
  meanInto(target: Values, own: Values, behind: readonly Values[], ahead: readonly Values[]): void {
    const r = this.radius;
    const n = own.length;
    const nb = Math.min(behind.length, r);
    const na = Math.min(ahead.length, r);
    // (r + 1) for the centre, then r, r - 1, ... on each side for the items present.
    const total = r + 1 + nb * r - (nb * (nb - 1)) / 2 + na * r - (na * (na - 1)) / 2;
    if (!this.valid || this.sum.length !== n || this.steps >= REFRESH) this.recompute(own, behind, ahead);
    else if (this.advanceFloat(target, behind, ahead, 1 / total)) return;
    else this.advance(behind, ahead);
    writeScaled(target, this.sum, 1 / total);
  }

  /**
   * The step inside a shot of float LUTs (the default pipeline's case), all passes in one loop:
   * about twice as fast as `advance` then `writeScaled`. False where it does not apply.
   */
  private advanceFloat(
    target: Values,
    behind: readonly Values[],
    ahead: readonly Values[],
    scale: number,
  ): boolean {
    const r = this.radius;
    const previous = behind.at(-1);
    const entering = ahead[r - 1];
    const leaving = behind.at(-(r + 2));
    if (
      !(target instanceof Float32Array) ||
      !(previous instanceof Float32Array) ||
      !(entering instanceof Float32Array) ||
      !(leaving instanceof Float32Array) ||
      ahead.length < r ||
      behind.length < r + 2
    ) {
      return false;
    }
    const { sum, fwd, bwd } = this;
    for (let i = 0; i < sum.length; i++) {
      const p = previous[i]!;
      const f = (fwd[i]! += entering[i]! - p);
      const b = (bwd[i]! += p - leaving[i]!);
      target[i] = (sum[i]! += f - b) * scale;
    }
    this.steps++;
    return true;
  }

  private recompute(own: Values, behind: readonly Values[], ahead: readonly Values[]): void {
    const r = this.radius;
    const n = own.length;
    if (this.sum.length !== n) {
      this.fwd = new Float64Array(n);
      this.bwd = new Float64Array(n);
      this.sum = new Float64Array(n);
    }
    this.fwd.fill(0);
    this.bwd.fill(0);
    this.sum.fill(0);
    addScaled(this.fwd, own, 1);
    addScaled(this.sum, own, r + 1);
    ahead.slice(0, r).forEach((v, k) => {
      addScaled(this.fwd, v, 1);
      addScaled(this.sum, v, r - k);
    });
    behind.slice(-(r + 1)).forEach((v, k, near) => {
      const offset = near.length - k; // 1 for the nearest
      addScaled(this.bwd, v, 1);
      if (offset <= r) addScaled(this.sum, v, r + 1 - offset);
    });
    this.steps = 0;
    this.valid = true;
  }

  private advance(behind: readonly Values[], ahead: readonly Values[]): void {
    const r = this.radius;
    const previous = behind.at(-1); // the last centre
    const entering = ahead.length >= r ? ahead[r - 1] : undefined; // x[c + r]
    const leaving = behind.length >= r + 2 ? behind.at(-(r + 2)) : undefined; // x[c - r - 2]
    if (!previous) throw new Error('TriangularMean: consecutive items need the previous one behind');
    if (entering) addScaled(this.fwd, entering, 1);
    addScaled(this.fwd, previous, -1);
    addScaled(this.bwd, previous, 1);
    if (leaving) addScaled(this.bwd, leaving, -1);
    const { sum, fwd, bwd } = this;
    for (let i = 0; i < sum.length; i++) sum[i]! += fwd[i]! - bwd[i]!;
    this.steps++;
  }
}

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
