/*
 * From a classifier's outputs to the detunes to undo, under uncertainty.
 *
 * The classifier gives, per frame, the 25 classes' probabilities and each family's amount (a
 * regression head). What is undone is each family's expected amount, a mix of the two readings:
 *
 *   E_f = mix * sum_l l * p(f-l)  +  (1 - mix) * a_f
 *
 * (the class posterior's expectation knows only single detunes; the amount head reads several at
 * once), shrunk towards identity as the classifier's confidence falls:
 *
 *   confidence = 1 - H(p) / ln 25          (0: every class equally likely, 1: one class certain)
 *   gate       = smoothstep((confidence - confidence_min) / 0.25)
 *
 * so a frame the classifier cannot read is left as it is. A second way through the gate: where the
 * amount head's readings add up to more than `amountOpen` (whole 1.5 above it), the frame is
 * corrected however spread the class posterior is,
 *
 *   gate = max(smoothstep((confidence - confidence_min) / 0.25),
 *              smoothstep((sum_f a_f - amount_open) / 1.5))
 *
 * since a frame with two or three strong problems spreads a posterior trained on single detunes
 * (and closed the gate on the data set's drifting runs), while its amounts stay large; no unseen
 * clean frame of the data set reads above 3.14. For the same reason, where the amounts beyond the
 * largest add up to more than `severalAt` (several problems at once), the class posterior gives
 * way to the amount head in the expectation, wholly 1.5 above it:
 *
 *   mix' = mix * (1 - smoothstep((sum_f a_f - max_f a_f - several_at) / 1.5))
 *
 * An amount also fades in around `threshold`, so a diagnosis hovering there cannot switch on and
 * off from one frame to the next.
 *
 * Tried and not kept: capping black-high and white-low by the frame's darkest and brightest
 * values (a frame with true blacks cannot have raised blacks). It changed nothing on the
 * validation split once the confidence gate was in (research/tune-invert.ts).
 */
import { FAMILIES, MAX_AMOUNT, type Detune } from './families.js';

export interface PosteriorSettings {
  /** Amounts below about this are taken as 0 (they fade in between threshold/2 and 3 threshold/2). */
  readonly threshold: number;
  /** Scales every amount (0: leave frames alone). */
  readonly strength: number;
  /** Weight of the class posterior's expectation against the amount head (0: the head alone). */
  readonly mix: number;
  /** Below this confidence a frame is left alone; the correction is whole 0.25 above it (0: no gate). */
  readonly confidenceMin: number;
  /**
   * The amount head's summed reading above which the gate opens whatever the confidence, whole 1.5
   * above it (0: only the confidence opens it).
   */
  readonly amountOpen: number;
  /**
   * The amount head's readings beyond its largest, added up, above which the class posterior
   * (trained on single detunes) gives way to the head in the expected amounts: `mix` falls to 0
   * over 1.5 above it. Absent or 0: `mix` as set.
   */
  readonly severalAt?: number;
}

/**
 * The settings the default grade undoes detunes with (invert's defaults), chosen on the data set's
 * validation split for the shipped classifier (docs/correction-under-uncertainty.md); the
 * classifier's shot summaries and cgan's gate read frames the same way.
 */
export const POSTERIOR_DEFAULTS: PosteriorSettings = {
  threshold: 0.5,
  strength: 1,
  mix: 0.5,
  confidenceMin: 0.45,
  amountOpen: 3,
  severalAt: 1.5,
};

const NUM_CLASSES = 1 + 3 * FAMILIES.length;

/** 1 - the normalised entropy of the class probabilities. */
export function confidenceOf(probs: ArrayLike<number>, offset = 0): number {
  let h = 0;
  for (let k = 0; k < NUM_CLASSES; k++) {
    const p = probs[offset + k]!;
    if (p > 1e-12) h -= p * Math.log(p);
  }
  return Math.max(0, 1 - h / Math.log(NUM_CLASSES));
}

/** 3t^2 - 2t^3 on [0, 1], 0 below and 1 above: how the gates fade in. */
export const smoothstep = (t: number): number => (t <= 0 ? 0 : t >= 1 ? 1 : t * t * (3 - 2 * t));

/**
 * How far above `amountOpen` the amounts' gate is whole. A narrower ramp (0.5) opened and closed
 * on the frames of one steady run, and the grade flickered (ratio 1.09 on validation's steady runs
 * against 1.02 with this one; docs/correction-under-uncertainty.md).
 */
const AMOUNT_RAMP = 1.5;

/** Over how much above `severalAt` the class posterior gives way wholly to the amount head. */
const SEVERAL_RAMP = 1.5;

