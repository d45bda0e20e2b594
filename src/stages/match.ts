/**
 * match: makes every frame look like a reference (a still, a frame of a video, a video's look, or
 * a folder of stills of a look): shot matching, as a colourist's "match to this frame".
 *
 * The reference is read once, when the stage starts, at the proxy's size (src/ffmpeg/reference.ts).
 * Each frame's correction is found by colour transfer from its proxy's colours to the reference's
 * (src/color/transfer.ts; `method`):
 *   reinhard  per-channel mean and standard deviation in CIELAB (Reinhard et al. 2001): the
 *             baseline;
 *   robust    the same, with robust statistics over the colours the two pictures share only;
 *   curves    per-channel tone curves in RGB and a saturation, matched over the shared colours
 *             (the default: the best measured, docs/match.md).
 * Content the reference does not hold (a red car in the shot, none in the reference) is left out
 * of the statistics, so it does not turn the rest of the shot cyan; and a shot whose content is
 * not the reference's (`similarity` below `min_similarity`, see transfer.ts) is left alone, with
 * the correction faded in up to `full_similarity`. Set both to 0 to impose the look on any content.
 *
 * Over time: each frame uses the mean of the corrections of the frames within `radius` either side
 * in its shot (never across a cut or a discontinuity: put `cuts` before it), so the match cannot
 * pump; the stage holds `radius` frames of lookahead, earlier frames only as numbers. The mean is
 * then scaled towards the identity by `strength`. Like every grader, it leaves an exact correction
 * that `merge` turns into the per-frame LUT the encoder applies at full resolution (8 and 16 bit),
 * `blend` smooths, and `export` writes as .cube and ASC CDL per shot. After another grader
 * (diagnosis, then matching: `invert`, then `match`) it matches what that grader made, and its
 * correction follows the grader's.
 */
import { from, map, switchMap, type OperatorFunction } from '../util/rx.js';
import { defineStage } from './stage.js';
import type { OptionValues } from './options.js';
import { startsSegment, type Frame } from '../frame/frame.js';
import { noteKey } from '../frame/notes.js';
import { segmentMean } from '../operators/segmentMean.js';
import {
  averageTransfers,
  concatSamples,
  estimateTransfer,
  imageSamples,
  prepareReference,
  scaleTransfer,
  transferFunction,
  TRANSFER_METHODS,
  type ColourSamples,
  type PreparedReference,
  type Transfer,
  type TransferSettings,
} from '../color/transfer.js';
import { applyLut, fillLut, type ColourTransform } from '../correction/lut3d.js';
import { fullRect, type RgbImage } from '../image/image.js';
import { loadReference } from '../ffmpeg/reference.js';
import { UsageError } from '../util/errors.js';

const options = {
  reference: {
    type: 'string',
    default: '',
    help: 'What frames are made to look like: a still, FILE@TIME (a frame of a video), a video (its look over its length) or a folder of stills',
  },
  method: {
    type: 'enum',
    values: TRANSFER_METHODS,
    default: 'curves',
    help: 'reinhard: Lab mean and deviation (the baseline); robust: the same over shared colours; curves: RGB tone curves and saturation over shared colours',
  },
  strength: {
    type: 'number',
    default: 1,
    min: 0,
    max: 1.5,
    help: 'The correction scaled towards the identity (0: frames left alone)',
  },
  radius: {
    type: 'integer',
    default: 12,
    min: 0,
    max: 120,
    help: 'Frames either side whose corrections are averaged, within the shot',
  },
  step: {
    type: 'integer',
    default: 4,
    min: 1,
    max: 16,
    help: 'Sample every step-th proxy pixel in each direction',
  },
  iterations: {
    type: 'integer',
    default: 3,
    min: 0,
    max: 10,
    help: 'robust, curves: estimates made again with the weights of the colours both pictures share',
  },
  max_slope: {
    type: 'number',
    default: 4,
    min: 1,
    max: 16,
    help: 'curves: steepest tone curve (and 1/it the flattest)',
  },
  max_saturation: {
    type: 'number',
    default: 3,
    min: 1,
    max: 5,
    help: 'curves: largest saturation factor (and 1/it the smallest)',
  },
  max_scale: {
    type: 'number',
    default: 2.5,
    min: 1,
    max: 10,
    help: 'robust: largest scale of a Lab channel (and 1/it the smallest)',
  },
  max_shift: {
    type: 'number',
    default: 30,
    min: 0,
    max: 100,
    help: 'robust: largest shift of a* or b*, in Lab units',
  },
  min_similarity: {
    type: 'number',
    default: 0.75,
    min: 0,
    max: 1,
    help: 'robust, curves: content similarity (0..1) at or below which a frame is left alone: the reference shows other things',
  },
  full_similarity: {
    type: 'number',
    default: 0.85,
    min: 0,
    max: 1,
    help: 'robust, curves: similarity from which the whole correction is made (0: always, whatever the content)',
  },
  graded_proxy: {
    type: 'boolean',
    default: false,
    help: 'Also grade the proxy pixels (for a later stage that reads them); merge needs only the correction',
  },
} as const;

type Options = OptionValues<typeof options>;

/** What the match found for a frame, in `frame.notes`: before the mean over time and `strength`. */
export interface MatchNote {
  readonly similarity: number;
  readonly overlap: number;
}
export const MATCH = noteKey<MatchNote>('match');

