/*
 * The classifier: what is wrong with a frame.
 *
 * Two heads on one trunk:
 *  - the paper's 25-way class (24 = 8 detune families x 3 levels, plus `none`), softmax;
 *  - where the paper failed (frames with two or more problems), each family's amount as a
 *    continuous level in [0, 3] (3 x sigmoid), so a frame with a green cast and crushed blacks
 *    names both.
 *
 * Input: the 114x64 grid (the 456x256 proxy averaged over 4x4 blocks), not the paper's 224x224
 * squash. A colour problem is a property of the whole frame's statistics, not of its texture; the
 * grid keeps the frame's shape and every pixel's colour, and costs a quarter of the pixels.
 *
 *   grid -> c1 3->c s2 -> c2 c->2c s2 -> c3 2c->4c s2 -> c4 4c->6c s2 -> [mean | max | -max(-x)]
 *        + the grid's RGB mean, max, min and histograms -> dense 128 -> { logits (25), amounts (8) }
 *
 * The minimum and maximum poolings, and each channel's 16-bin histogram, see the black and white
 * points and the spread of values directly: the levels of the black-high, black-low, white-low and
 * contrast-high families are exactly where those moved.
 *
 * The statistics form (`inputs: 'statistics'`) reads the full proxy's colour statistics instead of
 * the grid (`statistics.ts`): standardised with the training set's mean and deviation (kept in the
 * model, not trained), then two dense layers and the same two heads.
 *
 *   statistics (131) -> standardise -> dense h (x depth, 2 by default) -> { logits (25), amounts (8) }
 */
import { tf } from '../backend.js';
import { conv, dense, reduceToGrid } from '../layers.js';
import { ParamBuilder, param, type Params } from '../params.js';
import type { Rng } from '../../detune/random.js';
import { gridFactor } from '../grid.js';
import { CLASS_LABELS, FAMILIES, MAX_AMOUNT } from '../../detune/families.js';
import type { Rank } from '@tensorflow/tfjs-core';
import { STATISTICS_LENGTH } from './statistics.js';

export interface ClassifierConfig {
  readonly base: number;
  readonly hidden: number;
  /** Feed each channel's histogram to the head (absent in models made before it existed: false). */
  readonly histograms?: boolean;
  /** What the network reads: the grid's pixels (convolutional; absent in older models) or the proxy's statistics. */
  readonly inputs?: ClassifierInputs;
  /** The statistics form's hidden dense layers, each `hidden` wide (absent: 2). */
  readonly depth?: number;
}

export type ClassifierInputs = 'grid' | 'statistics';

export const DEFAULT_CLASSIFIER: ClassifierConfig = { base: 16, hidden: 128, histograms: true };
export const DEFAULT_STATISTICS_CLASSIFIER: ClassifierConfig = { base: 0, hidden: 256, inputs: 'statistics' };

/** The standardisation of the statistics form's inputs: the training statistics' mean and deviation. */
export interface Standardisation {
  readonly mean: Float32Array;
  readonly std: Float32Array;
}

/** Names of the parameters that are set once from the data and never trained. */
export const FIXED_PARAMETER = /^s\/norm\//;
export const NUM_CLASSES = CLASS_LABELS.length;
export const NUM_FAMILIES = FAMILIES.length;

export function buildClassifier(
  config: ClassifierConfig,
  rng: Rng,
  standardisation?: Standardisation,
): Params {
  const p = new ParamBuilder(rng);
  if (config.inputs === 'statistics') {
    if (!standardisation) throw new Error("The statistics classifier needs its inputs' standardisation");
    p.value('s/norm/mean', tf.tensor1d(standardisation.mean));
    p.value('s/norm/std', tf.tensor1d(standardisation.std));
    const depth = config.depth ?? 2;
    for (let k = 1; k <= depth; k++)
      p.dense(`s/h${k}`, k === 1 ? STATISTICS_LENGTH : config.hidden, config.hidden);
    p.dense('c/classes', config.hidden, NUM_CLASSES, 1);
    p.dense('c/amounts', config.hidden, NUM_FAMILIES, 1);
    return p.params;
  }
  const c = config.base;
  p.conv('c/c1', 3, 3, c);
  p.conv('c/c2', 3, c, 2 * c);
  p.conv('c/c3', 3, 2 * c, 4 * c);
  p.conv('c/c4', 3, 4 * c, 6 * c);
  p.dense('c/hidden', 18 * c + 9 + (config.histograms ? 3 * HISTOGRAM_BINS : 0), config.hidden);
  p.dense('c/classes', config.hidden, NUM_CLASSES, 1);
  p.dense('c/amounts', config.hidden, NUM_FAMILIES, 1);
  return p.params;
}

