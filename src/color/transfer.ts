/**
 * Colour transfer: a correction that makes a picture's colours look like a reference's, found from
 * the two pictures' statistics alone (no pixel of one corresponds to a pixel of the other).
 * Three methods, measured side by side in docs/match.md:
 *
 * `reinhard` (E. Reinhard, M. Ashikhmin, B. Gooch, P. Shirley, "Color Transfer between Images",
 *   IEEE CG&A 21(5), 2001), in CIELAB instead of the paper's lαβ (both separate lightness from two
 *   opponent colour axes): each channel is shifted and scaled so its mean and standard deviation
 *   become the reference's, x' = (x - mean_p) std_r / std_p + mean_r. Exact when the picture is the
 *   reference under a per-channel affine map of Lab; moved by everything the two pictures do not
 *   share (a red car in the shot, none in the reference, turns the whole shot cyan).
 *
 * `robust`: the same model, with what the pictures do not share left out:
 *   1. Shared colours. Both pictures' colour histograms (`LIGHT_BINS` x `CHROMA_BINS`^2 bins of
 *      L*, a*, b*, blurred by one bin) are compared bin by bin: a sample of the picture weighs
 *      min(1, h_ref / h_pic) of its bin, a sample of the reference min(1, h_pic / h_ref). Colours
 *      only one picture holds (the red car) weigh nothing, shared ones fully, and shared colours
 *      weigh in the same proportions on both sides. The picture's histogram is taken after the
 *      current estimate of the correction (a cast moves every colour: before the correction little
 *      would look shared), and the estimate is made again with the new weights, `iterations` times,
 *      from the unweighted one.
 *   2. Robust statistics of the weighted samples: the median for the mean, and the spread between
 *      the 10th and 90th percentiles (/ 2.563, a normal's) for the standard deviation.
 *   3. Limits: each channel's scale within [1 / maxScale, maxScale], the shift of a* and b* within
 *      +-maxShift.
 *
 * `curves`: per-channel tone curves in sRGB-encoded RGB (what a colourist's shot match sets) after
 *   a saturation. Each curve maps the picture's weighted quantiles (0.5% to 99.5%) to the
 *   reference's, slopes within [1 / maxSlope, maxSlope]; the saturation scales each colour's
 *   distance from its luma (Rec. 709) before the curves. The two depend on each other, so each
 *   saturation of a log-spaced grid within [1 / maxSaturation, maxSaturation] (then narrowed by
 *   golden section; on a subsample, in each candidate's last fit) gets its own curves, and the pair whose result's distribution of distances from
 *   luma is nearest the reference's (its 10th to 80th percentiles: the tail, where clipping acts,
 *   left out) is kept. Curves undo every per-channel change (casts, black, white, contrast), which
 *   Lab's affine model only approximates. Three candidates, and the one whose result shares most
 *   colours with the reference (the shared-colour histograms' intersection, `overlap`) is kept:
 *   plain histogram matching (no weights: exact when the two pictures show the same things);
 *   curves refined with shared-colour weights from `robust`'s result (which keeps a big object only
 *   the picture holds out of the weights); and refined from plain matching. The weighted ones are
 *   for content the reference lacks (a red car); alone, they went wrong on pictures of few flat
 *   colours (a test pattern with a cast matched to itself: ΔE00 from 5.3 to 14) and on contrast
 *   changes (research/match-photos.ts).
 *
 * Content that differs. `robust` and `curves` are made only when the two pictures show much the
 * same content: `similarity` is the intersection of their joint RGB histograms (`JOINT_BINS`^3,
 * soft bins) once the picture is corrected by either of two simple transfers, whichever makes them
 * more alike: Reinhard's, and its counterpart in RGB (each channel's mean and standard deviation).
 * Between them they (nearly) undo a detune or a camera's look, in natural and in saturated colours
 * (a colour chart), without bending a histogram into another's as curves can, so what keeps the
 * pictures apart is content. At or below `similarityLow` the correction is left out, from
 * `similarityHigh` it is whole, linearly between (`similarityHigh` 0: always whole).
 *
 * A correction (`Transfer`) is a few numbers, linear in what it does: the match stage averages
 * them over time within a shot, and `transferFunction` makes one the colour transform that `merge`
 * samples into a 3D LUT.
 */
import type { Rect, RgbImage } from '../image/image.js';
import { maxValue } from '../image/image.js';
import type { ColourTransform } from '../correction/lut3d.js';
import { D65_WHITE, labToSrgbInto, linearToSrgb, srgbToLabInto, srgbToLinear } from './srgb.js';

/** Colours sampled from a picture: normalised sRGB-encoded R, G, B, interleaved. */
export interface ColourSamples {
  readonly rgb: Float32Array;
  readonly count: number;
}

export type TransferMethod = 'reinhard' | 'robust' | 'curves';
export const TRANSFER_METHODS: readonly TransferMethod[] = ['reinhard', 'robust', 'curves'];

/** Knots per channel of a `curves` correction, evenly spaced over [0, 1]. */
export const CURVE_KNOTS = 33;