/** The stage's options as the transfer's settings. */
export function transferSettings(opts: Options): TransferSettings {
  return {
    method: opts.method,
    iterations: opts.iterations,
    maxScale: opts.max_scale,
    maxShift: opts.max_shift,
    maxSlope: opts.max_slope,
    maxSaturation: opts.max_saturation,
    similarityLow: opts.min_similarity,
    similarityHigh: opts.full_similarity,
  };
}

/** Samples taken from a reference at most, whatever its number of pictures. */
const REFERENCE_SAMPLES = 65536;

/** The reference's pictures as one prepared sample set. */
export function referenceFrom(images: readonly RgbImage[], step: number): PreparedReference {
  const pixels = images.reduce((n, im) => n + im.width * im.height, 0);
  const s = Math.max(step, Math.ceil(Math.sqrt(pixels / REFERENCE_SAMPLES)));
  return prepareReference(concatSamples(images.map((im) => imageSamples(im, fullRect(im), s))));
}

/** The samples' colours after `transform`, in place. */
function mapSamples(samples: ColourSamples, transform: ColourTransform): ColourSamples {
  const px = new Float32Array(3);
  const rgb = samples.rgb;
  for (let i = 0; i < samples.count * 3; i += 3) {
    transform(rgb[i]!, rgb[i + 1]!, rgb[i + 2]!, px);
    rgb[i] = px[0]!;
    rgb[i + 1] = px[1]!;
    rgb[i + 2] = px[2]!;
  }
  return samples;
}

/**
 * The match over a prepared reference: what `create` runs once the reference is read. After
 * another grader (diagnosis, then matching), it matches what that grader made: a correction it
 * left is applied to the samples first and the match composed after it; graded pixels without a
 * correction (a network's) are measured and graded further, for `merge` to fit.
 */
export function matchOperator(
  ref: PreparedReference,
  opts: Options,
  onDiffers?: (similarity: number) => void,
): OperatorFunction<Frame, Frame> {
  const settings = transferSettings(opts);
  const averaged = segmentMean<Frame, Transfer>({
    radius: opts.radius,
    measure: (frame) => {
      const before = frame.correction;
      const samples = before
        ? mapSamples(imageSamples(frame.image, frame.active, opts.step), before)
        : imageSamples(frame.hasGraded ? frame.graded : frame.image, frame.active, opts.step);
      const estimate = estimateTransfer(samples, ref, settings);
      frame.notes.set(MATCH, { similarity: estimate.similarity, overlap: estimate.overlap });
      if (settings.similarityHigh > 0 && estimate.similarity < settings.similarityHigh)
        onDiffers?.(estimate.similarity);
      return estimate.transfer;
    },
    mean: averageTransfers,
    startsSegment,
    retain: (f) => f.retain(),
    release: (f) => f.release(),
  });
  return (source) =>
    source.pipe(
      averaged,
      map(({ item, mean }) => applyMatch(item, mean, opts)),
    );
}

/** Each frame's correction: the match composed after what an earlier grader left. */
function applyMatch(center: Frame, mean: Transfer, opts: Options): Frame {
  const matched = transferFunction(opts.strength === 1 ? mean : scaleTransfer(mean, opts.strength));
  const before = center.correction;
  if (!before && center.hasGraded) {
    // A grader that left pixels only: grade them further; merge fits the whole.
    applyLut(fillLut(17, matched), center.graded, center.graded, center.active);
    return center;
  }
  const between = new Float32Array(3);
  const transform: ColourTransform = before
    ? (r, g, b, out) => {
        before(r, g, b, between);
        matched(between[0]!, between[1]!, between[2]!, out);
      }
    : matched;
  center.correction = transform;
  if (opts.graded_proxy) {
    applyLut(fillLut(17, transform), center.image, center.graded, center.active);
    center.hasGraded = true;
  }
  return center;
}

export const match = defineStage({
  kind: 'transform',
  name: 'match',
  description: 'Makes every frame look like a reference (a still, a frame of a video, a folder of stills)',
  options,
  context: (opts) => ({ lookbehind: 0, lookahead: opts.radius }),
  check: (opts) => {
    if (opts.full_similarity > 0 && opts.full_similarity < opts.min_similarity) {
      throw new UsageError(
        'E_PIPELINE_OPTION',
        `full_similarity (${opts.full_similarity}) must be 0 or at least min_similarity (${opts.min_similarity})`,
      );
    }
  },
  produces: ['graded', 'correction'],
  isIdentity: (opts) => opts.strength === 0,
  create: (opts, run) => {
    if (opts.reference === '') {
      throw new UsageError(
        'E_USAGE',
        'The match stage needs a reference: vgrade match --reference FILE, or --set match.reference=FILE',
      );
    }
    const log = run.logger;
    const { width, height } = run.geometry.active;
    // Read now, once: the frames wait for it, not the other way round.
    const loading = loadReference(opts.reference, { width, height }, run.binaries, log).then((images) =>
      referenceFrom(images, opts.step),
    );
    loading.catch(() => undefined); // reported through the stream
    let warned = false;
    const onDiffers = (similarity: number): void => {
      if (warned) return;
      warned = true;
      log.warn(
        { similarity: +similarity.toFixed(3), min: opts.min_similarity, full: opts.full_similarity },
        `${run.label} shows other things than the reference ${opts.reference}: where it does, the match is weakened or left out (set match.full_similarity=0 to match anyway)`,
      );
    };
    return (source) =>
      from(loading).pipe(
        switchMap((ref) => {
          log.debug({ reference: opts.reference, samples: ref.samples.count }, 'reference read');
          return source.pipe(matchOperator(ref, opts, onDiffers));
        }),
      );
  },
});
