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
import { createRng, randomCombination, type Rng } from '../../detune/random.js';
import { amountsOf, CLASS_LABELS, detuneOfClass, FAMILIES, type Detune } from '../../detune/families.js';
import { makeExample, randomReference, type ReferenceSet } from '../data.js';
import { compileDetunes } from '../../detune/apply.js';
import { gridFactor } from '../grid.js';
import {
  buildClassifier,
  classify,
  classifyStatistics,
  FIXED_PARAMETER,
  NUM_CLASSES,
  type ClassifierConfig,
  type ClassifierInputs,
  type ClassifierOutput,
  type Standardisation,
} from './network.js';
import { frameStatistics, STATISTICS_LENGTH } from './statistics.js';
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
  /** What the network reads: the example on the grid, or its statistics. */
  readonly input: Float32Array;
  /** Class index, or -1 for a combination. */
  readonly label: number;
  readonly amounts: number[];
}

function amountsVector(detunes: readonly Detune[]): number[] {
  const a = amountsOf(detunes);
  return FAMILIES.map((f) => a[f]);
}

/** Makes labelled examples for one form of the network, reusing one scratch frame. */
class Examples {
  private readonly scratch: Uint8Array;
  readonly shape: number[];

  constructor(
    private readonly refs: ReferenceSet,
    private readonly inputs: ClassifierInputs,
  ) {
    this.scratch = new Uint8Array(refs.width * refs.height * 3);
    const factor = gridFactor(refs.height);
    this.shape =
      inputs === 'statistics'
        ? [STATISTICS_LENGTH]
        : [Math.floor(refs.height / factor), Math.floor(refs.width / factor), 3];
  }

  make(frame: number | Uint8Array, detunes: Detune[], label: number, flip: boolean): Labelled {
    let input: Float32Array;
    if (this.inputs === 'statistics') {
      // Statistics do not change under a left-right flip.
      const ref = typeof frame === 'number' ? this.refs.frames[frame]! : frame;
      compileDetunes(detunes)(ref, this.scratch);
      input = frameStatistics(this.scratch);
    } else {
      input = makeExample(this.refs, frame, detunes, flip, this.scratch).input.data;
    }
    return { input, label, amounts: amountsVector(detunes) };
  }

  random(rng: Rng, combinationShare: number): Labelled {
    const frame = randomReference(this.refs, rng);
    const flip = rng() < 0.5;
    if (rng() < combinationShare) {
      return this.make(frame, randomCombination(rng, { min: 2, max: 3 }), -1, flip);
    }
    const label = Math.floor(rng() * NUM_CLASSES);
    const d = detuneOfClass(label);
    return this.make(frame, d ? [d] : [], label, flip);
  }
}

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

/**
 * Mean and deviation of each statistic over random training examples of the same mix as training,
 * so that every input of the statistics form starts on a comparable scale.
 */
function standardisation(examples: Examples, seed: number, combinationShare: number): Standardisation {
  const rng = createRng(seed);
  const count = 2048;
  const sum = new Float64Array(STATISTICS_LENGTH);
  const squares = new Float64Array(STATISTICS_LENGTH);
  for (let i = 0; i < count; i++) {
    const { input } = examples.random(rng, combinationShare);
    for (let k = 0; k < STATISTICS_LENGTH; k++) {
      sum[k]! += input[k]!;
      squares[k]! += input[k]! * input[k]!;
    }
  }
  const mean = new Float32Array(STATISTICS_LENGTH);
  const std = new Float32Array(STATISTICS_LENGTH);
  for (let k = 0; k < STATISTICS_LENGTH; k++) {
    mean[k] = sum[k]! / count;
    // A floor, so that a statistic nearly constant in training cannot blow up on a new frame.
    std[k] = Math.max(0.01, Math.sqrt(Math.max(0, squares[k]! / count - mean[k]! ** 2)));
  }
  return { mean, std };
}

/** Validation: every clean reference at every class, and a fixed set of doubles. */
function validationSet(
  refs: ReferenceSet,
  examples: Examples,
  seed: number,
  maxFrames: number,
): { singles: Labelled[]; doubles: Labelled[] } {
  const rng = createRng(seed);
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
      singles.push(examples.make(frame, d ? [d] : [], label, false));
    }
    for (let k = 0; k < 4; k++) {
      const pair = randomCombination(rng, { min: 2, max: 2 }).map((d) => ({
        ...d,
        amount: Math.ceil(d.amount),
      }));
      doubles.push(examples.make(frame, pair, -1, false));
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
