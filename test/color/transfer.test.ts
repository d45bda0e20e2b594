import { describe, expect, it } from 'vitest';
import {
  averageTransfers,
  CURVE_KNOTS,
  estimateTransfer,
  identityCurves,
  imageSamples,
  monotoneCurve,
  prepareReference,
  reinhardTransfer,
  scaleTransfer,
  transferFunction,
  type ColourSamples,
  type Transfer,
  type TransferSettings,
} from '../../src/color/transfer.js';
import { labToSrgbInto, srgbToLabInto } from '../../src/color/srgb.js';
import { defaultOptions } from '../../src/stages/options.js';
import { match, transferSettings } from '../../src/stages/match.js';

const DEFAULTS: TransferSettings = transferSettings(defaultOptions(match.options));
const settings = (o: Partial<TransferSettings>): TransferSettings => ({ ...DEFAULTS, ...o });

/** A deterministic pseudo-random stream in [0, 1). */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function samplesOf(colours: ReadonlyArray<readonly [number, number, number]>): ColourSamples {
  const rgb = new Float32Array(colours.length * 3);
  colours.forEach((c, i) => rgb.set(c, i * 3));
  return { rgb, count: colours.length };
}

function labOf(r: number, g: number, b: number): [number, number, number] {
  const lab = new Float64Array(3);
  srgbToLabInto(r, g, b, lab, 0);
  return [lab[0]!, lab[1]!, lab[2]!];
}

/**
 * A scene of natural colours (x, y in 0..1): a light grey-blue sky above, green foliage on the
 * left, brown ground on the right, with a little texture; nothing in it is a saturated red.
 */
function scene(x: number, y: number, noise: number): [number, number, number] {
  const n = (noise - 0.5) * 0.06;
  if (y < 0.4) return [0.62 + 0.2 * y + n, 0.68 + 0.2 * y + n, 0.78 + 0.1 * y + n];
  if (x < 0.5) return [0.2 + 0.15 * x + n, 0.42 + 0.2 * (y - 0.4) + n, 0.16 + n];
  return [0.48 + 0.1 * y + n, 0.36 + 0.1 * y + n, 0.24 + 0.05 * x + n];
}

/** The scene as samples on a w x h grid; `object(x, y)` paints over it where it returns a colour. */
function picture(
  w: number,
  h: number,
  seed: number,
  object?: (x: number, y: number) => [number, number, number] | undefined,
): ColourSamples {
  const random = rng(seed);
  const colours: Array<[number, number, number]> = [];
  for (let j = 0; j < h; j++) {
    for (let i = 0; i < w; i++) {
      const x = i / w;
      const y = j / h;
      colours.push(object?.(x, y) ?? scene(x, y, random()));
    }
  }
  return samplesOf(colours);
}

function apply(t: Transfer, samples: ColourSamples): Float32Array {
  const fn = transferFunction(t);
  const out = new Float32Array(samples.count * 3);
  const px = new Float32Array(3);
  for (let i = 0; i < samples.count; i++) {
    fn(samples.rgb[i * 3]!, samples.rgb[i * 3 + 1]!, samples.rgb[i * 3 + 2]!, px);
    out.set(px, i * 3);
  }
  return out;
}

/** Mean change of a* and b* (the cast) of the samples `keep` selects, after `t`. */
function meanCast(
  t: Transfer,
  samples: ColourSamples,
  keep: (i: number) => boolean,
): { a: number; b: number } {
  const after = apply(t, samples);
  let da = 0;
  let db = 0;
  let n = 0;
  for (let i = 0; i < samples.count; i++) {
    if (!keep(i)) continue;
    const before = labOf(samples.rgb[i * 3]!, samples.rgb[i * 3 + 1]!, samples.rgb[i * 3 + 2]!);
    const now = labOf(after[i * 3]!, after[i * 3 + 1]!, after[i * 3 + 2]!);
    da += now[1] - before[1];
    db += now[2] - before[2];
    n++;
  }
  return { a: da / n, b: db / n };
}

describe('sRGB <-> CIELAB', () => {
  it('labToSrgbInto inverts srgbToLabInto across the cube', () => {
    const out = new Float64Array(3);
    for (const [r, g, b] of [
      [0, 0, 0],
      [1, 1, 1],
      [0.5, 0.2, 0.9],
      [0.01, 0.99, 0.3],
      [0.2, 0.2, 0.2],
    ] as const) {
      const [L, a, bb] = labOf(r, g, b);
      labToSrgbInto(L, a, bb, out);
      expect([...out].map((v) => +v.toFixed(6))).toEqual([r, g, b]);
    }
  });
});

