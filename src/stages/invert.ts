/**
 * invert: the classifier-driven grader. It undoes the detunes the classifier found: each frame's
 * correction is the inverse of the detune formulas (`inverseDetuneTransform`), so no pixel is
 * regenerated: the frame is only mapped back (the paper's "do no harm" path). It requires the
 * classifier's findings: the compiler refuses it without a `classify` stage with `wait: true`
 * before it.
 *
 * What is undone is decided under uncertainty (`posteriorDetunes`, src/detune/posterior.ts):
 *  - each family's expected amount, `mix` of the class posterior's expectation and the amount
 *    head's reading;
 *  - shrunk towards identity as the classifier's confidence (1 - normalised entropy) falls below
 *    `confidence` + 0.25, and nothing at all below `confidence`: a frame the classifier cannot
 *    read is left as it is, unless the amount head's readings add up to more than `amount_open` (a
 *    frame with several strong problems spreads the class posterior, not the amounts);
 *  - faded in around `threshold`, so a diagnosis hovering there cannot switch on and off;
 *  - scaled by `strength`;
 *  - pooled through the shot with the readings of the last `amount_memory` frames or so that read
 *    about the same amount (within `amount_spread`), so a steady shot's jittering readings do not
 *    flicker and a drifting detune is still followed.
 * With `knees`, clipped whites stay white and crushed blacks stay neutral through the inverse
 * (`withKnees`). With `white_balance`, a white balance off (what no list of the eight families
 * undoes: 4500 K scales R, G, B by 1, 0.85, 0.73) is then taken off as far as the white-balance
 * reader reads it on the frame as the inverse leaves it, beyond `white_tolerance`
 * (src/models/whiteReader.ts). The defaults were chosen on the data set's validation split and confirmed on its
 * test split (research/tune-invert.ts; docs/results.md, "Graders"); `confidence` was chosen again for
 * the shipped ensemble classifier (docs/classifier.md).
 *
 * A frame the classifier skipped (`every` > 1) takes the last analysed frame's outputs in its shot;
 * before the first of a shot, frames are left alone.
 */
import { defer, map } from '../util/rx.js';
import { defineStage } from './stage.js';
import type { Detune } from '../detune/families.js';
import { IDENTITY, inverseDetuneTransform, mapPixels, withKnees, type Transform } from '../detune/inverse.js';
import {
  POSTERIOR_DEFAULTS,
  gateShare,
  posteriorDetunes,
  type PosteriorSettings,
} from '../detune/posterior.js';
import { noteKey } from '../frame/notes.js';
import { GATE_MEMORY, gatedOutputsInShot, type GatedOutputs } from './classify.js';
import { castDivisor, castGains, WHITE_TOLERANCE, whiteLevel, withGains } from '../detune/whiteBalance.js';
import { loadWhiteReader, WHITE_READ_EVERY, type WhiteReader } from '../models/whiteReader.js';
import { resolveModelFile } from '../models/modelFolder.js';
import { startsSegment, type Frame } from '../frame/frame.js';