/**
 * A correction found by colour transfer. `lab`: Lab' = scale * Lab + offset per channel.
 * `curves`: x' = curve_c(Y + saturation (x - Y)), each curve `CURVE_KNOTS` values (R, G, B in turn).
 */
export type Transfer =
  | { readonly kind: 'lab'; readonly scale: readonly number[]; readonly offset: readonly number[] }
  | { readonly kind: 'curves'; readonly saturation: number; readonly curves: Float32Array };

/** How a correction is found (the match stage's options, which hold the defaults). */
export interface TransferSettings {
  readonly method: TransferMethod;
  /** Estimates made again with shared-colour weights (robust, curves). */
  readonly iterations: number;
  /** Largest scale of a Lab channel, and 1 / it the smallest (robust). */
  readonly maxScale: number;
  /** Largest shift of a* or b*, in Lab units (robust). */
  readonly maxShift: number;
  /** Largest slope of a tone curve, and 1 / it the smallest (curves). */
  readonly maxSlope: number;
  /** Largest saturation factor, and 1 / it the smallest (curves). */
  readonly maxSaturation: number;
  /** `similarity` at or below which robust and curves leave the picture as it is. */
  readonly similarityLow: number;
  /** `similarity` from which their correction is whole (0: always whole). */
  readonly similarityHigh: number;
}

/** Every `step`-th pixel of `rect` in each direction, normalised. */
export function imageSamples(image: RgbImage, rect: Rect, step: number): ColourSamples {
  const inv = 1 / maxValue(image.depth);
  const w = Math.ceil(rect.width / step);
  const h = Math.ceil(rect.height / step);
  const rgb = new Float32Array(w * h * 3);
  const d = image.data;
  let o = 0;
  for (let y = rect.y; y < rect.y + rect.height; y += step) {
    let i = (y * image.width + rect.x) * 3;
    for (let x = 0; x < rect.width; x += step, i += 3 * step) {
      rgb[o++] = d[i]! * inv;
      rgb[o++] = d[i + 1]! * inv;
      rgb[o++] = d[i + 2]! * inv;
    }
  }
  return { rgb, count: o / 3 };
}

/** Several pictures' samples as one set (a folder of stills of a look). */
export function concatSamples(list: readonly ColourSamples[]): ColourSamples {
  const count = list.reduce((n, s) => n + s.count, 0);
  const rgb = new Float32Array(count * 3);
  let o = 0;
  for (const s of list) {
    rgb.set(s.rgb.subarray(0, s.count * 3), o);
    o += s.count * 3;
  }
  return { rgb, count };
}

/** The reference, measured once: its samples, their Lab, and its histograms. */
export interface PreparedReference {
  readonly samples: ColourSamples;
  readonly lab: Float32Array;
  readonly colours: Float64Array;
  readonly joint: Float64Array;
}

export function prepareReference(samples: ColourSamples): PreparedReference {
  if (samples.count === 0) throw new RangeError('A reference needs at least one pixel');
  const lab = toLab(samples);
  return {
    samples,
    lab,
    colours: colourHistogram(lab, samples.count),
    joint: jointHistogram(samples.rgb, samples.count),
  };
}

/** Bins per channel of the joint RGB histogram that measures how alike two pictures' contents are. */
const JOINT_BINS = 6;

/**
 * Normalised joint RGB histogram, each sample spread over the 8 bins around it (trilinear, bin
 * centres at (k + 0.5) / JOINT_BINS), so a colour near a bin's edge does not flip the measure.
 */
function jointHistogram(rgb: Float32Array, count: number, weights?: Float32Array): Float64Array {
  const n = JOINT_BINS;
  const h = new Float64Array(n * n * n);
  let total = 0;
  if (weights) for (let i = 0; i < count; i++) total += weights[i]!;
  const norm = weights ? (total > 0 ? 1 / total : 0) : 1 / count;
  const at = new Int32Array(3);
  const frac = new Float64Array(3);
  for (let i = 0; i < count; i++) {
    const wi = weights ? weights[i]! * norm : norm;
    if (wi <= 0) continue;
    for (let c = 0; c < 3; c++) {
      const f = Math.min(n - 1 - 1e-9, Math.max(0, rgb[i * 3 + c]! * n - 0.5));
      at[c] = Math.floor(f);
      frac[c] = f - at[c]!;
    }
    for (let k = 0; k < 8; k++) {
      const r = k & 1;
      const g = (k >> 1) & 1;
      const b = (k >> 2) & 1;
      const w = (r ? frac[0]! : 1 - frac[0]!) * (g ? frac[1]! : 1 - frac[1]!) * (b ? frac[2]! : 1 - frac[2]!);
      if (w > 0) h[((at[0]! + r) * n + at[1]! + g) * n + at[2]! + b]! += w * wi;
    }
  }
  return h;
}

/** Intersection of two normalised histograms: 1 for the same, 0 for nothing in common. */
function intersection(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += Math.min(a[k]!, b[k]!);
  return s;
}

// ---- the shared-colour weights ---------------------------------------------------------------

