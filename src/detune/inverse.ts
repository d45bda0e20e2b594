/**
 * The inverse of a detune list, as a continuous colour transform on [0, 1] RGB: what undoes the
 * detunes a classifier found (the "do no harm" path: no pixel is regenerated, the frame is only
 * mapped back through the formulas).
 *
 * Each family's formula is inverted and the steps run in reverse table order:
 *   green           G = G / (1 + 0.30 L)
 *   blue            B = B / (1 + 0.30 L)
 *   orange          R = R / (1 + 0.30 L); G = G / (1 + 0.12 L)
 *   black-high      x = (x - b) / (1 - b),  b = 0.12 L
 *   black-low       x = b + (1 - b) x,  b = 0.08 L
 *   white-low       x = x / (1 - 0.30 L)
 *   contrast-high   x = 0.5 + (x - 0.5) / (1 + 0.6 L)
 *   saturation-low  x = Y + (x - Y) / (1 - 0.6 L)   (the detune keeps Y, so Y is the same here)
 * with results clipped to [0, 1] after each step. What a detune clipped away (crushed blacks,
 * blown whites) cannot come back; everything else is restored up to 8-bit rounding.
 */
import { sortDetunes, validateDetune, type Detune } from './families.js';

export type Transform = (r: number, g: number, b: number, out: Float32Array) => void;

export function inverseDetuneTransform(detunes: readonly Detune[]): Transform {
  const steps = sortDetunes(detunes.map(validateDetune))
    .filter((d) => d.amount > 0)
    .reverse();
  const transform: LatticeTransform = (r, g, b, out) => {
    const c = INVERT_SCRATCH;
    c[0] = r;
    c[1] = g;
    c[2] = b;
    invertInPlace(steps, c);
    out[0] = c[0];
    out[1] = c[1];
    out[2] = c[2];
  };
  transform.fillLattice = (size, data) => fillLattice(size, data, steps, undefined);
  INVERSE_STEPS.set(transform, steps);
  return transform;
}

/**
 * A transform that can also fill a whole LUT lattice itself, as `fillLut` asks of it (the same
 * points, in the same order, with the same arithmetic), with no call per point: `merge` fills a
 * lattice from a new transform every frame, and numbers passed to a call that V8 does not inline
 * are boxed, as are locals it cannot keep unboxed (about 1.7 MB of garbage a frame at 25^3). So
 * the per-point helpers below take and give their colours in Float64Arrays (the same doubles),
 * never as numbers.
 */
type LatticeTransform = Transform & { fillLattice?: (size: number, data: Float32Array) => void };

/** Each inverse's steps, for `withKnees` to fill a lattice with both in one loop. */
const INVERSE_STEPS = new WeakMap<Transform, readonly Detune[]>();

/** One colour in double precision, for the transforms' calls (each call fills and reads it at once). */
const INVERT_SCRATCH = new Float64Array(3);
const KNEE_SCRATCH = new Float64Array(3);

/** Clips `c[i]` to [0, 1] (in place: no number passes through the call). */
function clipAt(c: Float64Array, i: number): void {
  const v = c[i]!;
  c[i] = v < 0 ? 0 : v > 1 ? 1 : v;
}

/** The colour in `c` (R, G, B) through the inverse `steps` (in the order they are undone), in place. */
function invertInPlace(steps: readonly Detune[], c: Float64Array): void {
  // An indexed loop: `for...of` here allocated an iterator per point where V8 did not optimise it.
  for (let i = 0; i < steps.length; i++) {
    const { family, amount } = steps[i]!;
    const L = amount / 3;
    switch (family) {
      case 'green':
        c[1] = c[1]! / (1 + 0.3 * L);
        clipAt(c, 1);
        break;
      case 'blue':
        c[2] = c[2]! / (1 + 0.3 * L);
        clipAt(c, 2);
        break;
      case 'orange':
        c[0] = c[0]! / (1 + 0.3 * L);
        clipAt(c, 0);
        c[1] = c[1]! / (1 + 0.12 * L);
        clipAt(c, 1);
        break;
      case 'black-high': {
        const k = 0.12 * L;
        c[0] = (c[0]! - k) / (1 - k);
        clipAt(c, 0);
        c[1] = (c[1]! - k) / (1 - k);
        clipAt(c, 1);
        c[2] = (c[2]! - k) / (1 - k);
        clipAt(c, 2);
        break;
      }
      case 'black-low': {
        const k = 0.08 * L;
        c[0] = k + (1 - k) * c[0]!;
        clipAt(c, 0);
        c[1] = k + (1 - k) * c[1]!;
        clipAt(c, 1);
        c[2] = k + (1 - k) * c[2]!;
        clipAt(c, 2);
        break;
      }
      case 'white-low': {
        const s = 1 / (1 - 0.3 * L);
        c[0] = c[0]! * s;
        clipAt(c, 0);
        c[1] = c[1]! * s;
        clipAt(c, 1);
        c[2] = c[2]! * s;
        clipAt(c, 2);
        break;
      }
      case 'contrast-high': {
        const s = 1 / (1 + 0.6 * L);
        c[0] = 0.5 + (c[0]! - 0.5) * s;
        clipAt(c, 0);
        c[1] = 0.5 + (c[1]! - 0.5) * s;
        clipAt(c, 1);
        c[2] = 0.5 + (c[2]! - 0.5) * s;
        clipAt(c, 2);
        break;
      }
      case 'saturation-low': {
        const y = 0.2126 * c[0]! + 0.7152 * c[1]! + 0.0722 * c[2]!;
        const s = 1 / (1 - 0.6 * L);
        c[0] = y + (c[0]! - y) * s;
        clipAt(c, 0);
        c[1] = y + (c[1]! - y) * s;
        clipAt(c, 1);
        c[2] = y + (c[2]! - y) * s;
        clipAt(c, 2);
        break;
      }
    }
  }
}