const options = {
  graded_proxy: {
    type: 'boolean',
    default: true,
    help: 'Also map the proxy pixels (for a later stage that reads them, e.g. blend mode pixels); merge needs only the correction',
  },
  threshold: {
    type: 'number',
    default: POSTERIOR_DEFAULTS.threshold,
    min: 0,
    max: 3,
    help: 'Amounts below about this are taken as 0 (faded in between half and 1.5 times it)',
  },
  strength: {
    type: 'number',
    default: 1,
    min: 0,
    max: 1.5,
    help: 'Scales every amount before it is undone (0: leave frames alone)',
  },
  mix: {
    type: 'number',
    default: POSTERIOR_DEFAULTS.mix,
    min: 0,
    max: 1,
    help: "Weight of the class posterior's expected amount against the amount head's (0: the head alone)",
  },
  // Chosen for the shipped classifier (an ensemble: its averaged outputs are less peaked than one
  // network's) on the validation split; docs/classifier.md.
  confidence: {
    type: 'number',
    default: POSTERIOR_DEFAULTS.confidenceMin,
    min: 0,
    max: 1,
    help: 'Frames the classifier reads with less confidence are left alone; whole correction 0.25 above it (0: every frame)',
  },
  amount_open: {
    type: 'number',
    default: POSTERIOR_DEFAULTS.amountOpen,
    min: 0,
    max: 24,
    help: "With confidence: the amount head's readings, added up, above which a frame is corrected however unsure the classifier is; whole 1.5 above it (0: confidence alone decides)",
  },
  several_at: {
    type: 'number',
    default: POSTERIOR_DEFAULTS.severalAt ?? 0,
    min: 0,
    max: 24,
    help: "The amount head's readings beyond its largest, added up, above which the amounts undone are the head's alone (the class posterior knows single detunes only); wholly 1.5 above it (0: mix throughout)",
  },
  memory: {
    type: 'number',
    default: GATE_MEMORY,
    min: 0,
    max: 100000,
    help: "Frames over which the gate's share and the white-balance reads are pooled through a shot, the older readings weighing less (exp(-age / memory)); the amounts have their own (amount_memory). 0: each reading alone",
  },
  // Chosen on whole real clips and the validation split (docs/correction-under-uncertainty.md,
  // "The amounts remember the shot").
  amount_memory: {
    type: 'number',
    default: 8,
    min: 0,
    max: 100000,
    help: 'Frames over which the amounts undone are pooled through a shot, as the gate is (exp(-age / amount_memory)); 0: each reading its own',
  },
  amount_spread: {
    type: 'number',
    default: 0.2,
    min: 0,
    max: 3,
    help: "With amount_memory: an earlier reading's amount d away from the new one's weighs exp(-(d / amount_spread)^2) less, so a drifting detune is followed (0: no such weight)",
  },
  // Chosen on the validation split (docs/correction-under-uncertainty.md, "White balance").
  white_balance: {
    type: 'number',
    default: 1,
    min: 0,
    max: 1,
    help: 'Share of the white balance off that is taken off, as the white-balance reader reads it after the inverse (0: none)',
  },
  white_tolerance: {
    type: 'number',
    default: WHITE_TOLERANCE,
    min: 0,
    max: 1,
    help: "Length of the cast read (ln R/G, ln B/G) taken as the scene's own colour: only the excess is taken off",
  },
  // Not the default: on whole clips of a washed-out test source it raised real casts
  // (docs/correction-under-uncertainty.md, "The white level given back").
  white_level: {
    type: 'boolean',
    default: false,
    help: "Where a cast family undone (green, blue, orange divide channels) looks like a white balance off instead (channels lowered), give back the level the division took (the reader's exposure read), never above the input's white level",
  },
  // Chosen on validation's exposure sets: at 0.3, 4% of its cast-family references get any level
  // back, where at 1 44% did (docs/correction-under-uncertainty.md, "Only where the read is clear").
  white_level_below: {
    type: 'number',
    default: 0.3,
    min: 0.05,
    max: 1,
    help: "With white_level: the exposure read's family share below which a level is given back, all of it at a share of 0 (1: (1 - share) of it at every share)",
  },
  white_model: {
    type: 'string',
    default: 'models/white-balance.json',
    help: 'The white-balance reader (research/train_white.py)',
  },
  knees: {
    type: 'boolean',
    default: true,
    help: 'Keep clipped whites white and crushed blacks neutral through the inverse',
  },
} as const;

/** The detunes undone on a frame, in `frame.notes` (absent where nothing was undone). */
export const UNDONE = noteKey<Detune[]>('invert');

export const invert = defineStage({
  kind: 'transform',
  name: 'invert',
  description: 'Classifier-driven grade: undoes the detunes the classify stage found (no pixel regenerated)',
  options,
  requires: ['findings'],
  produces: ['graded', 'correction'],
  isIdentity: (opts) => opts.strength === 0,
  create: (opts) => (source) =>
    defer(() => {
      const settings: PosteriorSettings = {
        threshold: opts.threshold,
        strength: opts.strength,
        mix: opts.mix,
        confidenceMin: opts.confidence,
        amountOpen: opts.amount_open,
        severalAt: opts.several_at,
      };
      const gatedOf = gatedOutputsInShot(opts.memory, (o) => gateShare(o.probs, o.amounts, settings));
      const reader = opts.white_balance > 0 ? loadWhiteReader(resolveModelFile(opts.white_model)) : undefined;
      const balance =
        reader &&
        whiteBalancer(
          reader,
          opts.white_tolerance,
          opts.white_balance,
          opts.memory,
          opts.white_level ? opts.white_level_below : 0,
        );
      const pooled = opts.amount_memory > 0 ? amountPool(opts.amount_memory, opts.amount_spread) : undefined;
      return source.pipe(
        map((frame) => {
          const gated = gatedOf(frame);
          if (!gated) return frame;
          const { outputs, share } = gated;
          const read: Detune[] = posteriorDetunes(outputs.probs, outputs.amounts, settings, share);
          const detunes = pooled ? pooled(frame, gated, read) : read;
          if (detunes.length > 0) frame.notes.set(UNDONE, detunes);
          const inverse = detunes.length > 0 ? inverseDetuneTransform(detunes) : IDENTITY;
          const kneed = opts.knees && detunes.length > 0 ? withKnees(inverse) : inverse;
          const transform = balance ? balance(frame, gated, detunes, kneed) : kneed;
          // Read and left alone: IDENTITY is an explicit "no change", so blend averages across this
          // frame (a frame with no correction at all is a gap that cuts the blend, and a shot where
          // the gate opens and closes would flicker).
          frame.correction = transform;
          if (!opts.graded_proxy || transform === IDENTITY) return frame;
          // The proxy graded the same way, for any stage after this one that looks at pixels.
          mapPixels(transform, frame.image.data, frame.graded.data);
          frame.hasGraded = true;
          return frame;
        }),
      );
    }),
});

/**
 * The amounts undone, pooled through the shot per family on each new reading: each earlier
 * reading weighs exp(-age / memory), times exp(-(d / spread)^2) where d is how far its amount lies
 * from the new reading's (spread 0: no such weight), so readings that jitter around one amount
 * are averaged while a detune that drifts is followed.
 */