/** Chroma bins per axis, and their width in a* and b* units: [-80, 80] on each axis, clamped. */
const CHROMA_BINS = 16;
const CHROMA_STEP = 10;
/** Lightness bins over L* 0..100. */
const LIGHT_BINS = 4;

function colourBin(L: number, a: number, b: number): number {
  const half = CHROMA_BINS / 2;
  const il = Math.min(LIGHT_BINS - 1, Math.max(0, Math.floor((L * LIGHT_BINS) / 100)));
  const ia = Math.min(CHROMA_BINS - 1, Math.max(0, Math.floor(a / CHROMA_STEP) + half));
  const ib = Math.min(CHROMA_BINS - 1, Math.max(0, Math.floor(b / CHROMA_STEP) + half));
  return (il * CHROMA_BINS + ib) * CHROMA_BINS + ia;
}

/** Normalised (sum 1) colour histogram of Lab samples, blurred by one bin in every direction. */
function colourHistogram(lab: Float32Array, count: number): Float64Array {
  const n = CHROMA_BINS;
  const raw = new Float64Array(LIGHT_BINS * n * n);
  for (let i = 0; i < count; i++) raw[colourBin(lab[i * 3]!, lab[i * 3 + 1]!, lab[i * 3 + 2]!)]! += 1;
  const out = new Float64Array(raw.length);
  let total = 0;
  for (let l = 0; l < LIGHT_BINS; l++) {
    for (let y = 0; y < n; y++) {
      for (let x = 0; x < n; x++) {
        let s = 0;
        for (let dl = -1; dl <= 1; dl++) {
          const ll = l + dl;
          if (ll < 0 || ll >= LIGHT_BINS) continue;
          for (let dy = -1; dy <= 1; dy++) {
            const yy = y + dy;
            if (yy < 0 || yy >= n) continue;
            for (let dx = -1; dx <= 1; dx++) {
              const xx = x + dx;
              if (xx >= 0 && xx < n) s += raw[(ll * n + yy) * n + xx]!;
            }
          }
        }
        out[(l * n + y) * n + x] = s;
        total += s;
      }
    }
  }
  for (let k = 0; k < out.length; k++) out[k]! /= total;
  return out;
}

/**
 * Weights of the picture's and the reference's samples by how far their colour bin is shared, from
 * the picture's Lab as currently corrected; `overlap` is the histograms' intersection (0..1).
 */
interface SharedWeights {
  readonly picture: Float32Array;
  readonly reference: Float32Array;
  readonly overlap: number;
}

function sharedWeights(pictureLab: Float32Array, count: number, ref: PreparedReference): SharedWeights {
  const hp = colourHistogram(pictureLab, count);
  const hr = ref.colours;
  let overlap = 0;
  for (let k = 0; k < hp.length; k++) overlap += Math.min(hp[k]!, hr[k]!);
  const ratio = (a: number, b: number): number => (b <= 0 ? 0 : Math.min(1, a / b));
  const picture = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const k = colourBin(pictureLab[i * 3]!, pictureLab[i * 3 + 1]!, pictureLab[i * 3 + 2]!);
    picture[i] = ratio(hr[k]!, hp[k]!);
  }
  const n = ref.samples.count;
  const reference = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const k = colourBin(ref.lab[i * 3]!, ref.lab[i * 3 + 1]!, ref.lab[i * 3 + 2]!);
    reference[i] = ratio(hp[k]!, hr[k]!);
  }
  return { picture, reference, overlap };
}

// ---- weighted statistics ---------------------------------------------------------------------

const HIST_BINS = 1024;

/**
 * Quantiles of one channel (`values[i * 3 + channel]`) under `weights` (all 1 when absent), read
 * from a `HIST_BINS`-bin histogram over [lo, hi] with linear interpolation inside a bin.
 */
function weightedQuantiles(
  values: Float32Array,
  count: number,
  channel: number,
  weights: Float32Array | undefined,
  lo: number,
  hi: number,
  qs: readonly number[],
): number[] {
  const hist = new Float64Array(HIST_BINS);
  const scale = HIST_BINS / (hi - lo);
  let total = 0;
  for (let i = 0; i < count; i++) {
    const w = weights ? weights[i]! : 1;
    if (w <= 0) continue;
    const k = Math.min(HIST_BINS - 1, Math.max(0, Math.floor((values[i * 3 + channel]! - lo) * scale)));
    hist[k]! += w;
    total += w;
  }
  const out: number[] = [];
  if (total <= 0) return qs.map(() => (lo + hi) / 2);
  let k = 0;
  let below = 0;
  for (const q of qs) {
    const target = q * total;
    while (k < HIST_BINS - 1 && below + hist[k]! < target) below += hist[k++]!;
    const inBin = hist[k]! > 0 ? Math.min(1, Math.max(0, (target - below) / hist[k]!)) : 0.5;
    out.push(lo + (k + inBin) / scale);
  }
  return out;
}

function weightedMoments(
  values: Float32Array,
  count: number,
  channel: number,
): { mean: number; std: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < count; i++) {
    const v = values[i * 3 + channel]!;
    s += v;
    s2 += v * v;
  }
  const mean = s / count;
  return { mean, std: Math.sqrt(Math.max(0, s2 / count - mean * mean)) };
}

