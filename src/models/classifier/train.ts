/*
 * Training the classifier. Each batch mixes:
 *  - single detunes at a whole level, and clean frames: the 25 classes, uniformly (the paper);
 *  - several detunes at once with continuous amounts: for the amount head only (their class is
 *    not one of the 25, so they carry no class loss).
 *
 *   loss = cross-entropy(classes) over single examples + amount_weight * MSE(amounts) over all
 */
import { loadGradients, tf } from '../backend.js';
import { weightPenalty, type Params } from '../params.js';
import type { TrainTask } from '../trainer.js';
import { createRng } from '../../detune/random.js';
import { CLASS_LABELS, FAMILIES } from '../../detune/families.js';
import type { ReferenceSet } from '../data.js';
import {
  buildClassifier,
  classify,
  classifyStatistics,
  FIXED_PARAMETER,
  NUM_CLASSES,
  type ClassifierConfig,
  type ClassifierInputs,
  type ClassifierOutput,
} from './network.js';
import { Examples, standardisation, validationSet, type Labelled } from './examples.js';
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

function tensors(
  batch: readonly Labelled[],
  shape: readonly number[],
): {
  x: tf.Tensor;
  labels: tf.Tensor2D;
  mask: tf.Tensor1D;
  amounts: tf.Tensor2D;
} {
  const size = batch[0]!.input.length;
  const data = new Float32Array(batch.length * size);
  batch.forEach((b, i) => data.set(b.input, i * size));
  const labels = new Float32Array(batch.length * NUM_CLASSES);
  const mask = new Float32Array(batch.length);
  batch.forEach((b, i) => {
    if (b.label >= 0) {
      labels[i * NUM_CLASSES + b.label] = 1;
      mask[i] = 1;
    }
  });
  return {
    x: tf.tensor(data, [batch.length, ...shape]),
    labels: tf.tensor2d(labels, [batch.length, NUM_CLASSES]),
    mask: tf.tensor1d(mask),
    amounts: tf.tensor2d(
      batch.flatMap((b) => b.amounts),
      [batch.length, FAMILIES.length],
    ),
  };
}

/** The network's outputs for a batch, in whichever form it has. */
function outputs(network: Params, inputs: ClassifierInputs, x: tf.Tensor): ClassifierOutput {
  return inputs === 'statistics'
    ? classifyStatistics(network, x as tf.Tensor2D)
    : classify(network, x as tf.Tensor4D);
}

export function createClassifierTask(
  config: ClassifierTrainConfig,
  train: ReferenceSet,
  validation: ReferenceSet,
  seed: number,
): TrainTask<ClassifierTrainConfig> & { network: Params } {
  loadGradients(); // minimize() differentiates
  const inputs = config.network.inputs ?? 'grid';
  const examples = new Examples(train, inputs);
  const network = buildClassifier(
    config.network,
    createRng(seed),
    inputs === 'statistics' ? standardisation(examples, seed + 2, config.combinationShare) : undefined,
  );
  const opt = tf.train.adam(config.learningRate);
  const vars = [...network.entries()].filter(([name]) => !FIXED_PARAMETER.test(name)).map(([, v]) => v);
  const validationExamples = new Examples(validation, inputs);
  const val = validationSet(validation, validationExamples, seed + 1, 40);

  const predict = (items: readonly Labelled[]): { probs: Float32Array; amounts: Float32Array } => {
    const probs = new Float32Array(items.length * NUM_CLASSES);
    const amounts = new Float32Array(items.length * FAMILIES.length);
    for (let i = 0; i < items.length; i += 64) {
      const part = items.slice(i, i + 64);
      tf.tidy(() => {
        const { x } = tensors(part, validationExamples.shape);
        const out = outputs(network, inputs, x);
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
      for (let i = 0; i < config.batch; i++) batch.push(examples.random(rng, config.combinationShare));
      const t = tensors(batch, examples.shape);
      let ce = 0;
      let amountMse = 0;
      const loss = opt.minimize(
        () => {
          const out = outputs(network, inputs, t.x);
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
