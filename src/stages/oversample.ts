/**
 * oversample: the paper's 2x oversampling. The proxy is enlarged `factor` times before the
 * networks see it (the paper upscaled its 256-pixel frames to 512 for the cGAN and scaled the
 * output back down).
 *
 * It runs inside the decoder's ffmpeg, directly after `downscale`: the proxy is made first and
 * then enlarged with `scaler`, as the paper enlarged its small frames. The networks take a proxy
 * that is a whole multiple of their input (averaged to the same working grid); `merge` fits the
 * frame's LUT from the enlarged proxy to its graded version, which is where "back down" happens:
 * the correction, not the enlarged picture, reaches the full-resolution frame.
 *
 * What it changes here (docs/results.md, "Flicker, windows and oversampling"): this project's
 * generator predicts a grid of colour matrices from the proxy averaged to 114x64, so the enlarged
 * proxy reaches the network as nearly the same grid; the paper's generator painted pixels, whose
 * blur oversampling reduced.
 */
import { defineStage } from './stage.js';

const options = {
  factor: { type: 'integer', default: 2, min: 1, max: 4, help: 'How many times the proxy is enlarged' },
  scaler: {
    type: 'enum',
    values: ['bicubic', 'bilinear', 'lanczos', 'neighbor'],
    default: 'bicubic',
    help: 'ffmpeg scaler used to enlarge the proxy',
  },
} as const;

export const oversample = defineStage({
  kind: 'transform',
  name: 'oversample',
  description:
    "Enlarges the proxy factor times for the networks, as the paper's 2x oversampling (inside the decoder)",
  options,
  isIdentity: (opts) => opts.factor === 1,
  decoderFilter: (opts, source) => {
    const k = opts.factor;
    const { active } = source;
    return {
      filter: `scale=${source.width * k}:${source.height * k}:flags=${opts.scaler}`,
      geometry: {
        width: source.width * k,
        height: source.height * k,
        depth: source.depth,
        active: { x: active.x * k, y: active.y * k, width: active.width * k, height: active.height * k },
      },
    };
  },
  create: () => (source) => source,
});