/** The amount head's readings added up (a negative reading counts as 0). */
export function amountReading(amounts: ArrayLike<number>): number {
  let sum = 0;
  for (let f = 0; f < FAMILIES.length; f++) sum += Math.max(0, amounts[f]!);
  return sum;
}

/** The share of a correction the amounts alone allow: 0 up to `amountOpen`, whole 1.5 above it. */
export function amountGate(amounts: ArrayLike<number>, amountOpen: number, ramp = AMOUNT_RAMP): number {
  return amountOpen === 0 ? 0 : smoothstep((amountReading(amounts) - amountOpen) / ramp);
}

/**
 * The share of a correction the gate allows: the confidence's (0 below `confidenceMin`, whole 0.25
 * above it) or the amounts', whichever is larger.
 */
export function gateShare(
  probs: ArrayLike<number>,
  amounts: ArrayLike<number>,
  settings: Pick<PosteriorSettings, 'confidenceMin' | 'amountOpen'>,
): number {
  if (settings.confidenceMin === 0) return 1;
  const byConfidence = smoothstep((confidenceOf(probs) - settings.confidenceMin) / 0.25);
  return Math.max(byConfidence, amountGate(amounts, settings.amountOpen));
}

/** Each family's expected amount: the class posterior's expectation mixed with the amount head. */
export function expectedAmounts(
  probs: ArrayLike<number>,
  amounts: ArrayLike<number>,
  mix: number,
): Float64Array {
  const out = new Float64Array(FAMILIES.length);
  for (let f = 0; f < FAMILIES.length; f++) {
    let e = 0;
    for (let l = 1; l <= 3; l++) e += l * probs[1 + 3 * f + (l - 1)]!;
    out[f] = mix * e + (1 - mix) * amounts[f]!;
  }
  return out;
}

/** The amounts beyond the largest, added up (negative readings count as 0): how much else is wrong. */
export function amountsBeyondLargest(amounts: ArrayLike<number>): number {
  let largest = 0;
  for (let f = 0; f < FAMILIES.length; f++) largest = Math.max(largest, amounts[f]!);
  return amountReading(amounts) - largest;
}

/** The posterior's weight in the expected amounts for a frame: `mix`, falling to 0 where several problems are read. */
export function mixFor(
  amounts: ArrayLike<number>,
  settings: Pick<PosteriorSettings, 'mix' | 'severalAt'>,
): number {
  const at = settings.severalAt ?? 0;
  if (at === 0) return settings.mix;
  return settings.mix * (1 - smoothstep((amountsBeyondLargest(amounts) - at) / SEVERAL_RAMP));
}

/** The fade-in around the threshold: 0 below threshold/2, whole above 3 threshold/2. */
export function thresholdFade(amount: number, threshold: number): number {
  if (threshold === 0) return 1;
  return smoothstep((amount - threshold / 2) / threshold);
}

/**
 * The detunes to undo for one frame: expected amounts, gated by confidence, faded in around the
 * threshold, scaled by strength. `share` is the gate's (by default this frame's own,
 * `gateShare`); a shot's pooled share (`gatedOutputsInShot`) keeps a correction from switching on and
 * off while the amounts follow the frame.
 */
export function posteriorDetunes(
  probs: ArrayLike<number>,
  amounts: ArrayLike<number>,
  settings: PosteriorSettings,
  share: number = gateShare(probs, amounts, settings),
): Detune[] {
  if (share === 0 || settings.strength === 0) return [];
  const expected = expectedAmounts(probs, amounts, mixFor(amounts, settings));
  const out: Detune[] = [];
  FAMILIES.forEach((family, f) => {
    const a = expected[f]!;
    const amount = Math.min(MAX_AMOUNT, a * thresholdFade(a, settings.threshold) * share * settings.strength);
    if (amount > 0) out.push({ family, amount });
  });
  return out;
}

/**
 * How much of a regenerating grader's correction (the cGAN's) to let through on a frame, from the
 * classifier's outputs: the confidence gate times the fade-in of the largest expected amount. 0
 * where the classifier reads the frame as right, or cannot read it; 1 where it is sure that
 * something is wrong by a level or more. The grader itself decides what the correction is.
 */
export function correctionWeight(
  probs: ArrayLike<number>,
  amounts: ArrayLike<number>,
  settings: Omit<PosteriorSettings, 'strength'>,
  share: number = gateShare(probs, amounts, settings),
): number {
  if (share === 0) return 0;
  const largest = Math.max(...expectedAmounts(probs, amounts, mixFor(amounts, settings)));
  return share * thresholdFade(Math.min(largest, MAX_AMOUNT), settings.threshold);
}