// ---- colour spaces ---------------------------------------------------------------------------

// Statistics take each sample through Lab many times, so they convert through tables (errors
// below 2e-5 in sRGB, far below a histogram bin); the corrections themselves (`transferFunction`,
// what the LUT holds) use the exact conversions of srgb.ts.
const TO_LINEAR_STEPS = 1024;
const TO_LINEAR = Float64Array.from({ length: TO_LINEAR_STEPS + 2 }, (_, i) =>
  srgbToLinear(Math.min(1, i / TO_LINEAR_STEPS)),
);
const TO_SRGB_STEPS = 4096;
const TO_SRGB = Float64Array.from({ length: TO_SRGB_STEPS + 2 }, (_, i) =>
  linearToSrgb(Math.min(1, i / TO_SRGB_STEPS)),
);

function lookup(table: Float64Array, steps: number, v: number): number {
  const x = (v < 0 ? 0 : v > 1 ? 1 : v) * steps;
  const i = Math.floor(x);
  return table[i]! + (x - i) * (table[i + 1]! - table[i]!);
}

const EPSILON = 216 / 24389;
const KAPPA = 841 / 108;
const labF = (t: number): number => (t > EPSILON ? Math.cbrt(t) : t * KAPPA + 4 / 29);
const labFinv = (t: number): number => (t > 6 / 29 ? t * t * t : (t - 4 / 29) / KAPPA);

/** srgbToLabInto through the table (for statistics). */
function fastLab(r: number, g: number, b: number, out: Float32Array, o: number): void {
  const R = lookup(TO_LINEAR, TO_LINEAR_STEPS, r);
  const G = lookup(TO_LINEAR, TO_LINEAR_STEPS, g);
  const B = lookup(TO_LINEAR, TO_LINEAR_STEPS, b);
  const fx = labF((0.4124 * R + 0.3576 * G + 0.1805 * B) / D65_WHITE.X);
  const fy = labF(0.2126 * R + 0.7152 * G + 0.0722 * B);
  const fz = labF((0.0193 * R + 0.1192 * G + 0.9505 * B) / D65_WHITE.Z);
  out[o] = 116 * fy - 16;
  out[o + 1] = 500 * (fx - fy);
  out[o + 2] = 200 * (fy - fz);
}

/** labToSrgbInto through the table (for statistics). */
function fastSrgb(L: number, a: number, b: number, out: Float32Array, o: number): void {
  const fy = (L + 16) / 116;
  const X = D65_WHITE.X * labFinv(fy + a / 500);
  const Y = labFinv(fy);
  const Z = D65_WHITE.Z * labFinv(fy - b / 200);
  out[o] = lookup(TO_SRGB, TO_SRGB_STEPS, 3.240625477 * X - 1.537207972 * Y - 0.498628599 * Z);
  out[o + 1] = lookup(TO_SRGB, TO_SRGB_STEPS, -0.968930715 * X + 1.875756061 * Y + 0.041517524 * Z);
  out[o + 2] = lookup(TO_SRGB, TO_SRGB_STEPS, 0.05571012 * X - 0.204021051 * Y + 1.056995942 * Z);
}

function toLab(samples: ColourSamples): Float32Array {
  const lab = new Float32Array(samples.count * 3);
  const rgb = samples.rgb;
  for (let i = 0; i < samples.count * 3; i += 3) fastLab(rgb[i]!, rgb[i + 1]!, rgb[i + 2]!, lab, i);
  return lab;
}

/**
 * The samples' Lab after `transfer`, from their Lab (`lab`). A Lab correction is applied in Lab
 * directly (without the clip to the sRGB gamut its transform makes: close enough for weights).
 */
function correctedLab(samples: ColourSamples, lab: Float32Array, transfer: Transfer): Float32Array {
  const out = new Float32Array(samples.count * 3);
  if (transfer.kind === 'lab') {
    const [s0, s1, s2] = transfer.scale as [number, number, number];
    const [o0, o1, o2] = transfer.offset as [number, number, number];
    for (let i = 0; i < samples.count * 3; i += 3) {
      out[i] = s0 * lab[i]! + o0;
      out[i + 1] = s1 * lab[i + 1]! + o1;
      out[i + 2] = s2 * lab[i + 2]! + o2;
    }
    return out;
  }
  const rgb = applyToSamples(samples, transfer);
  for (let i = 0; i < samples.count * 3; i += 3) fastLab(rgb[i]!, rgb[i + 1]!, rgb[i + 2]!, out, i);
  return out;
}

// ---- the methods -----------------------------------------------------------------------------

export const IDENTITY_LAB: Transfer = { kind: 'lab', scale: [1, 1, 1], offset: [0, 0, 0] };

export function identityCurves(): Transfer {
  const curves = new Float32Array(3 * CURVE_KNOTS);
  for (let c = 0; c < 3; c++)
    for (let k = 0; k < CURVE_KNOTS; k++) curves[c * CURVE_KNOTS + k] = k / (CURVE_KNOTS - 1);
  return { kind: 'curves', saturation: 1, curves };
}

