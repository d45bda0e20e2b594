/*
 * Training the cGAN: pix2pix's alternating updates, with the loss weighted towards MSE as the paper
 * found best.
 *
 *   D: BCE(D(x, y), 1) + BCE(D(x, G(x)), 0), halved
 *   G: mse_weight * MSE(G(x), y) + adversarial_weight * BCE(D(x, G(x)), 1)
 *
 * Batches alternate between single frames (the per-frame form) and windows of F consecutive frames
 * with a drifting detune and random flips (the temporal form): one network serves both.
 */
import { loadGradients, tf } from '../backend.js';
import { weightPenalty, type Params } from '../params.js';
import type { TrainTask } from '../trainer.js';
import { createRng, type Rng } from '../../detune/random.js';
import {
  makeExample,
  makeSequence,
  randomGradeDetunes,
  randomReference,
  type Example,
  type GridImage,
  type PairSet,
  type ReferenceSet,
} from '../data.js';
import { buildGenerator, generate, type GeneratorConfig } from './generator.js';
import { buildDiscriminator, discriminate, type DiscriminatorConfig } from './discriminator.js';

export const CGAN_FORMAT = 'vgrade-cgan';

export interface CganTrainConfig {
  readonly generator: GeneratorConfig;
  /** The proxy size the model was trained on; streams must match it. */
  readonly input: { readonly width: number; readonly height: number };
  readonly discriminator: DiscriminatorConfig;
  readonly mseWeight: number;
  readonly adversarialWeight: number;
  readonly learningRate: number;
  /** Frames per single-frame batch. */
  readonly batch: number;
  /** Windows per temporal batch (each of generator.window frames); 0 trains the per-frame form only. */
  readonly windows: number;
  /** L2 penalty on the generator's weights. */
  readonly weightDecay: number;
}

export const DEFAULT_CGAN_TRAIN: Omit<CganTrainConfig, 'generator' | 'discriminator' | 'input'> = {
  mseWeight: 100,
  adversarialWeight: 0.05,
  learningRate: 1e-3,
  batch: 16,
  windows: 2,
  weightDecay: 1e-4,
};

/** Where training examples come from: detuned references, or a user's before/after pairs. */
export type CganSource =
  | { kind: 'references'; train: ReferenceSet; validation: ReferenceSet }
  | { kind: 'pairs'; train: PairSet; validation: PairSet };

function stack(images: readonly GridImage[]): tf.Tensor4D {
  const { width, height } = images[0]!;
  const data = new Float32Array(images.length * width * height * 3);
  images.forEach((im, i) => data.set(im.data, i * width * height * 3));
  return tf.tensor4d(data, [images.length, height, width, 3]);
}

function bce(logits: tf.Tensor, label: 0 | 1): tf.Scalar {
  const labels = label === 1 ? tf.onesLike(logits) : tf.zerosLike(logits);
  return tf.losses.sigmoidCrossEntropy(labels, logits) as tf.Scalar;
}

/** The fixed validation examples: the same frames and detunes at every validation. */
function validationExamples(
  source: CganSource,
  window: number,
  seed: number,
): { singles: Example[]; windows: Example[][] } {
  const rng = createRng(seed);
  if (source.kind === 'pairs') {
    const { inputs, targets } = source.validation;
    return { singles: inputs.map((input, i) => ({ input, target: targets[i]!, detunes: [] })), windows: [] };
  }
  const refs = source.validation;
  const singles: Example[] = [];
  for (let i = 0; i < refs.frames.length; i++) {
    for (let k = 0; k < 2; k++) singles.push(makeExample(refs, i, randomGradeDetunes(rng), false));
  }
  const windows: Example[][] = [];
  if (window > 1 && refs.runs.some((r) => r.length >= window)) {
    for (let k = 0; k < 6; k++) windows.push(makeSequence(refs, rng, window));
  }
  return { singles, windows };
}

