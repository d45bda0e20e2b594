/**
 * Triangular-weighted means over a sliding window, in a fixed number of passes per item whatever
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
export function addScaled(acc: Float64Array, src: Values, w: number): void {
  if (src instanceof Float32Array) addF32(acc, src, w);
  else if (src instanceof Uint16Array) addU16(acc, src, w);
  else addU8(acc, src, w);
}

/** target = acc * scale (rounded for integer values). */
export function writeScaled(target: Values, acc: Float64Array, scale: number): void {
  if (target instanceof Float32Array) {
    for (let i = 0; i < acc.length; i++) target[i] = acc[i]! * scale;
  } else {
    for (let i = 0; i < acc.length; i++) target[i] = Math.round(acc[i]! * scale);
  }
}

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