/** Reinhard et al.: per-channel mean and standard deviation in Lab become the reference's. */
export function reinhardTransfer(picture: ColourSamples, ref: PreparedReference): Transfer {
  const lab = toLab(picture);
  const scale: number[] = [];
  const offset: number[] = [];
  for (let c = 0; c < 3; c++) {
    const p = weightedMoments(lab, picture.count, c);
    const r = weightedMoments(ref.lab, ref.samples.count, c);
    const s = p.std > 1e-6 ? r.std / p.std : 1;
    scale.push(s);
    offset.push(r.mean - s * p.mean);
  }
  return { kind: 'lab', scale, offset };
}

/** Reinhard's transfer in sRGB-encoded RGB: each channel's mean and deviation, as straight curves. */
function rgbMomentsTransfer(picture: ColourSamples, ref: PreparedReference): Transfer {
  const curves = new Float32Array(3 * CURVE_KNOTS);
  for (let c = 0; c < 3; c++) {
    const p = weightedMoments(picture.rgb, picture.count, c);
    const r = weightedMoments(ref.samples.rgb, ref.samples.count, c);
    const k = p.std > 1e-6 ? r.std / p.std : 1;
    for (let j = 0; j < CURVE_KNOTS; j++) {
      const v = r.mean + k * (j / (CURVE_KNOTS - 1) - p.mean);
      curves[c * CURVE_KNOTS + j] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return { kind: 'curves', saturation: 1, curves };
}

/** Lab ranges of the quantile histograms. */
const LAB_RANGE: ReadonlyArray<readonly [number, number]> = [
  [0, 100],
  [-128, 128],
  [-128, 128],
];
/** 10th, 50th, 90th percentiles; their 10-90 spread is 2.563 standard deviations of a normal. */
const ROBUST_QS = [0.1, 0.5, 0.9];
const SPREAD_PER_STD = 2.5631;

function robustLab(
  pictureLab: Float32Array,
  count: number,
  ref: PreparedReference,
  w: { picture: Float32Array; reference: Float32Array } | undefined,
  s: TransferSettings,
): Transfer {
  const scale: number[] = [];
  const offset: number[] = [];
  for (let c = 0; c < 3; c++) {
    const [lo, hi] = LAB_RANGE[c]!;
    const [p10, p50, p90] = weightedQuantiles(pictureLab, count, c, w?.picture, lo, hi, ROBUST_QS);
    const [r10, r50, r90] = weightedQuantiles(ref.lab, ref.samples.count, c, w?.reference, lo, hi, ROBUST_QS);
    const ps = (p90! - p10!) / SPREAD_PER_STD;
    const rs = (r90! - r10!) / SPREAD_PER_STD;
    let k = ps > 1e-3 ? rs / ps : 1;
    k = Math.min(s.maxScale, Math.max(1 / s.maxScale, k));
    let shift = r50! - p50!;
    if (c > 0) shift = Math.min(s.maxShift, Math.max(-s.maxShift, shift));
    // x' = (x - p50) k + p50 + shift
    scale.push(k);
    offset.push(p50! + shift - k * p50!);
  }
  return { kind: 'lab', scale, offset };
}

/** Quantile levels the tone curves match: 0.5% to 99.5%. */
const CURVE_QS = Array.from({ length: 41 }, (_, k) => 0.005 + (0.99 * k) / 40);

/** Rec. 709 luma weights, as the saturation detune uses. */
const LUMA = [0.2126, 0.7152, 0.0722] as const;

function saturate(samples: ColourSamples, k: number): Float32Array {
  const rgb = samples.rgb;
  const out = new Float32Array(samples.count * 3);
  for (let i = 0; i < samples.count * 3; i += 3) {
    const y = LUMA[0] * rgb[i]! + LUMA[1] * rgb[i + 1]! + LUMA[2] * rgb[i + 2]!;
    for (let c = 0; c < 3; c++) {
      const v = y + k * (rgb[i + c]! - y);
      out[i + c] = v < 0 ? 0 : v > 1 ? 1 : v;
    }
  }
  return out;
}

/** Chroma quantiles compared by the saturation search: the tail, where clipping acts, left out. */
const CHROMA_QS = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];

/** Weighted quantiles of the colours' distance from their luma. */
function chromaQuantiles(rgb: Float32Array, count: number, weights: Float32Array | undefined): number[] {
  const chroma = new Float32Array(count * 3);
  for (let i = 0; i < count; i++) {
    const r = rgb[i * 3]!;
    const g = rgb[i * 3 + 1]!;
    const b = rgb[i * 3 + 2]!;
    const y = LUMA[0] * r + LUMA[1] * g + LUMA[2] * b;
    chroma[i * 3] = Math.hypot(r - y, g - y, b - y);
  }
  return weightedQuantiles(chroma, count, 0, weights, 0, 1, CHROMA_QS);
}

/**
 * A monotone curve on `CURVE_KNOTS` knots through the points (xs[k], ys[k]) (xs non-decreasing),
 * slopes within [1 / maxSlope, maxSlope], continued beyond the ends with the end slopes.
 */
export function monotoneCurve(xs: readonly number[], ys: readonly number[], maxSlope: number): Float32Array {
  // Merge points with the same x (a clipped channel piles many quantiles on one value).
  const px: number[] = [];
  const py: number[] = [];
  for (let k = 0; k < xs.length;) {
    let j = k;
    let sy = 0;
    while (j < xs.length && xs[j]! - xs[k]! < 1e-4) sy += ys[j++]!;
    px.push(xs[k]!);
    py.push(sy / (j - k));
    k = j;
  }
  // Slopes limited segment by segment, outwards from the median point, so the middle stays put.
  const lo = 1 / maxSlope;
  const m = px.length >> 1;
  const qy = py.slice();
  for (let k = m + 1; k < px.length; k++) {
    const dx = px[k]! - px[k - 1]!;
    const dy = Math.min(maxSlope * dx, Math.max(lo * dx, py[k]! - py[k - 1]!));
    qy[k] = qy[k - 1]! + dy;
  }
  for (let k = m - 1; k >= 0; k--) {
    const dx = px[k + 1]! - px[k]!;
    const dy = Math.min(maxSlope * dx, Math.max(lo * dx, py[k + 1]! - py[k]!));
    qy[k] = qy[k + 1]! - dy;
  }
  const slopeAt = (a: number, b: number): number => {
    const dx = px[b]! - px[a]!;
    const sl = dx > 1e-6 ? (qy[b]! - qy[a]!) / dx : 1;
    return Math.min(maxSlope, Math.max(lo, sl));
  };
  const first = px.length > 1 ? slopeAt(0, 1) : 1;
  const last = px.length > 1 ? slopeAt(px.length - 2, px.length - 1) : 1;
  const curve = new Float32Array(CURVE_KNOTS);
  let seg = 0;
  for (let k = 0; k < CURVE_KNOTS; k++) {
    const x = k / (CURVE_KNOTS - 1);
    let y: number;
    if (x <= px[0]!) y = qy[0]! + (x - px[0]!) * first;
    else if (x >= px[px.length - 1]!) y = qy[qy.length - 1]! + (x - px[px.length - 1]!) * last;
    else {
      while (seg < px.length - 2 && px[seg + 1]! < x) seg++;
      const t = (x - px[seg]!) / Math.max(1e-9, px[seg + 1]! - px[seg]!);
      y = qy[seg]! + t * (qy[seg + 1]! - qy[seg]!);
    }
    curve[k] = y < 0 ? 0 : y > 1 ? 1 : y;
  }
  return curve;
}

function curvesTransfer(
  picture: ColourSamples,
  ref: PreparedReference,
  w: { picture: Float32Array; reference: Float32Array } | undefined,
  saturation: number,
  s: TransferSettings,
  searchSaturation: boolean,
): Transfer {
  const ys = [0, 1, 2].map((c) =>
    weightedQuantiles(ref.samples.rgb, ref.samples.count, c, w?.reference, 0, 1, CURVE_QS),
  );
  const fitOn =
    (pic: ColourSamples, weights: Float32Array | undefined) =>
    (k: number): Transfer => {
      const input = saturate(pic, k);
      const curves = new Float32Array(3 * CURVE_KNOTS);
      for (let c = 0; c < 3; c++) {
        const xs = weightedQuantiles(input, pic.count, c, weights, 0, 1, CURVE_QS);
        curves.set(monotoneCurve(xs, ys[c]!, s.maxSlope), c * CURVE_KNOTS);
      }
      return { kind: 'curves', saturation: k, curves };
    };
  const fit = fitOn(picture, w?.picture);
  if (!searchSaturation) return fit(saturation);
  // The saturation and the curves after it depend on each other, and clipping (a contrast or
  // level change) moves the mean chroma as well as the saturation does: each saturation tried gets
  // its own curves, and the pair whose result's distances from luma are distributed most like the
  // reference's (over the shared colours) is kept. Searched on a subsample: it is the costly part.
  const few = subsample(picture, w?.picture, SEARCH_SAMPLES);
  const fitFew = fitOn(few.samples, few.weights);
  const refChroma = chromaQuantiles(ref.samples.rgb, ref.samples.count, w?.reference);
  const score = (k: number): number => {
    const q = chromaQuantiles(applyToSamples(few.samples, fitFew(k)), few.samples.count, few.weights);
    let d = 0;
    for (let i = 0; i < q.length; i++) d += Math.abs(q[i]! - refChroma[i]!);
    return -d;
  };
  let best: { k: number; score: number } | undefined;
  for (const k of saturationCandidates(saturation, s.maxSaturation)) {
    const v = score(k);
    if (!best || v > best.score + 1e-9) best = { k, score: v };
  }
  // Then narrowed around the best grid point (log scale, golden section).
  const span = Math.log(s.maxSaturation) / SATURATION_STEPS;
  let lo = Math.max(-Math.log(s.maxSaturation), Math.log(best!.k) - span);
  let hi = Math.min(Math.log(s.maxSaturation), Math.log(best!.k) + span);
  for (let round = 0; round < SATURATION_REFINE && hi - lo > 1e-3; round++) {
    const a = hi - GOLDEN * (hi - lo);
    const b = lo + GOLDEN * (hi - lo);
    const va = score(Math.exp(a));
    const vb = score(Math.exp(b));
    if (va > best!.score + 1e-9 && va >= vb) best = { k: Math.exp(a), score: va };
    else if (vb > best!.score + 1e-9) best = { k: Math.exp(b), score: vb };
    if (va >= vb) hi = b;
    else lo = a;
  }
  return fit(best!.k);
}

/** Samples the saturation search looks at, at most. */
const SEARCH_SAMPLES = 2048;

/** Every n-th sample (and its weight), so that at most `max` remain. */
function subsample(
  samples: ColourSamples,
  weights: Float32Array | undefined,
  max: number,
): { samples: ColourSamples; weights: Float32Array | undefined } {
  const stride = Math.ceil(samples.count / max);
  if (stride <= 1) return { samples, weights };
  const count = Math.ceil(samples.count / stride);
  const rgb = new Float32Array(count * 3);
  const w = weights ? new Float32Array(count) : undefined;
  for (let i = 0, o = 0; o < count; i += stride, o++) {
    rgb[o * 3] = samples.rgb[i * 3]!;
    rgb[o * 3 + 1] = samples.rgb[i * 3 + 1]!;
    rgb[o * 3 + 2] = samples.rgb[i * 3 + 2]!;
    if (w) w[o] = weights![i]!;
  }
  return { samples: { rgb, count }, weights: w };
}

/** Saturations tried by a curves estimate: a log-spaced grid within the limits, and the start. */
function saturationCandidates(start: number, max: number): number[] {
  const grid = [1];
  for (let e = 1; e <= SATURATION_STEPS; e++) {
    const k = Math.pow(max, e / SATURATION_STEPS);
    grid.push(k, 1 / k);
  }
  if (!grid.includes(start)) grid.push(start);
  return grid;
}

/** Grid points of the saturation search on each side of 1 (max^(1/n) apart). */
const SATURATION_STEPS = 8;
/** Rounds of the golden-section search around the best grid point. */
const SATURATION_REFINE = 5;
const GOLDEN = (Math.sqrt(5) - 1) / 2;

/** The samples after `t` (a Lab correction through the tables: for statistics). */
function applyToSamples(samples: ColourSamples, t: Transfer): Float32Array {
  const out = new Float32Array(samples.count * 3);
  const rgb = samples.rgb;
  if (t.kind === 'lab') {
    const [s0, s1, s2] = t.scale as [number, number, number];
    const [o0, o1, o2] = t.offset as [number, number, number];
    const lab = new Float32Array(3);
    for (let i = 0; i < samples.count * 3; i += 3) {
      fastLab(rgb[i]!, rgb[i + 1]!, rgb[i + 2]!, lab, 0);
      fastSrgb(s0 * lab[0]! + o0, s1 * lab[1]! + o1, s2 * lab[2]! + o2, out, i);
    }
    return out;
  }
  const fn = transferFunction(t);
  const px = new Float32Array(3);
  for (let i = 0; i < samples.count * 3; i += 3) {
    fn(rgb[i]!, rgb[i + 1]!, rgb[i + 2]!, px);
    out[i] = px[0]!;
    out[i + 1] = px[1]!;
    out[i + 2] = px[2]!;
  }
  return out;
}

export interface TransferEstimate {
  readonly transfer: Transfer;
  /** How alike the two pictures' contents are, 0..1 (see the module comment). */
  readonly similarity: number;
  /** Share of colours the two pictures hold in common as corrected, 0..1 (1 for reinhard). */
  readonly overlap: number;
}

/** The correction that makes `picture` look like the reference, by `settings.method`. */
export function estimateTransfer(
  picture: ColourSamples,
  ref: PreparedReference,
  settings: TransferSettings,
): TransferEstimate {
  if (picture.count === 0) {
    const transfer = settings.method === 'curves' ? identityCurves() : IDENTITY_LAB;
    return { transfer, similarity: 0, overlap: 0 };
  }
  const reinhard = reinhardTransfer(picture, ref);
  const similarity = Math.max(
    similarityOf(picture, reinhard, ref),
    similarityOf(picture, rgbMomentsTransfer(picture, ref), ref),
  );
  if (settings.method === 'reinhard') return { transfer: reinhard, similarity, overlap: 1 };

  const pictureLab = toLab(picture);
  let transfer = robustLab(pictureLab, picture.count, ref, undefined, settings);
  let overlap = 1;
  for (let it = 0; it < settings.iterations; it++) {
    const w = sharedWeights(correctedLab(picture, pictureLab, transfer), picture.count, ref);
    overlap = w.overlap;
    transfer = robustLab(pictureLab, picture.count, ref, w, settings);
  }
  if (settings.method === 'curves') {
    // The saturation is searched in each candidate's last fit only: the search is the costly part.
    type Candidate = { transfer: Transfer; overlap: number; weights: SharedWeights | undefined };
    const refine = (start: Transfer): Candidate => {
      let t = start;
      let weights: SharedWeights | undefined;
      const rounds = Math.max(1, settings.iterations);
      for (let it = 0; it < rounds; it++) {
        weights = sharedWeights(correctedLab(picture, pictureLab, t), picture.count, ref);
        const k = t.kind === 'curves' ? t.saturation : 1;
        t = curvesTransfer(picture, ref, weights, k, settings, it === rounds - 1);
      }
      // The colours the result shares with the reference (the weights' histograms' intersection).
      const overlap = sharedWeights(correctedLab(picture, pictureLab, t), picture.count, ref).overlap;
      return { transfer: t, overlap, weights };
    };
    const fromRobust = refine(transfer);
    const fromNothing = refine(curvesTransfer(picture, ref, undefined, 1, settings, false));
    const unweighted = curvesTransfer(picture, ref, undefined, 1, settings, true);
    const plain: Candidate = {
      transfer: unweighted,
      overlap: sharedWeights(correctedLab(picture, pictureLab, unweighted), picture.count, ref).overlap,
      weights: undefined,
    };
    ({ transfer, overlap } = [fromRobust, fromNothing, plain].reduce((a, b) =>
      b.overlap > a.overlap ? b : a,
    ));
  }
  const { similarityLow: lo, similarityHigh: hi } = settings;
  if (hi > 0 && similarity < hi)
    transfer = scaleTransfer(transfer, Math.max(0, (similarity - lo) / Math.max(1e-6, hi - lo)));
  return { transfer, similarity, overlap };
}

/** `similarity` of the picture corrected by `transfer` (the joint histograms' intersection). */
export function similarityOf(picture: ColourSamples, transfer: Transfer, ref: PreparedReference): number {
  return intersection(jointHistogram(applyToSamples(picture, transfer), picture.count), ref.joint);
}

// ---- using a correction ----------------------------------------------------------------------

/** The mean of corrections of one kind (their parameters averaged: each is linear in them). */
export function averageTransfers(list: readonly Transfer[]): Transfer {
  const first = list[0];
  if (!first) throw new RangeError('averageTransfers needs at least one correction');
  const n = list.length;
  if (first.kind === 'lab') {
    const scale = [0, 0, 0];
    const offset = [0, 0, 0];
    for (const t of list) {
      if (t.kind !== 'lab') throw new TypeError('cannot average corrections of different kinds');
      for (let c = 0; c < 3; c++) {
        scale[c]! += t.scale[c]! / n;
        offset[c]! += t.offset[c]! / n;
      }
    }
    return { kind: 'lab', scale, offset };
  }
  const curves = new Float32Array(first.curves.length);
  let saturation = 0;
  for (const t of list) {
    if (t.kind !== 'curves') throw new TypeError('cannot average corrections of different kinds');
    for (let k = 0; k < curves.length; k++) curves[k]! += t.curves[k]! / n;
    saturation += t.saturation / n;
  }
  return { kind: 'curves', saturation, curves };
}

/** The correction scaled towards the identity: 0 none, 1 itself. */
export function scaleTransfer(t: Transfer, strength: number): Transfer {
  if (t.kind === 'lab') {
    return {
      kind: 'lab',
      scale: t.scale.map((s) => 1 + strength * (s - 1)),
      offset: t.offset.map((o) => strength * o),
    };
  }
  const curves = new Float32Array(t.curves.length);
  for (let k = 0; k < curves.length; k++) {
    const x = (k % CURVE_KNOTS) / (CURVE_KNOTS - 1);
    curves[k] = x + strength * (t.curves[k]! - x);
  }
  return { kind: 'curves', saturation: 1 + strength * (t.saturation - 1), curves };
}

/** The correction as a colour transform on normalised RGB (what `merge` samples into a LUT). */
export function transferFunction(t: Transfer): ColourTransform {
  if (t.kind === 'lab') {
    const lab = new Float64Array(3);
    const [s0, s1, s2] = t.scale as [number, number, number];
    const [o0, o1, o2] = t.offset as [number, number, number];
    return (r, g, b, out) => {
      srgbToLabInto(r, g, b, lab, 0);
      labToSrgbInto(s0 * lab[0]! + o0, s1 * lab[1]! + o1, s2 * lab[2]! + o2, out);
    };
  }
  const { curves, saturation: k } = t;
  const max = CURVE_KNOTS - 1;
  const curve = (c: number, v: number): number => {
    const x = (v < 0 ? 0 : v > 1 ? 1 : v) * max;
    const i = Math.min(max - 1, Math.floor(x));
    const f = x - i;
    const base = c * CURVE_KNOTS + i;
    return curves[base]! + f * (curves[base + 1]! - curves[base]!);
  };
  return (r, g, b, out) => {
    const y = LUMA[0] * r + LUMA[1] * g + LUMA[2] * b;
    out[0] = curve(0, y + k * (r - y));
    out[1] = curve(1, y + k * (g - y));
    out[2] = curve(2, y + k * (b - y));
  };
}
