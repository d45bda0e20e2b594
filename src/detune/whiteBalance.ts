import type { Transform } from './inverse.js';
import type { Detune } from './families.js';

/**
 * A white balance off: the colour of a black body at a temperature, as per-channel gains (the
 * brightest channel at 1). This is the curve fit (Tanner Helland's) that ffmpeg's
 * `colortemperature` filter uses, so a cast made here is the one `vgrade eval`'s outside kinds make
 * with ffmpeg; 6500 K is about neutral, lower is warmer (B and G fall), higher cooler (R and G fall).
 */
export function blackBodyGains(kelvin: number): [number, number, number] {
  const t = kelvin / 100;
  let r: number;
  let g: number;
  let b: number;
  if (t <= 66) {
    r = 1;
    g = 0.3900815788 * Math.log(t) - 0.6318414438;
  } else {
    const above = Math.max(t - 60, 0);
    r = 1.292936186 * Math.pow(above, -0.1332047592);
    g = 1.129890861 * Math.pow(above, -0.0755148492);
  }
  if (t >= 66) b = 1;
  else if (t <= 19) b = 0;
  else b = 0.5432067891 * Math.log(t - 10) - 1.196254089;
  const clip = (v: number): number => Math.min(1, Math.max(0, v));
  return [clip(r), clip(g), clip(b)];
}

/**
 * How long a read cast (ln R/G, ln B/G of its gains) may be before it is taken as a white balance
 * off rather than the scene's own colour: invert's `white_tolerance` default, chosen on the
 * validation split (docs/correction-under-uncertainty.md, "The white balance").
 */
export const WHITE_TOLERANCE = 0.08;

/** The chroma of a black body's gains: ln R/G, ln B/G. */
function blackBodyChroma(kelvin: number): [number, number] {
  const [r, g, b] = blackBodyGains(kelvin);
  return [Math.log(r / g), Math.log(b / g)];
}

/**
 * The colour temperature whose light gives a cast nearest `read` (ln R/G, ln B/G of the gains),
 * between 2000 K and 20000 K, to 1%: a frame lit at that temperature and balanced for 6500 K
 * looks so (warm below 6500 K, cool above), as ffmpeg's `colortemperature` makes it. `off` is the
 * read's distance from the curve (a green or magenta tint it cannot express), in the same units.
 */
export function kelvinOf(read: readonly [number, number]): { kelvin: number; off: number } {
  let best = { kelvin: 6500, off: Infinity };
  for (let k = Math.log(2000); k <= Math.log(20000); k += 0.005) {
    const [rg, bg] = blackBodyChroma(Math.exp(k));
    const off = Math.hypot(rg - read[0], bg - read[1]);
    if (off < best.off) best = { kelvin: Math.exp(k), off };
  }
  return best;
}

/**
 * The gains that take a cast of chroma `read` off, beyond what a scene's own colour may be: a read
 * of length n is shrunk to n - t^2 / n (t = `tolerance`, in ln units): nothing up to t, and a
 * residual that falls as the read grows (t / 2 at 2t, t / 3 at 3t), so a strong cast is taken
 * off nearly whole and a read near t, which a clean frame of strong colour gives, hardly at all.
 * Then scaled by `strength`. Raised only, the smallest gain at 1, as a black body's colour lowers
 * channels and leaves the brightest: whites that reach full scale stay white.
 */
export function castGains(
  read: readonly [number, number],
  tolerance: number,
  strength: number,
): [number, number, number] {
  const length = Math.hypot(read[0], read[1]);
  const keep = length > tolerance ? ((length - (tolerance * tolerance) / length) / length) * strength : 0;
  const lr = -read[0] * keep;
  const lb = -read[1] * keep;
  const low = Math.min(lr, 0, lb);
  return [Math.exp(lr - low), Math.exp(-low), Math.exp(lb - low)];
}

/** `transform` followed by per-channel gains, results clipped to 1 (and its lattice filled likewise). */
export function withGains(transform: Transform, gains: readonly [number, number, number]): Transform {
  const [gr, gg, gb] = gains;
  const balanced: Transform & { fillLattice?: (size: number, data: Float32Array) => void } = (
    r,
    g,
    b,
    out,
  ) => {
    transform(r, g, b, out);
    out[0] = Math.min(1, out[0]! * gr);
    out[1] = Math.min(1, out[1]! * gg);
    out[2] = Math.min(1, out[2]! * gb);
  };
  const inner = (transform as { fillLattice?: (size: number, data: Float32Array) => void }).fillLattice;
  if (inner) {
    balanced.fillLattice = (size, data) => {
      inner(size, data);
      for (let i = 0; i < data.length; i += 3) {
        data[i] = Math.min(1, data[i]! * gr);
        data[i + 1] = Math.min(1, data[i + 1]! * gg);
        data[i + 2] = Math.min(1, data[i + 2]! * gb);
      }
    };
  }
  return balanced;
}

/** The most a list's cast families (green, blue, orange) raise a channel by: what undoing them divides it by. */
export function castDivisor(detunes: readonly Detune[]): number {
  let most = 1;
  for (const d of detunes) {
    if (d.family === 'green' || d.family === 'blue' || d.family === 'orange') {
      most = Math.max(most, 1 + 0.1 * d.amount);
    }
  }
  return most;
}

const LEVEL_BINS = 1024;

/**
 * The frame's white level: the 99.5th percentile of each pixel's brightest channel, after
 * `gains` (0 to 1). Interleaved RGB, 8 or 16 bits.
 */
export function whiteLevel(
  data: Uint8Array | Uint16Array,
  gains: readonly [number, number, number] = [1, 1, 1],
): number {
  const full = data instanceof Uint16Array ? 65535 : 255;
  const hist = new Uint32Array(LEVEL_BINS);
  const [gr, gg, gb] = gains;
  for (let i = 0; i < data.length; i += 3) {
    const v = Math.min(1, Math.max(data[i]! * gr, data[i + 1]! * gg, data[i + 2]! * gb) / full);
    hist[Math.min(LEVEL_BINS - 1, Math.floor(v * LEVEL_BINS))]!++;
  }
  const rank = (data.length / 3) * 0.995;
  let seen = 0;
  for (let bin = 0; bin < LEVEL_BINS; bin++) {
    seen += hist[bin]!;
    if (seen >= rank) return (bin + 0.5) / LEVEL_BINS;
  }
  return 1;
}