describe('reinhardTransfer', () => {
  it("matches exactly a picture whose Lab is a per-channel affine map of the reference's", () => {
    const random = rng(7);
    const ref: Array<[number, number, number]> = [];
    const pic: Array<[number, number, number]> = [];
    const out = new Float64Array(3);
    // Colours well inside the gamut, so the map (and its inverse) never clips.
    while (ref.length < 2000) {
      const c: [number, number, number] = [0.3 + 0.4 * random(), 0.3 + 0.4 * random(), 0.3 + 0.4 * random()];
      const [L, a, b] = labOf(...c);
      labToSrgbInto(0.8 * L + 6, 0.7 * a + 3, 1.2 * b - 4, out);
      if (out.some((v) => v <= 0 || v >= 1)) continue;
      ref.push(c);
      pic.push([out[0]!, out[1]!, out[2]!]);
    }
    const t = reinhardTransfer(samplesOf(pic), prepareReference(samplesOf(ref)));
    expect(t.kind).toBe('lab');
    const matched = apply(t, samplesOf(pic));
    let worst = 0;
    for (let i = 0; i < ref.length * 3; i++)
      worst = Math.max(worst, Math.abs(matched[i]! - ref[(i / 3) | 0]![i % 3]!));
    expect(worst).toBeLessThan(1e-4);
  });
});

describe('estimateTransfer', () => {
  const ref = prepareReference(picture(120, 80, 1));
  /** The same scene (another frame's texture) with a red car over a quarter of it. */
  const car = (x: number, y: number): [number, number, number] | undefined =>
    x > 0.2 && x < 0.7 && y > 0.5 ? [0.78, 0.1 + 0.05 * x, 0.12] : undefined;
  const withCar = picture(120, 80, 2, car);
  const notCar = (i: number): boolean => car((i % 120) / 120, Math.floor(i / 120) / 80) === undefined;

  it('reinhard turns the whole shot away from a big red object the reference lacks (what the others must not do)', () => {
    const t = estimateTransfer(withCar, ref, settings({ method: 'reinhard' })).transfer;
    const cast = meanCast(t, withCar, notCar);
    expect(Math.hypot(cast.a, cast.b)).toBeGreaterThan(3);
  });

  it.each(['robust', 'curves'] as const)(
    '%s invents no cast when the shot has a big red object the reference lacks',
    (method) => {
      const t = estimateTransfer(withCar, ref, settings({ method, similarityHigh: 0 })).transfer;
      const cast = meanCast(t, withCar, notCar);
      expect(Math.hypot(cast.a, cast.b)).toBeLessThan(1);
    },
  );

  // Curves undo a per-channel gain exactly; Lab's affine model only approximately.
  it.each([
    ['robust', 0.4],
    ['curves', 0.1],
  ] as const)("%s undoes a cast on the same scene (error below %s of the input's)", (method, share) => {
    // The reference itself, its green channel gained (and clipped) as the green detune does.
    const green = picture(120, 80, 1);
    for (let i = 1; i < green.rgb.length; i += 3) green.rgb[i] = Math.min(1, green.rgb[i]! * 1.25);
    const t = estimateTransfer(green, ref, settings({ method })).transfer;
    const clean = picture(120, 80, 1);
    const matched = apply(t, green);
    let error = 0;
    let before = 0;
    for (let i = 0; i < clean.count; i++) {
      const want = labOf(clean.rgb[i * 3]!, clean.rgb[i * 3 + 1]!, clean.rgb[i * 3 + 2]!);
      const got = labOf(matched[i * 3]!, matched[i * 3 + 1]!, matched[i * 3 + 2]!);
      const had = labOf(green.rgb[i * 3]!, green.rgb[i * 3 + 1]!, green.rgb[i * 3 + 2]!);
      error += Math.hypot(got[0] - want[0], got[1] - want[1], got[2] - want[2]);
      before += Math.hypot(had[0] - want[0], had[1] - want[1], had[2] - want[2]);
    }
    expect(error / before).toBeLessThan(share);
  });

  it('says how alike the contents are, and leaves a picture of other content alone', () => {
    const same = estimateTransfer(picture(120, 80, 4), ref, DEFAULTS);
    expect(same.similarity).toBeGreaterThan(0.9);
    // Another scene: a dark red-and-blue interior, nothing of the reference's sky, leaves or ground.
    const other = picture(120, 80, 5, (x, y) => (y < 0.5 ? [0.1, 0.1, 0.35 + 0.3 * x] : [0.6, 0.15, 0.2]));
    const e = estimateTransfer(other, ref, DEFAULTS);
    expect(e.similarity).toBeLessThan(DEFAULTS.similarityLow);
    expect(apply(e.transfer, other)).toEqual(other.rgb.map((v) => Math.fround(v)));
    // With the gate off, the look is imposed whatever the content.
    const forced = estimateTransfer(other, ref, settings({ similarityHigh: 0 }));
    expect(apply(forced.transfer, other)).not.toEqual(other.rgb);
  });

  it('leaves an empty picture alone', () => {
    const e = estimateTransfer({ rgb: new Float32Array(0), count: 0 }, ref, DEFAULTS);
    expect(apply(e.transfer, samplesOf([[0.3, 0.5, 0.7]]))).toEqual(
      Float32Array.of(0.3, 0.5, 0.7).map(Math.fround),
    );
  });
});

