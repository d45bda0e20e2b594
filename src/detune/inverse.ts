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
  const clip = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
  return (r, g, b, out) => {
    let c0 = r;
    let c1 = g;
    let c2 = b;
    for (const { family, amount } of steps) {
      const L = amount / 3;
      switch (family) {
        case 'green':
          c1 = clip(c1 / (1 + 0.3 * L));
          break;
        case 'blue':
          c2 = clip(c2 / (1 + 0.3 * L));
          break;
        case 'orange':
          c0 = clip(c0 / (1 + 0.3 * L));
          c1 = clip(c1 / (1 + 0.12 * L));
          break;
        case 'black-high': {
          const k = 0.12 * L;
          c0 = clip((c0 - k) / (1 - k));
          c1 = clip((c1 - k) / (1 - k));
          c2 = clip((c2 - k) / (1 - k));
          break;
        }
        case 'black-low': {
          const k = 0.08 * L;
          c0 = clip(k + (1 - k) * c0);
          c1 = clip(k + (1 - k) * c1);
          c2 = clip(k + (1 - k) * c2);
          break;
        }
        case 'white-low': {
          const s = 1 / (1 - 0.3 * L);
          c0 = clip(c0 * s);
          c1 = clip(c1 * s);
          c2 = clip(c2 * s);
          break;
        }
        case 'contrast-high': {
          const s = 1 / (1 + 0.6 * L);
          c0 = clip(0.5 + (c0 - 0.5) * s);
          c1 = clip(0.5 + (c1 - 0.5) * s);
          c2 = clip(0.5 + (c2 - 0.5) * s);
          break;
        }
        case 'saturation-low': {
          const y = 0.2126 * c0 + 0.7152 * c1 + 0.0722 * c2;
          const s = 1 / (1 - 0.6 * L);
          c0 = clip(y + (c0 - y) * s);
          c1 = clip(y + (c1 - y) * s);
          c2 = clip(y + (c2 - y) * s);
          break;
        }
      }
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
  };
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
  const ramp = (t: number): number => (t <= 0 ? 0 : t >= 1 ? 1 : t * t * (3 - 2 * t));
  const luma = (r: number, g: number, b: number): number => 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return (r, g, b, out) => {
    transform(r, g, b, out);
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
  };
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

/** The transform that changes nothing. */
export const IDENTITY: Transform = (r, g, b, out) => {
  out[0] = r;
  out[1] = g;
  out[2] = b;
};
