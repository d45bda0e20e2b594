/*
 * Training the classifier. Each batch mixes:
 *  - single detunes at a whole level, and clean frames: the 25 classes, uniformly (the paper);
 *  - several detunes at once with continuous amounts: for the amount head only (their class is
 *    not one of the 25, so they carry no class loss).
 *
 *   loss = cross-entropy(classes) over single examples + amount_weight * MSE(amounts) over all
 */
import { tf } from '../backend.js';
import { weightPenalty, type Params } from '../params.js';
import type { TrainTask } from '../trainer.js';
import { createRng, randomCombination, type Rng } from '../../detune/random.js';
import { amountsOf, CLASS_LABELS, detuneOfClass, FAMILIES, type Detune } from '../../detune/families.js';
import { makeExample, randomReference, type Example, type ReferenceSet } from '../data.js';
import { buildClassifier, classify, NUM_CLASSES, type ClassifierConfig } from './network.js';
import { scoreDoubles, scoreSingles } from './metrics.js';

export const CLASSIFIER_FORMAT = 'vgrade-classifier';

export interface ClassifierTrainConfig {
  readonly network: ClassifierConfig;
  readonly input: { readonly width: number; readonly height: number };
  readonly learningRate: number;
  readonly batch: number;
  /** Share of each batch that has several detunes at once. */
  readonly combinationShare: number;
  readonly amountWeight: number;
  /** L2 penalty on the weights, against memorising the few training sources. */
  readonly weightDecay: number;
}

export const DEFAULT_CLASSIFIER_TRAIN: Omit<ClassifierTrainConfig, 'network' | 'input'> = {
  learningRate: 2e-3,
  batch: 32,
  combinationShare: 0.4,
  amountWeight: 0.5,
  weightDecay: 1e-4,
};

interface Labelled {
  readonly example: Example;
  /** Class index, or -1 for a combination. */
  readonly label: number;
  readonly amounts: number[];
}

function amountsVector(detunes: readonly Detune[]): number[] {
  const a = amountsOf(detunes);
  return FAMILIES.map((f) => a[f]);
}

function labelled(
  refs: ReferenceSet,
  frame: number | Uint8Array,
  detunes: Detune[],
  label: number,
  flip: boolean,
  scratch: Uint8Array,
): Labelled {
  return {
    example: makeExample(refs, frame, detunes, flip, scratch),
    label,
    amounts: amountsVector(detunes),
  };
}

function randomLabelled(
  refs: ReferenceSet,
  rng: Rng,
  combinationShare: number,
  scratch: Uint8Array,
): Labelled {
  const frame = randomReference(refs, rng);
  const flip = rng() < 0.5;
  if (rng() < combinationShare) {
    return labelled(refs, frame, randomCombination(rng, { min: 2, max: 3 }), -1, flip, scratch);
  }
  const label = Math.floor(rng() * NUM_CLASSES);
  const d = detuneOfClass(label);
  return labelled(refs, frame, d ? [d] : [], label, flip, scratch);
}

function tensors(batch: readonly Labelled[]): {
  x: tf.Tensor4D;
  labels: tf.Tensor2D;
  mask: tf.Tensor1D;
  amounts: tf.Tensor2D;
} {
  const { width, height } = batch[0]!.example.input;
  const size = width * height * 3;
  const data = new Float32Array(batch.length * size);
  batch.forEach((b, i) => data.set(b.example.input.data, i * size));
  const labels = new Float32Array(batch.length * NUM_CLASSES);
  const mask = new Float32Array(batch.length);
  batch.forEach((b, i) => {
    if (b.label >= 0) {
      labels[i * NUM_CLASSES + b.label] = 1;
      mask[i] = 1;
    }
  });
  return {
    x: tf.tensor4d(data, [batch.length, height, width, 3]),
    labels: tf.tensor2d(labels, [batch.length, NUM_CLASSES]),
    mask: tf.tensor1d(mask),
    amounts: tf.tensor2d(
      batch.flatMap((b) => b.amounts),
      [batch.length, FAMILIES.length],
    ),
  };
}

