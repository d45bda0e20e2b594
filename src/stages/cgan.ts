/**
 * cgan: the paper's generator grades the proxy.
 *
 * Frames are gathered into consecutive windows of `window` frames (closing early at a cut or a
 * discontinuity, and at the end), and each window is corrected in one inference: with the temporal
 * model the whole window shares one view of the shot, so its frames cannot flicker against each
 * other; `window: 1` corrects each frame alone (the per-frame form). Inference runs in a worker
 * thread, so the event loop that moves frames between ffmpeg and the stages never waits on it;
 * the next window fills while one is being corrected.
 *
 * The network answers with a coarse map of affine colour matrices (see src/models/cgan); they are
 * applied to the proxy (`graded`), and `merge` turns proxy-in to proxy-out into the LUT that the
 * encoder applies at full resolution. `strength` scales the correction towards the identity
 * (1: the network's grade; 0: untouched).
 *
 * The model's input size is checked against the proxy before any frame is read.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { defer, finalize } from 'rxjs';
import { defineStage } from './stage.js';
import { windowedAsync } from '../operators/windowedAsync.js';
import { startsSegment, type Frame } from '../frame/frame.js';
import { applyCoefficientsToImage } from '../models/cgan/apply.js';
import { takeModelClient, warmModelClient } from '../models/worker/warmClients.js';
import { BACKEND_CHOICES, type BackendChoice } from '../models/choices.js';
import { checkModelAgainstStream, resolveModelDir } from '../models/modelFolder.js';

const options = {
  model: {
    type: 'string',
    default: 'models/cgan',
    help: 'Folder of the cGAN model (model.json + weights.bin); relative paths are tried from the working folder, then the package',
  },
  window: {
    type: 'integer',
    default: 18,
    min: 1,
    max: 64,
    help: 'Frames corrected together as one window (1: each frame alone)',
  },
  strength: {
    type: 'number',
    default: 1,
    min: 0,
    max: 1,
    help: "How much of the network's correction to apply (0: none, 1: all)",
  },
  backend: {
    type: 'enum',
    values: BACKEND_CHOICES,
    default: 'auto',
    help: 'TensorFlow.js backend for inference',
  },
} as const;

const IDENTITY = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0];

interface Correction {
  readonly coef: Float32Array;
  readonly gridWidth: number;
  readonly gridHeight: number;
}

export const cgan = defineStage({
  kind: 'transform',
  name: 'cgan',
  description: "Grades the proxy with the paper's cGAN generator, per frame or per window of frames",
  options,
  produces: ['graded'],
  // Two windows in flight: one being corrected while the next fills.
  context: (opts) => ({ lookbehind: 0, lookahead: 2 * opts.window - 1 }),
  isIdentity: (opts) => opts.strength === 0,
  warm: (opts) => {
    const dir = resolveModelDir(opts.model);
    if (existsSync(path.join(dir, 'model.json'))) warmModelClient('cgan', dir, opts.backend as BackendChoice);
  },
  create: (opts, run) => {
    const dir = resolveModelDir(opts.model);
    checkModelAgainstStream(dir, 'vgrade-cgan', run.geometry);
    const log = run.logger.child({ stage: 'cgan' });
    return (source) =>
      defer(() => {
        const starting = takeModelClient('cgan', dir, opts.backend as BackendChoice);
        starting.then(
          (c) => log.debug({ backend: c.info.backend, window: opts.window }, 'cgan model loaded'),
          () => {}, // reported by the first window's work
        );
        const s = opts.strength;
        return source.pipe(
          windowedAsync<Frame, Correction>({
            size: opts.window,
            startsWindow: startsSegment,
            release: (f) => f.release(),
            work: async (frames) => {
              const client = await starting;
              const res = await client.corrections(
                frames.map((f) => f.image.data),
                frames.length,
              );
              return res.coefficients.map((coef) => {
                if (s < 1) {
                  for (let i = 0; i < coef.length; i++) {
                    coef[i] = IDENTITY[i % 12]! + s * (coef[i]! - IDENTITY[i % 12]!);
                  }
                }
                return { coef, gridWidth: res.gridWidth, gridHeight: res.gridHeight };
              });
            },
            apply: (frame, c) => {
              const { width, height } = frame.image;
              applyCoefficientsToImage(
                c.coef,
                c.gridWidth,
                c.gridHeight,
                frame.image.data,
                width,
                height,
                frame.graded.data,
              );
              frame.hasGraded = true;
              return frame;
            },
          }),
          finalize(() => {
            starting.then(
              (c) => c.close(),
              () => {},
            );
          }),
        );
      });
  },
});
