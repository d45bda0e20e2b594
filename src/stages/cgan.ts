/**
 * cgan: the paper's generator grades the proxy.
 *
 * Frames are gathered into sliding windows of `window` frames that start every `hop` frames
 * (`slidingWindowsAsync`): no window crosses a cut or a discontinuity, and at a shot's first and
 * last frames the window is filled by repeating them (clamped). Each window is corrected in one
 * inference: with the temporal model the whole window shares one view of the shot, so its frames
 * cannot flicker against each other. Where windows overlap (hop < window), each frame takes the
 * mean of its windows' corrections weighted by how central it sits in each, so nothing steps where
 * one window hands over to the next. `window: 1` corrects each frame alone (the per-frame form).
 * Inference runs in a worker thread, so the event loop that moves frames between ffmpeg and the
 * stages never waits on it; the next window fills while one is being corrected.
 *
 * The network answers with a coarse map of affine colour matrices (see src/models/cgan); they are
 * applied to the proxy (`graded`), and `merge` turns proxy-in to proxy-out into the LUT that the
 * encoder applies at full resolution. `strength` scales the correction towards the identity
 * (1: the network's grade; 0: untouched).
 *
 * With `gate`, the classifier decides where the network may act (do no harm): each frame's
 * correction is also scaled by `correctionWeight` of the findings of a `classify` stage before
 * this one (the confidence gate and the fade-in of the largest expected amount, with invert's
 * settings), so a frame the classifier reads as right, or cannot read, is left as it is, and a
 * frame it is sure is wrong by a level or more gets the network's whole correction. Frames the
 * classifier skipped take the last analysed frame's findings in their shot.
 *
 * The model's input size is checked against the proxy before any frame is read.
 */
import { defer, finalize } from '../util/rx.js';
import { defineStage } from './stage.js';
import { slidingWindowsAsync } from '../operators/slidingWindowsAsync.js';
import { UsageError } from '../util/errors.js';
import { startsSegment, type Frame } from '../frame/frame.js';
import { applyCoefficientsToImage } from '../models/cgan/apply.js';
import { giveBackModelClient, takeModelClient, warmModelClient } from '../models/worker/warmClients.js';
import { BACKEND_CHOICES } from '../models/choices.js';
import { checkModelAgainstStream, resolveModelDir } from '../models/modelFolder.js';
import { NETWORKS } from '../models/networks.js';
import { correctionWeight, gateShare, POSTERIOR_DEFAULTS } from '../detune/posterior.js';
import { GATE_MEMORY, gatedOutputsInShot } from './classify.js';

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
  hop: {
    type: 'integer',
    default: 0,
    min: 0,
    max: 64,
    help:
      'Frames between the starts of consecutive windows (0: the window, so windows do not overlap). ' +
      "Smaller hops overlap windows, and each frame takes the weighted mean of its windows' corrections: " +
      'no step where one window ends and the next begins, at window/hop times the inference',
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
  gate: {
    type: 'boolean',
    default: false,
    help: 'Let the network act only where a classify stage before this one (wait: true) finds something wrong, as much as it is sure',
  },
  confidence: {
    type: 'number',
    default: POSTERIOR_DEFAULTS.confidenceMin,
    min: 0,
    max: 1,
    help: "With gate: frames the classifier reads with less confidence are left alone; the network's whole correction 0.25 above it",
  },
  threshold: {
    type: 'number',
    default: POSTERIOR_DEFAULTS.threshold,
    min: 0,
    max: 3,
    help: 'With gate: a largest expected amount below about this leaves the frame alone (faded in between half and 1.5 times it)',
  },
  amount_open: {
    type: 'number',
    default: POSTERIOR_DEFAULTS.amountOpen,
    min: 0,
    max: 24,
    help: "With gate: the amount head's readings, added up, above which the network acts however unsure the classifier is; whole 1.5 above it (0: confidence alone decides)",
  },
  memory: {
    type: 'number',
    default: GATE_MEMORY,
    min: 0,
    max: 100000,
    help: "With gate: frames over which the gate's share is pooled through a shot, the older readings weighing less (exp(-age / memory)); 0: each reading gates alone",
  },
} as const;