describe('monotoneCurve', () => {
  it('passes through the points, and continues with the end slopes', () => {
    const c = monotoneCurve([0.25, 0.5, 0.75], [0.2, 0.5, 0.8], 4);
    const at = (x: number): number => c[Math.round(x * (CURVE_KNOTS - 1))]!;
    expect(at(0.25)).toBeCloseTo(0.2, 6);
    expect(at(0.5)).toBeCloseTo(0.5, 6);
    expect(at(0.75)).toBeCloseTo(0.8, 6);
    expect(at(1)).toBeCloseTo(1, 6); // slope 1.2 beyond 0.75, clipped at 1
    expect(at(0)).toBeCloseTo(0, 6);
  });

  it('keeps every slope within [1 / max, max] and the curve non-decreasing', () => {
    // A clipped channel piles quantiles on one value; a jump asks for a slope of 50.
    const c = monotoneCurve([0, 0, 0, 0.5, 0.51, 1], [0, 0.1, 0.2, 0.3, 0.8, 0.9], 2);
    for (let k = 1; k < CURVE_KNOTS; k++) {
      const slope = (c[k]! - c[k - 1]!) * (CURVE_KNOTS - 1);
      expect(slope).toBeGreaterThanOrEqual(0);
      if (c[k]! < 1 && c[k - 1]! > 0) {
        expect(slope).toBeLessThanOrEqual(2 + 1e-5);
        expect(slope).toBeGreaterThanOrEqual(0.5 - 1e-5);
      }
    }
  });
});

describe('averageTransfers and scaleTransfer', () => {
  it('average parameters and scale towards the identity', () => {
    const a: Transfer = { kind: 'lab', scale: [1, 2, 0.5], offset: [10, -4, 2] };
    const b: Transfer = { kind: 'lab', scale: [1, 1, 1.5], offset: [0, 0, 0] };
    expect(averageTransfers([a, b])).toEqual({ kind: 'lab', scale: [1, 1.5, 1], offset: [5, -2, 1] });
    const none = scaleTransfer(a, 0);
    expect(none.kind === 'lab' && [...none.scale, ...none.offset].map((v) => v + 0)).toEqual([
      1, 1, 1, 0, 0, 0,
    ]);
    const curves = identityCurves();
    const bent = scaleTransfer(curves, 1);
    expect(bent).toEqual(curves);
    expect(() => averageTransfers([a, curves])).toThrow(TypeError);
  });

  it('an identity correction maps every colour to itself', () => {
    const fn = transferFunction(identityCurves());
    const out = new Float32Array(3);
    fn(0.1, 0.6, 0.9, out);
    expect([...out].map((v) => +v.toFixed(6))).toEqual([0.1, 0.6, 0.9]);
  });
});

describe('imageSamples', () => {
  it('takes every step-th pixel of the picture inside the rectangle, normalised, at either depth', () => {
    const data = new Uint16Array(5 * 3 * 3);
    for (let i = 0; i < data.length; i++) data[i] = i * 1000;
    const s = imageSamples({ width: 5, height: 3, depth: 16, data }, { x: 1, y: 1, width: 4, height: 2 }, 2);
    expect(s.count).toBe(2);
    expect([...s.rgb].map((v) => Math.round(v * 65535))).toEqual([18000, 19000, 20000, 24000, 25000, 26000]);
  });
});
