/**
 * The preview's trims: a colourist's adjustments over the automatic grade, applied live.
 *
 * The graded picture is `trims(strength(correction(source)))`: the pipeline's per-frame LUT is
 * first scaled towards the identity by `strength` (as `--strength` and the encode stage do), then
 * followed by an ASC CDL: per channel out = clamp(in * slope + offset) ^ power (gain, lift and
 * gamma in a grading panel's words), then saturation around Rec. 709 luma. Both are folded into
 * one 3D LUT at the correction's own lattice ({@link composeLook}), so the picture costs the same
 * to grade with trims or without, and that LUT is exactly what `.cube` export writes.
 *
 * With every trim at its identity the frame's LUT is used as it is (a passthrough). With no
 * correction (`off`) the trims' CDL alone makes the look.
 */
import { applyCdl, IDENTITY_CDL, type Cdl } from '../correction/interchange.js';
import { allocLut, type Lut3d } from '../correction/lut3d.js';
import { encode } from '../stages/encode.js';

type Triple = [number, number, number];

export interface Trims {
  /** The whole correction scaled towards the identity: 0 untouched, 1 as graded. */
  readonly strength: number;
  /** Gain, per channel (R, G, B). */
  readonly slope: Triple;
  /** Lift, per channel. */
  readonly offset: Triple;
  /** Gamma, per channel (the CDL's power: above 1 darkens the mid-tones). */
  readonly power: Triple;
  readonly saturation: number;
}

interface TrimOption {
  readonly default: number;
  readonly min: number;
  readonly max: number;
  readonly help: string;
  /** One number, or one per channel. */
  readonly perChannel: boolean;
}

/** Every trim: its default (the identity), range and meaning; the page's sliders use these. */
export const TRIM_OPTIONS: Readonly<Record<keyof Trims, TrimOption>> = {
  strength: {
    default: encode.options.strength.default,
    min: encode.options.strength.min,
    max: encode.options.strength.max,
    help: 'The automatic correction scaled towards the identity (0: untouched, 1: as graded)',
    perChannel: false,
  },
  slope: { default: 1, min: 0, max: 4, help: 'Gain (CDL slope), per channel', perChannel: true },
  offset: { default: 0, min: -1, max: 1, help: 'Lift (CDL offset), per channel', perChannel: true },
  power: { default: 1, min: 0.1, max: 4, help: 'Gamma (CDL power), per channel', perChannel: true },
  saturation: { default: 1, min: 0, max: 4, help: 'Saturation around Rec. 709 luma', perChannel: false },
};

export const IDENTITY_TRIMS: Trims = {
  strength: TRIM_OPTIONS.strength.default,
  slope: [1, 1, 1],
  offset: [0, 0, 0],
  power: [1, 1, 1],
  saturation: 1,
};

function checkNumber(name: string, value: unknown): number {
  const { min, max } = TRIM_OPTIONS[name.replace(/\[\d\]$/, '') as keyof Trims];
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    throw new RangeError(
      `Expected number between ${String(min)} and ${String(max)} for ${name} but received ${JSON.stringify(value) ?? String(value)}`,
    );
  }
  return value;
}

/**
 * `base` with the trims named in `update` replaced (a partial update, as the page sends them),
 * each checked against its range; throws a RangeError naming the first one out of range.
 */
export function updateTrims(base: Trims, update: unknown): Trims {
  if (typeof update !== 'object' || update === null || Array.isArray(update))
    throw new RangeError('Expected an object of trims (strength, slope, offset, power, saturation)');
  const u = update as Record<string, unknown>;
  for (const key of Object.keys(u)) {
    if (!(key in TRIM_OPTIONS))
      throw new RangeError(`Unknown trim ${key}: expected strength, slope, offset, power or saturation`);
  }
  const triple = (name: 'slope' | 'offset' | 'power'): Triple => {
    const v = u[name];
    if (v === undefined) return [...base[name]];
    if (!Array.isArray(v) || v.length !== 3)
      throw new RangeError(`Expected 3 numbers (R, G, B) for ${name} but received ${JSON.stringify(v)}`);
    return [
      checkNumber(`${name}[0]`, v[0]),
      checkNumber(`${name}[1]`, v[1]),
      checkNumber(`${name}[2]`, v[2]),
    ];
  };
  return {
    strength: u['strength'] === undefined ? base.strength : checkNumber('strength', u['strength']),
    slope: triple('slope'),
    offset: triple('offset'),
    power: triple('power'),
    saturation: u['saturation'] === undefined ? base.saturation : checkNumber('saturation', u['saturation']),
  };
}

/** The trims' CDL (strength is not part of it). */
export function trimsCdl(trims: Trims): Cdl {
  return {
    slope: [...trims.slope],
    offset: [...trims.offset],
    power: [...trims.power],
    saturation: trims.saturation,
    rmsError: 0,
  };
}

export function isIdentityCdl(cdl: Cdl): boolean {
  return (
    cdl.saturation === IDENTITY_CDL.saturation &&
    [0, 1, 2].every(
      (c) =>
        cdl.slope[c] === IDENTITY_CDL.slope[c] &&
        cdl.offset[c] === IDENTITY_CDL.offset[c] &&
        cdl.power[c] === IDENTITY_CDL.power[c],
    )
  );
}

/** The lattice of a look made by the trims alone (no correction to follow). */
export const TRIMS_ONLY_SIZE = 33;

/**
 * The look the preview applies: `lut` (the frame's correction, or none) scaled by the trims'
 * strength, then their CDL, as one LUT at `lut`'s lattice (or {@link TRIMS_ONLY_SIZE} without
 * one), written into `out` when it has that size. Returns `lut` itself when the trims leave it
 * as it is, and undefined when there is nothing to apply (no correction, no CDL).
 */
export function composeLook(lut: Lut3d | undefined, trims: Trims, out?: Lut3d): Lut3d | undefined {
  const cdl = trimsCdl(trims);
  const plainCdl = isIdentityCdl(cdl);
  if (!lut && plainCdl) return undefined;
  if (lut && plainCdl && trims.strength === 1) return lut;
  const n = lut?.size ?? TRIMS_ONLY_SIZE;
  const look = out?.size === n ? out : allocLut(n);
  const strength = lut ? trims.strength : 0;
  const step = 1 / (n - 1);
  const rgb = [0, 0, 0];
  const graded = [0, 0, 0];
  const id = [0, 0, 0];
  let i = 0;
  for (let b = 0; b < n; b++) {
    for (let g = 0; g < n; g++) {
      for (let r = 0; r < n; r++, i += 3) {
        id[0] = r * step;
        id[1] = g * step;
        id[2] = b * step;
        for (let c = 0; c < 3; c++) {
          // As scaleLut: identity + strength * (lut - identity), clipped.
          const v = lut ? id[c]! + strength * (lut.data[i + c]! - id[c]!) : id[c]!;
          rgb[c] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
        if (plainCdl) {
          look.data[i] = rgb[0]!;
          look.data[i + 1] = rgb[1]!;
          look.data[i + 2] = rgb[2]!;
        } else {
          applyCdl(cdl, rgb, graded);
          look.data[i] = graded[0]!;
          look.data[i + 1] = graded[1]!;
          look.data[i + 2] = graded[2]!;
        }
      }
    }
  }
  return look;
}