/** Bins of each channel's histogram on the grid. */
export const HISTOGRAM_BINS = 16;

/**
 * Each channel's histogram over the grid, with triangular (linear) bins so it is smooth in the
 * pixel values: [N, 3 x 16]. Where the black and white points sit and how the values spread are
 * what the black, white and contrast families change.
 */
export function channelHistograms(grid: tf.Tensor4D): tf.Tensor2D {
  const n = grid.shape[0];
  const centres = tf.linspace(0, 1, HISTOGRAM_BINS);
  const distance = tf.abs(tf.sub(tf.expandDims(grid, 4), centres));
  const weight = tf.relu(tf.sub(1, tf.mul(distance, HISTOGRAM_BINS - 1)));
  return tf.reshape(tf.mean(weight, [1, 2]), [n, 3 * HISTOGRAM_BINS]);
}

export interface ClassifierOutput {
  /** [N, 25] class logits, in CLASS_LABELS order. */
  readonly logits: tf.Tensor2D;
  /** [N, 8] each family's amount in [0, 3], in FAMILIES order. */
  readonly amounts: tf.Tensor2D;
}

/** The two heads on a trunk's features. */
function heads(params: Params, hidden: tf.Tensor2D): ClassifierOutput {
  return {
    logits: dense(params, 'c/classes', hidden, 'linear'),
    amounts: tf.mul(tf.sigmoid(dense(params, 'c/amounts', hidden, 'linear')), MAX_AMOUNT) as tf.Tensor2D,
  };
}

/** The statistics form: [N, STATISTICS_LENGTH] in, the two heads out. */
export function classifyStatistics(params: Params, statistics: tf.Tensor2D): ClassifierOutput {
  const x = tf.div(
    tf.sub(statistics, param(params, 's/norm/mean')),
    param(params, 's/norm/std'),
  ) as tf.Tensor2D;
  // As many hidden layers as the model has (its depth shows in its parameters).
  let h = x;
  for (let k = 1; params.has(`s/h${k}/w`); k++) h = dense(params, `s/h${k}`, h);
  return heads(params, h);
}

/** Whether loaded parameters are the statistics form's. */
export function isStatisticsClassifier(params: Params): boolean {
  return params.has('s/norm/mean');
}

export function classify(params: Params, x: tf.Tensor4D): ClassifierOutput {
  const grid = reduceToGrid(x, gridFactor(x.shape[1]));
  const h1 = conv(params, 'c/c1', grid, 2);
  const h2 = conv(params, 'c/c2', h1, 2);
  const h3 = conv(params, 'c/c3', h2, 2);
  const h4 = conv(params, 'c/c4', h3, 2);
  // The picture's own statistics beside the learned ones: per-channel mean, max and min.
  // Whether this model has the histogram inputs shows in its head's shape.
  const c = h4.shape[3] / 6;
  const histograms = param<Rank.R2>(params, 'c/hidden/w').shape[0] === 18 * c + 9 + 3 * HISTOGRAM_BINS;
  const stats = tf.concat(
    [
      tf.mean(grid, [1, 2]),
      tf.max(grid, [1, 2]),
      tf.min(grid, [1, 2]),
      ...(histograms ? [channelHistograms(grid)] : []),
    ],
    1,
  );
  const pooled = tf.concat(
    [tf.mean(h4, [1, 2]), tf.max(h4, [1, 2]), tf.neg(tf.max(tf.neg(h4), [1, 2])), stats],
    1,
  ) as tf.Tensor2D;
  return heads(params, dense(params, 'c/hidden', pooled));
}
