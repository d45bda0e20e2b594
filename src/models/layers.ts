/** The few building blocks the networks use, as functions of named parameters. */
import { tf } from './backend.js';
import { param, type Params } from './params.js';
import type { Rank } from '@tensorflow/tfjs-core';

export function conv(
  params: Params,
  name: string,
  x: tf.Tensor4D,
  stride: number,
  activation: 'lrelu' | 'linear' = 'lrelu',
): tf.Tensor4D {
  const y = tf.add(
    tf.conv2d(x, param<Rank.R4>(params, `${name}/w`), stride, 'same'),
    param(params, `${name}/b`),
  );
  return activation === 'lrelu' ? tf.leakyRelu(y as tf.Tensor4D, 0.2) : (y as tf.Tensor4D);
}

export function dense(
  params: Params,
  name: string,
  x: tf.Tensor2D,
  activation: 'lrelu' | 'linear' = 'lrelu',
): tf.Tensor2D {
  const y = tf.add(tf.matMul(x, param<Rank.R2>(params, `${name}/w`)), param(params, `${name}/b`));
  return activation === 'lrelu' ? tf.leakyRelu(y as tf.Tensor2D, 0.2) : (y as tf.Tensor2D);
}

/** Bilinear resize of a feature map to another's height and width (half-pixel centres). */
export function resizeTo(x: tf.Tensor4D, height: number, width: number): tf.Tensor4D {
  if (x.shape[1] === height && x.shape[2] === width) return x;
  return tf.image.resizeBilinear(x, [height, width], false, true);
}

/** Mean and maximum over the image: the statistics a colour cast or a clipped white shows in. */
export function globalPool(x: tf.Tensor4D): tf.Tensor2D {
  return tf.concat([tf.mean(x, [1, 2]), tf.max(x, [1, 2])], 1) as tf.Tensor2D;
}

/**
 * Averages f x f blocks (the proxy reduced to the networks' working grid). Rows and columns that do
 * not fill a block are dropped, as `blockAverage` does for training data.
 */
export function reduceToGrid(x: tf.Tensor4D, factor: number): tf.Tensor4D {
  if (factor <= 1) return x;
  return tf.avgPool(x, factor, factor, 'valid');
}