/** The hop in frames: 0 means the window's length (consecutive windows). */
const hopOf = (opts: { window: number; hop: number }): number => (opts.hop === 0 ? opts.window : opts.hop);

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
  requires: [{ product: 'findings', when: { gate: true } }],
  produces: ['graded'],
  // An item waits for up to window - 1 later frames, plus the window being corrected.
  context: (opts) => ({ lookbehind: 0, lookahead: opts.window + hopOf(opts) - 1 }),
  check: (opts) => {
    if (hopOf(opts) > opts.window) {
      throw new UsageError('E_PIPELINE_OPTION', `hop (${opts.hop}) must not exceed window (${opts.window})`);
    }
  },
  isIdentity: (opts) => opts.strength === 0,
  warm: (opts) => warmModelClient('cgan', resolveModelDir(opts.model), opts.backend),
  create: (opts, run) => {
    const dir = resolveModelDir(opts.model);
    checkModelAgainstStream(dir, NETWORKS.cgan.format, run.geometry);
    const log = run.logger.child({ stage: 'cgan' });
    return (source) =>
      defer(() => {
        const starting = takeModelClient('cgan', dir, opts.backend);
        starting.then(
          (c) =>
            log.debug(
              { backend: c.info.backend, window: opts.window, hop: hopOf(opts) },
              'cgan model loaded',
            ),
          () => {}, // reported by the first window's work
        );
        const gateSettings = {
          confidenceMin: opts.confidence,
          threshold: opts.threshold,
          mix: POSTERIOR_DEFAULTS.mix,
          severalAt: POSTERIOR_DEFAULTS.severalAt,
          amountOpen: opts.amount_open,
        };
        const gatedOf = gatedOutputsInShot(opts.memory, (o) => gateShare(o.probs, o.amounts, gateSettings));
        return source.pipe(
          slidingWindowsAsync<Frame, Correction>({
            size: opts.window,
            hop: hopOf(opts),
            startsSegment,
            release: (f) => f.release(),
            work: async (frames) => {
              const client = await starting;
              const res = await client.run({
                frames: frames.map((f) => f.image.data),
                window: frames.length,
                size: frames[0]!.image,
              });
              return res.coefficients.map((coef) => ({
                coef,
                gridWidth: res.gridWidth,
                gridHeight: res.gridHeight,
              }));
            },
            combine: (frame, parts) => {
              // Frames come here in order, so each takes its shot's latest findings.
              const gated = opts.gate ? gatedOf(frame) : undefined;
              const s = opts.gate
                ? gated
                  ? opts.strength *
                    correctionWeight(gated.outputs.probs, gated.outputs.amounts, gateSettings, gated.share)
                  : 0
                : opts.strength;
              // Affine maps average linearly: the weighted mean of the windows' corrections, then
              // scaled towards the identity by `strength`.
              // With one window (consecutive windows, the default) its answer is used as it is:
              // each frame's coefficients are its own.
              const first = parts[0]!.result;
              let coef = first.coef;
              if (parts.length > 1) {
                coef = new Float32Array(first.coef.length);
                const total = parts.reduce((a, p) => a + p.weight, 0);
                for (const { result, weight } of parts) {
                  const w = weight / total;
                  for (let i = 0; i < coef.length; i++) coef[i]! += w * result.coef[i]!;
                }
              }
              if (s < 1) {
                for (let i = 0; i < coef.length; i++)
                  coef[i] = IDENTITY[i % 12]! + s * (coef[i]! - IDENTITY[i % 12]!);
              }
              const { width, height } = frame.image;
              applyCoefficientsToImage(
                coef,
                first.gridWidth,
                first.gridHeight,
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
              (c) => giveBackModelClient('cgan', dir, opts.backend, c),
              () => {},
            );
          }),
        );
      });
  },
});
