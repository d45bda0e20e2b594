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
 *  - scaled by `strength`.
 * With `knees`, clipped whites stay white and crushed blacks stay neutral through the inverse
 * (`withKnees`). The defaults were chosen on the data set's validation split and confirmed on its
 * test split (research/tune-invert.ts; docs/results.md, "Graders"); `confidence` was chosen again for
 * the shipped ensemble classifier (docs/classifier.md).
 *
 * A frame the classifier skipped (`every` > 1) takes the last analysed frame's outputs in its shot;
 * before the first of a shot, frames are left alone.
 */
import { defer, map } from '../util/rx.js';
import { defineStage } from './stage.js';
import type { Detune } from '../detune/families.js';
import { IDENTITY, inverseDetuneTransform, mapPixels, withKnees } from '../detune/inverse.js';
import {
  POSTERIOR_DEFAULTS,
  gateShare,
  posteriorDetunes,
  type PosteriorSettings,
} from '../detune/posterior.js';
import { noteKey } from '../frame/notes.js';
import { GATE_MEMORY, gatedOutputsInShot } from './classify.js';

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
    help: "Frames over which the gate's share is pooled through a shot, the older readings weighing less (exp(-age / memory)); the amounts stay each frame's own. 0: each reading gates alone",
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
      return source.pipe(
        map((frame) => {
          const gated = gatedOf(frame);
          if (!gated) return frame;
          const { outputs, share } = gated;
          const detunes: Detune[] = posteriorDetunes(outputs.probs, outputs.amounts, settings, share);
          if (detunes.length === 0) {
            // Read and left alone: an explicit "no change", so blend averages across this frame
            // (a frame with no correction at all is a gap that cuts the blend, and a shot where
            // the gate opens and closes would flicker).
            frame.correction = IDENTITY;
            return frame;
          }
          const inverse = inverseDetuneTransform(detunes);
          const transform = opts.knees ? withKnees(inverse) : inverse;
          frame.correction = transform;
          frame.notes.set(UNDONE, detunes);
          if (!opts.graded_proxy) return frame;
          // The proxy graded the same way, for any stage after this one that looks at pixels.
          mapPixels(transform, frame.image.data, frame.graded.data);
          frame.hasGraded = true;
          return frame;
        }),
      );
    }),
});
