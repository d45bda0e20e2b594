import type { StageDefinition } from './stage.js';
import { decode } from './decode.js';
import { live } from './live.js';
import { downscale } from './downscale.js';
import { oversample } from './oversample.js';
import { autobalance } from './autobalance.js';
import { merge } from './merge.js';
import { encode } from './encode.js';
import { detune } from './detune.js';
import { cgan } from './cgan.js';
import { classify } from './classify.js';
import { blend } from './blend.js';
import { invert } from './invert.js';
import { match } from './match.js';
import { cuts } from './cuts.js';
import { exportStage } from './export.js';
import { preview } from './preview.js';

/** Every stage a pipeline file may name, by YAML key. */
export const STAGES: ReadonlyMap<string, StageDefinition> = new Map(
  (
    [
      decode,
      live,
      downscale,
      oversample,
      cuts,
      autobalance,
      detune,
      cgan,
      classify,
      invert,
      match,
      blend,
      merge,
      exportStage,
      encode,
      preview,
    ] as StageDefinition[]
  ).map((s) => [s.name, s]),
);
