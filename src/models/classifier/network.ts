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
 *        -> dense 128 -> { class logits (25), amounts (8) }
 *
 * The minimum and maximum poolings see the black and white points directly: the levels of the
 * black-high, black-low and white-low families are exactly where those points moved.
 */
import { tf } from '../backend.js';
import { conv, dense, reduceToGrid } from '../layers.js';
import { ParamBuilder, type Params } from '../params.js';
import type { Rng } from '../../detune/random.js';
import { gridFactor } from '../grid.js';
import { CLASS_LABELS, FAMILIES, MAX_AMOUNT } from '../../detune/families.js';

export interface ClassifierConfig {
  readonly base: number;
  readonly hidden: number;
}

export const DEFAULT_CLASSIFIER: ClassifierConfig = { base: 16, hidden: 128 };
export const NUM_CLASSES = CLASS_LABELS.length;
export const NUM_FAMILIES = FAMILIES.length;

export function buildClassifier(config: ClassifierConfig, rng: Rng): Params {
  const c = config.base;
  const p = new ParamBuilder(rng);
  p.conv('c/c1', 3, 3, c);
  p.conv('c/c2', 3, c, 2 * c);
  p.conv('c/c3', 3, 2 * c, 4 * c);
  p.conv('c/c4', 3, 4 * c, 6 * c);
  p.dense('c/hidden', 18 * c + 9, config.hidden);
  p.dense('c/classes', config.hidden, NUM_CLASSES, 1);
  p.dense('c/amounts', config.hidden, NUM_FAMILIES, 1);
  return p.params;
}

export interface ClassifierOutput {
  /** [N, 25] class logits, in CLASS_LABELS order. */
  readonly logits: tf.Tensor2D;
  /** [N, 8] each family's amount in [0, 3], in FAMILIES order. */
  readonly amounts: tf.Tensor2D;
}

export function classify(params: Params, x: tf.Tensor4D): ClassifierOutput {
  const grid = reduceToGrid(x, gridFactor(x.shape[1]));
  const h1 = conv(params, 'c/c1', grid, 2);
  const h2 = conv(params, 'c/c2', h1, 2);
  const h3 = conv(params, 'c/c3', h2, 2);
  const h4 = conv(params, 'c/c4', h3, 2);
  // The picture's own statistics beside the learned ones: per-channel mean, max and min.
  const stats = tf.concat([tf.mean(grid, [1, 2]), tf.max(grid, [1, 2]), tf.min(grid, [1, 2])], 1);
  const pooled = tf.concat(
    [tf.mean(h4, [1, 2]), tf.max(h4, [1, 2]), tf.neg(tf.max(tf.neg(h4), [1, 2])), stats],
    1,
  ) as tf.Tensor2D;
  const hidden = dense(params, 'c/hidden', pooled);
  return {
    logits: dense(params, 'c/classes', hidden, 'linear'),
    amounts: tf.mul(tf.sigmoid(dense(params, 'c/amounts', hidden, 'linear')), MAX_AMOUNT) as tf.Tensor2D,
  };
}