/** Validation: every clean reference at every class, and a fixed set of doubles. */
function validationSet(
  refs: ReferenceSet,
  seed: number,
  maxFrames: number,
): { singles: Labelled[]; doubles: Labelled[] } {
  const rng = createRng(seed);
  const scratch = new Uint8Array(refs.width * refs.height * 3);
  const frames = [...refs.frames.keys()];
  // A spread of frames when there are many (runs repeat nearly the same picture).
  const step = Math.max(1, frames.length / maxFrames);
  const chosen: number[] = [];
  for (let i = 0; i < frames.length && chosen.length < maxFrames; i += step)
    chosen.push(frames[Math.floor(i)]!);
  const singles: Labelled[] = [];
  const doubles: Labelled[] = [];
  for (const frame of chosen) {
    for (let label = 0; label < NUM_CLASSES; label++) {
      const d = detuneOfClass(label);
      singles.push(labelled(refs, frame, d ? [d] : [], label, false, scratch));
    }
    for (let k = 0; k < 4; k++) {
      const pair = randomCombination(rng, { min: 2, max: 2 }).map((d) => ({
        ...d,
        amount: Math.ceil(d.amount),
      }));
      doubles.push(labelled(refs, frame, pair, -1, false, scratch));
    }
  }
  return { singles, doubles };
}

export function createClassifierTask(
  config: ClassifierTrainConfig,
  train: ReferenceSet,
  validation: ReferenceSet,
  seed: number,
): TrainTask<ClassifierTrainConfig> & { network: Params } {
  const network = buildClassifier(config.network, createRng(seed));
  const opt = tf.train.adam(config.learningRate);
  const vars = [...network.values()];
  const val = validationSet(validation, seed + 1, 40);
  const scratch = new Uint8Array(train.width * train.height * 3);

  const predict = (items: readonly Labelled[]): { probs: Float32Array; amounts: Float32Array } => {
    const probs = new Float32Array(items.length * NUM_CLASSES);
    const amounts = new Float32Array(items.length * FAMILIES.length);
    for (let i = 0; i < items.length; i += 64) {
      const part = items.slice(i, i + 64);
      tf.tidy(() => {
        const { x } = tensors(part);
        const out = classify(network, x);
        probs.set(tf.softmax(out.logits).dataSync(), i * NUM_CLASSES);
        amounts.set(out.amounts.dataSync(), i * FAMILIES.length);
      });
    }
    return { probs, amounts };
  };

  return {
    format: CLASSIFIER_FORMAT,
    config,
    network,
    groups: { classifier: network },
    shipped: ['classifier'],
    optimizers: { classifier: opt },
    async step(rng) {
      const batch: Labelled[] = [];
      for (let i = 0; i < config.batch; i++)
        batch.push(randomLabelled(train, rng, config.combinationShare, scratch));
      const t = tensors(batch);
      let ce = 0;
      let amountMse = 0;
      const loss = opt.minimize(
        () => {
          const out = classify(network, t.x);
          const c = tf.losses.softmaxCrossEntropy(t.labels, out.logits, t.mask) as tf.Scalar;
          const a = tf.losses.meanSquaredError(t.amounts, out.amounts) as tf.Scalar;
          ce = c.dataSync()[0]!;
          amountMse = a.dataSync()[0]!;
          const total = tf.add(c, tf.mul(a, config.amountWeight));
          return (
            config.weightDecay > 0 ? tf.add(total, tf.mul(weightPenalty(network), config.weightDecay)) : total
          ) as tf.Scalar;
        },
        true,
        vars,
      );
      const value = (await loss!.data())[0]!;
      loss!.dispose();
      tf.dispose([t.x, t.labels, t.mask, t.amounts]);
      return { loss: value, crossEntropy: ce, amountMse };
    },
    async validate() {
      const s = predict(val.singles);
      const singles = scoreSingles(
        val.singles.map((v) => v.label),
        s.probs,
      );
      const d = predict(val.doubles);
      const doubles = scoreDoubles(
        val.doubles.map((v) => v.amounts),
        d.amounts,
      );
      let ce = 0;
      val.singles.forEach((v, i) => (ce -= Math.log(Math.max(1e-7, s.probs[i * NUM_CLASSES + v.label]!))));
      ce /= val.singles.length;
      let amountMse = 0;
      val.doubles.forEach((v, i) =>
        v.amounts.forEach((a, f) => (amountMse += (a - d.amounts[i * FAMILIES.length + f]!) ** 2)),
      );
      amountMse /= val.doubles.length * FAMILIES.length;
      // Early stopping watches what the product needs: singles named exactly and doubles fully
      // diagnosed (cross-entropy keeps rising as the network grows confident while accuracy still
      // improves).
      return {
        loss: 1 - singles.exact + (1 - doubles.diagnosed),
        crossEntropy: ce,
        amountMse,
        exact: singles.exact,
        exactOrNeighbour: singles.exactOrNeighbour,
        doublesDiagnosed: doubles.diagnosed,
      };
    },
    describe() {
      return {
        validationSingles: val.singles.length,
        validationDoubles: val.doubles.length,
        classes: CLASS_LABELS,
        families: FAMILIES,
      };
    },
  };
}
