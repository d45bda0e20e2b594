/*
 * The cGAN's discriminator: a PatchGAN with large patches, after the paper.
 *
 * It sees the input frame and a candidate correction side by side (6 channels, on the 114x64 grid)
 * and scores every patch real or generated. Four 4x4 convolutions, three of them with stride 2,
 * give each score a receptive field of 46x46 grid cells: most of the frame's height, because a
 * colour problem is a property of the whole picture, not of a texture.
 */
import { tf } from '../backend.js';
import { conv } from '../layers.js';
import { ParamBuilder, type Params } from '../params.js';
import type { Rng } from '../../detune/random.js';

export interface DiscriminatorConfig {
  readonly base: number;
}

export const DEFAULT_DISCRIMINATOR: DiscriminatorConfig = { base: 16 };

export function buildDiscriminator(config: DiscriminatorConfig, rng: Rng): Params {
  const c = config.base;
  const p = new ParamBuilder(rng);
  p.conv('d/c1', 4, 6, c);
  p.conv('d/c2', 4, c, 2 * c);
  p.conv('d/c3', 4, 2 * c, 4 * c);
  p.conv('d/out', 4, 4 * c, 1, 1);
  return p.params;
}

/** Patch logits [N, h, w, 1] for (input, candidate) pairs on the grid. */
export function discriminate(params: Params, input: tf.Tensor4D, candidate: tf.Tensor4D): tf.Tensor4D {
  const x = tf.concat([input, candidate], 3) as tf.Tensor4D;
  const h1 = conv(params, 'd/c1', x, 2);
  const h2 = conv(params, 'd/c2', h1, 2);
  const h3 = conv(params, 'd/c3', h2, 2);
  return conv(params, 'd/out', h3, 1, 'linear');
}