/** `fillLut`'s lattice (red fastest), each point through the inverse and, if given, the knees. */
function fillLattice(
  size: number,
  data: Float32Array,
  steps: readonly Detune[],
  knees: Knees | undefined,
): void {
  const out = new Float32Array(3);
  const point = new Float64Array(3);
  const c = new Float64Array(3);
  const step = 1 / (size - 1);
  let i = 0;
  for (let b = 0; b < size; b++) {
    for (let g = 0; g < size; g++) {
      for (let r = 0; r < size; r++) {
        point[0] = c[0] = r * step;
        point[1] = c[1] = g * step;
        point[2] = c[2] = b * step;
        invertInPlace(steps, c);
        out[0] = c[0];
        out[1] = c[1];
        out[2] = c[2];
        if (knees) kneePoint(knees, point, out);
        data[i++] = out[0]!;
        data[i++] = out[1]!;
        data[i++] = out[2]!;
      }
    }
  }
}

/**
 * Where the knees of an inverse start: a pixel whose every channel is above `white` is (nearly)
 * white in the input, one whose every channel is below `black` is (nearly) black.
 */
export interface Knees {
  readonly white: number;
  readonly black: number;
}

export const DEFAULT_KNEES: Knees = { white: 0.9, black: 0.06 };

/**
 * An inverse with a colourist's roll-off at both ends. A channel that was clipped by a detune
 * carries no record of what it was, so an inverse that divides it (green-3 undone on a white
 * window: G 255 -> 196) pulls it away from its neighbours and paints clipped whites magenta.
 * Above the white knee the output fades back to the input (whites that are white stay white);
 * below the black knee it keeps its own lightness but takes the input's chroma (blacks may be
 * lifted, never tinted by the inverse). Both fades are smoothsteps on the input's least / greatest
 * channel, so the LUT stays smooth, and both leave an identity transform as it is.
 */
export function withKnees(transform: Transform, knees: Knees = DEFAULT_KNEES): Transform {
  const kneed: LatticeTransform = (r, g, b, out) => {
    transform(r, g, b, out);
    const point = KNEE_SCRATCH;
    point[0] = r;
    point[1] = g;
    point[2] = b;
    kneePoint(knees, point, out);
  };
  const steps = INVERSE_STEPS.get(transform);
  if (steps) kneed.fillLattice = (size, data) => fillLattice(size, data, steps, knees);
  return kneed;
}

/** The knees applied to `out`, the transform's output for the input colour `point`. */
function kneePoint(knees: Knees, point: Float64Array, out: Float32Array): void {
  const r = point[0]!;
  const g = point[1]!;
  const b = point[2]!;
  const lo = Math.min(r, g, b);
  const hi = Math.max(r, g, b);
  const w = ramp((lo - knees.white) / (1 - knees.white));
  if (w > 0) {
    out[0] = out[0]! + (r - out[0]!) * w;
    out[1] = out[1]! + (g - out[1]!) * w;
    out[2] = out[2]! + (b - out[2]!) * w;
  }
  const k = 1 - ramp(hi / knees.black);
  if (k > 0) {
    const y = luma(out[0]!, out[1]!, out[2]!);
    const yIn = luma(r, g, b);
    out[0] = out[0]! + (y + r - yIn - out[0]!) * k;
    out[1] = out[1]! + (y + g - yIn - out[1]!) * k;
    out[2] = out[2]! + (y + b - yIn - out[2]!) * k;
  }
}

function ramp(t: number): number {
  return t <= 0 ? 0 : t >= 1 ? 1 : t * t * (3 - 2 * t);
}

function luma(r: number, g: number, b: number): number {
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** Maps interleaved RGB pixels (8 or 16 bit) through a transform into `out`, of the same type. */
export function mapPixels<T extends Uint8Array | Uint16Array>(transform: Transform, data: T, out: T): T {
  const max = data instanceof Uint16Array ? 65535 : 255;
  const px = new Float32Array(3);
  for (let i = 0; i < data.length; i += 3) {
    transform(data[i]! / max, data[i + 1]! / max, data[i + 2]! / max, px);
    out[i] = Math.round(px[0]! * max);
    out[i + 1] = Math.round(px[1]! * max);
    out[i + 2] = Math.round(px[2]! * max);
  }
  return out;
}

/** The transform that changes nothing: the inverse of no detune (its lattice filled without a call per point). */
export const IDENTITY: Transform = inverseDetuneTransform([]);