export function createCganTask(
  config: CganTrainConfig,
  source: CganSource,
  seed: number,
): TrainTask<CganTrainConfig> & { generator: Params } {
  loadGradients(); // minimize() differentiates
  const init = createRng(seed);
  const generator = buildGenerator(config.generator, init);
  const discriminator = buildDiscriminator(config.discriminator, init);
  const gOpt = tf.train.adam(config.learningRate, 0.5, 0.999);
  const dOpt = tf.train.adam(config.learningRate / 2, 0.5, 0.999);
  const gVars = [...generator.values()];
  const dVars = [...discriminator.values()];
  const window = config.generator.window;
  const val = validationExamples(source, window, seed + 1);

  const trainBatch = (rng: Rng, step: number): { examples: Example[]; window: number } => {
    if (source.kind === 'pairs') {
      const { inputs, targets } = source.train;
      const examples: Example[] = [];
      for (let i = 0; i < config.batch; i++) {
        const j = Math.floor(rng() * inputs.length);
        examples.push({ input: inputs[j]!, target: targets[j]!, detunes: [] });
      }
      return { examples, window: 1 };
    }
    const refs = source.train;
    const temporal =
      window > 1 && config.windows > 0 && step % 2 === 1 && refs.runs.some((r) => r.length >= window);
    if (temporal) {
      const examples: Example[] = [];
      for (let w = 0; w < config.windows; w++) examples.push(...makeSequence(refs, rng, window));
      return { examples, window };
    }
    const examples: Example[] = [];
    const scratch = new Uint8Array(refs.width * refs.height * 3);
    for (let i = 0; i < config.batch; i++) {
      examples.push(
        makeExample(refs, randomReference(refs, rng), randomGradeDetunes(rng), rng() < 0.5, scratch),
      );
    }
    return { examples, window: 1 };
  };

  const mseOf = (examples: readonly Example[], w: number): number =>
    tf.tidy(() => {
      const x = stack(examples.map((e) => e.input));
      const y = stack(examples.map((e) => e.target));
      return tf.losses.meanSquaredError(y, generate(generator, x, w)).dataSync()[0]!;
    });

  return {
    format: CGAN_FORMAT,
    config,
    generator,
    groups: { generator, discriminator },
    shipped: ['generator'],
    optimizers: { generator: gOpt, discriminator: dOpt },
    async step(rng, step) {
      const batch = trainBatch(rng, step);
      const x = stack(batch.examples.map((e) => e.input));
      const y = stack(batch.examples.map((e) => e.target));
      let dLoss = 0;
      if (config.adversarialWeight > 0) {
        const d = dOpt.minimize(
          () => {
            const fake = generate(generator, x, batch.window, false);
            return tf.mul(
              tf.add(bce(discriminate(discriminator, x, y), 1), bce(discriminate(discriminator, x, fake), 0)),
              0.5,
            ) as tf.Scalar;
          },
          true,
          dVars,
        );
        dLoss = (await d!.data())[0]!;
        d!.dispose();
      }
      let mse = 0;
      let adv = 0;
      const g = gOpt.minimize(
        () => {
          const fake = generate(generator, x, batch.window, false);
          const m = tf.losses.meanSquaredError(y, fake) as tf.Scalar;
          let total = tf.mul(m, config.mseWeight) as tf.Scalar;
          if (config.adversarialWeight > 0) {
            const a = bce(discriminate(discriminator, x, fake), 1);
            total = tf.add(total, tf.mul(a, config.adversarialWeight)) as tf.Scalar;
            adv = a.dataSync()[0]!;
          }
          mse = m.dataSync()[0]!;
          if (config.weightDecay > 0)
            total = tf.add(total, tf.mul(weightPenalty(generator), config.weightDecay)) as tf.Scalar;
          return total;
        },
        true,
        gVars,
      );
      const gLoss = (await g!.data())[0]!;
      g!.dispose();
      x.dispose();
      y.dispose();
      return { loss: gLoss, mse, adversarial: adv, discriminator: dLoss, window: batch.window };
    },
    async validate() {
      let sum = 0;
      let n = 0;
      for (let i = 0; i < val.singles.length; i += 32) {
        const part = val.singles.slice(i, i + 32);
        sum += mseOf(part, 1) * part.length;
        n += part.length;
      }
      const single = sum / n;
      const result: { loss: number } & Record<string, number> = { loss: single, mse: single };
      if (val.windows.length > 0) {
        let ws = 0;
        for (const w of val.windows) ws += mseOf(w, window);
        result.mseWindows = ws / val.windows.length;
        result.loss = (single + result.mseWindows) / 2;
      }
      // The input's own error, for scale: how far the detunes put the frames from their references.
      let inputSum = 0;
      for (const e of val.singles) {
        for (let k = 0; k < e.input.data.length; k++) inputSum += (e.input.data[k]! - e.target.data[k]!) ** 2;
      }
      result.mseInput = inputSum / (val.singles.length * val.singles[0]!.input.data.length);
      return result;
    },
    describe() {
      return { validationFrames: val.singles.length, validationWindows: val.windows.length };
    },
  };
}