function amountPool(
  memory: number,
  spread: number,
): (frame: Frame, gated: GatedOutputs, read: readonly Detune[]) => Detune[] {
  interface Reading {
    readonly index: number;
    readonly amounts: Map<Detune['family'], number>;
  }
  let history: Reading[] = [];
  let readFor: GatedOutputs | undefined;
  let pooled: Detune[] = [];
  return (frame, gated, read) => {
    if (startsSegment(frame)) history = [];
    if (gated === readFor && history.length > 0) return pooled;
    readFor = gated;
    const now: Reading = { index: frame.index, amounts: new Map(read.map((d) => [d.family, d.amount])) };
    // Readings older than 5 memories weigh under 1%.
    history = history.filter((h) => frame.index - h.index < 5 * memory);
    history.push(now);
    const families = new Set(history.flatMap((h) => [...h.amounts.keys()]));
    pooled = [];
    for (const family of families) {
      const mine = now.amounts.get(family) ?? 0;
      let sum = 0;
      let weight = 0;
      for (const h of history) {
        const a = h.amounts.get(family) ?? 0;
        const d = spread > 0 ? (a - mine) / spread : 0;
        const w = Math.exp(-(frame.index - h.index) / memory - d * d);
        sum += w * a;
        weight += w;
      }
      if (sum / weight > 1e-3) pooled.push({ family, amount: sum / weight });
    }
    return pooled;
  };
}

/**
 * The white balance taken off after the inverse: the reader reads the proxy as the inverse leaves
 * it, on a new classifier reading at most every WHITE_READ_EVERY frames and on a shot's first (the
 * frames between take the last read's gains). A white balance is the shot's light, so the reads are pooled through the shot as
 * the gate's share is (each weighted by exp(-age / memory), age in frames; a cut starts afresh):
 * one frame's read wanders by a few hundredths, which the gains would show as flicker. Returns
 * the inverse itself where nothing beyond the tolerance is read.
 */
function whiteBalancer(
  reader: WhiteReader,
  tolerance: number,
  strength: number,
  memory: number,
  /** `white_level_below` where `white_level` is on, 0 where it is off: no level is given back. */
  exposureBelow: number,
): (frame: Frame, gated: GatedOutputs, detunes: readonly Detune[], inverse: Transform) => Transform {
  let readFor: GatedOutputs | undefined;
  let gains: [number, number, number] = [1, 1, 1];
  let scratch: Uint8Array | Uint16Array | undefined;
  // The pooled reads: ln R/G, ln B/G, and ln of the level a cast family's inverse took away.
  const sum: [number, number, number] = [0, 0, 0];
  let weight = 0;
  let lastIndex = 0;
  let readAt = 0;
  return (frame, gated, detunes, inverse) => {
    if (startsSegment(frame)) weight = 0;
    // A new classifier reading, and the last read WHITE_READ_EVERY frames back or in another shot.
    if (gated !== readFor && (weight === 0 || frame.index - readAt >= WHITE_READ_EVERY)) {
      readFor = gated;
      readAt = frame.index;
      const data = frame.image.data;
      let graded = data;
      if (inverse !== IDENTITY) {
        if (scratch?.length !== data.length || scratch.constructor !== data.constructor) {
          scratch = data instanceof Uint16Array ? new Uint16Array(data.length) : new Uint8Array(data.length);
        }
        graded = mapPixels(inverse, data, scratch);
      }
      const read = reader.read(graded, frame.image.width);
      // A cast family undone divides channels; where the frame's cast looks like a white balance
      // off instead (channels lowered), that division darkened it: the level is given back.
      const divisor = exposureBelow > 0 ? castDivisor(detunes) : 1;
      const share = divisor > 1 ? reader.familyShare(data, frame.image.width) : undefined;
      let level = share === undefined ? 0 : Math.max(0, 1 - share / exposureBelow) * Math.log(divisor);
      // A white balance lowered the frame's channels: raising it back never takes its white level
      // above the input's (a cast family read as a white balance would brighten the frame).
      if (level > 0) {
        const room = Math.log(
          whiteLevel(data) / Math.max(1e-3, whiteLevel(graded, castGains(read, tolerance, strength))),
        );
        level = Math.min(level, Math.max(0, room));
      }
      const keep =
        weight === 0 || memory === 0 ? 0 : Math.exp(-Math.max(0, frame.index - lastIndex) / memory);
      sum[0] = keep * sum[0] + read[0];
      sum[1] = keep * sum[1] + read[1];
      sum[2] = keep * sum[2] + level;
      weight = keep * weight + 1;
      lastIndex = frame.index;
      const k = Math.exp((sum[2] / weight) * strength);
      const [r, g, b] = castGains([sum[0] / weight, sum[1] / weight], tolerance, strength);
      gains = [r * k, g * k, b * k];
    }
    return gains[0] === 1 && gains[1] === 1 && gains[2] === 1 ? inverse : withGains(inverse, gains);
  };
}
