/*
 * The training loop both networks share: steps, validation and early stopping, checkpoints that a
 * killed run resumes from, progress, and a JSON log.
 *
 * Files in the output folder:
 *   model.json, weights.bin        the best model so far (by validation loss): what ships
 *   checkpoint/model.json, ...     the latest state: parameters, optimiser moments, step, best loss
 *   train.jsonl                    one JSON object per logged step and per validation
 *
 * Resuming: a run started with an output folder that holds a checkpoint of the same kind and
 * configuration carries on from the checkpoint's step, with the optimiser's moments restored and
 * the random stream re-seeded from (seed, step), so a resumed run is itself reproducible.
 */
import { appendFile, mkdir, readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { tf } from './backend.js';
import { loadModel, saveModel, type Params } from './params.js';
import { createRng, type Rng } from '../detune/random.js';
import type { Logger } from '../util/logger.js';
import { UsageError } from '../util/errors.js';

export interface TrainOptions {
  readonly out: string;
  readonly steps: number;
  readonly seed: number;
  /** Validate (and maybe save the best model) every this many steps. */
  readonly validateEvery: number;
  /** Stop after this many validations without improvement. */
  readonly patience: number;
  /** Wall-clock limit in seconds (0: none): stop cleanly, keeping the best model. */
  readonly maxSeconds: number;
  /** Log a progress line every this many steps. */
  readonly logEvery: number;
  /** Start over even if the output folder holds a checkpoint. */
  readonly fresh: boolean;
}

/** What a network's trainer supplies to the loop. */
export interface TrainTask<C> {
  readonly format: string;
  readonly config: C;
  /** Named groups of trainable parameters (e.g. generator, discriminator), saved together. */
  readonly groups: Record<string, Params>;
  /** Which groups make the shipped model. */
  readonly shipped: readonly string[];
  readonly optimizers: Record<string, tf.Optimizer>;
  /** One optimisation step; returns its losses (plain numbers). */
  step(rng: Rng, step: number): Promise<Record<string, number>>;
  /** Losses and metrics on the validation split; `loss` decides early stopping. */
  validate(): Promise<{ loss: number } & Record<string, number>>;
  /** Facts recorded with the shipped model. */
  describe(): Record<string, unknown>;
}

interface CheckpointState {
  step: number;
  bestLoss: number;
  bestStep: number;
  sinceBest: number;
  elapsed: number;
  configJson: string;
}

function allParams(groups: Record<string, Params>, only?: readonly string[]): Params {
  const out: Params = new Map();
  for (const [g, params] of Object.entries(groups)) {
    if (only && !only.includes(g)) continue;
    for (const [k, v] of params) out.set(k, v);
  }
  return out;
}

async function optimizerTensors(optimizers: Record<string, tf.Optimizer>): Promise<Params> {
  const out: Params = new Map();
  for (const [name, opt] of Object.entries(optimizers)) {
    const weights = await opt.getWeights();
    weights.forEach((w, i) => out.set(`opt/${name}/${String(i).padStart(4, '0')}`, w.tensor as tf.Variable));
  }
  return out;
}

async function restoreOptimizers(optimizers: Record<string, tf.Optimizer>, saved: Params): Promise<void> {
  for (const [name, opt] of Object.entries(optimizers)) {
    const prefix = `opt/${name}/`;
    const entries = [...saved.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) continue;
    // Adam keeps its moments in the order of the variables it updates; names do not survive a
    // restart, order does (parameters are declared in a fixed order).
    await opt.setWeights(entries.map(([k, t]) => ({ name: k, tensor: t })));
  }
}

/** Runs the loop. Returns the step it stopped at and why. */
export async function train<C>(
  task: TrainTask<C>,
  opts: TrainOptions,
  logger: Logger,
  signal?: AbortSignal,
  onProgress?: (
    record: { kind: 'train' | 'validation'; step: number; steps: number } & Record<string, unknown>,
  ) => void,
): Promise<{ step: number; reason: string; bestLoss: number; bestStep: number }> {
  await mkdir(opts.out, { recursive: true });
  const logFile = path.join(opts.out, 'train.jsonl');
  const checkpointDir = path.join(opts.out, 'checkpoint');
  const configJson = JSON.stringify(task.config);
  let state: CheckpointState = {
    step: 0,
    bestLoss: Infinity,
    bestStep: 0,
    sinceBest: 0,
    elapsed: 0,
    configJson,
  };
  if (opts.fresh) {
    await rm(checkpointDir, { recursive: true, force: true });
    await rm(logFile, { force: true });
  } else {
    const resumed = await tryResume(task, checkpointDir, configJson);
    if (resumed) {
      state = resumed;
      logger.info({ step: state.step, bestLoss: state.bestLoss }, `resuming from ${checkpointDir}`);
    }
  }
  const log = async (record: Record<string, unknown>): Promise<void> => {
    await appendFile(logFile, `${JSON.stringify({ time: new Date().toISOString(), ...record })}\n`);
  };
  const saveCheckpoint = async (): Promise<void> => {
    const params = allParams(task.groups);
    for (const [k, v] of await optimizerTensors(task.optimizers)) params.set(k, v);
    await saveModel(
      checkpointDir,
      { format: `${task.format}-checkpoint`, formatVersion: 1, config: task.config, training: { ...state } },
      params,
    );
  };
  const saveBest = async (): Promise<void> => {
    await saveModel(
      opts.out,
      {
        format: task.format,
        formatVersion: 1,
        config: task.config,
        training: {
          ...task.describe(),
          step: state.step,
          validationLoss: state.bestLoss,
          seconds: Math.round(state.elapsed),
        },
      },
      allParams(task.groups, task.shipped),
    );
  };

  let reason = 'steps';
  const started = performance.now() - state.elapsed * 1000;
  let windowStart = performance.now();
  let windowSteps = 0;
  const firstStep = state.step;
  let rng = createRng((opts.seed + state.step * 7919) >>> 0);
  while (state.step < opts.steps) {
    if (signal?.aborted) {
      reason = 'interrupted';
      await saveCheckpoint();
      break;
    }
    const losses = await task.step(rng, state.step);
    state.step++;
    windowSteps++;
    state.elapsed = (performance.now() - started) / 1000;
    if (state.step % opts.logEvery === 0 || state.step === opts.steps) {
      const now = performance.now();
      const stepsPerSecond = windowSteps / ((now - windowStart) / 1000);
      windowStart = now;
      windowSteps = 0;
      const eta = Math.round((opts.steps - state.step) / stepsPerSecond);
      const record = {
        step: state.step,
        ...round(losses),
        stepsPerSecond: +stepsPerSecond.toFixed(2),
        etaSeconds: eta,
      };
      logger.info(record, 'train');
      onProgress?.({ kind: 'train', steps: opts.steps, ...record });
      await log({ kind: 'train', ...record });
    }
    if (state.step % opts.validateEvery === 0 || state.step === opts.steps) {
      const v = await task.validate();
      const improved = v.loss < state.bestLoss;
      if (improved) {
        state.bestLoss = v.loss;
        state.bestStep = state.step;
        state.sinceBest = 0;
        await saveBest();
      } else {
        state.sinceBest++;
      }
      logger.info({ step: state.step, ...round(v), best: improved }, 'validation');
      onProgress?.({ kind: 'validation', step: state.step, steps: opts.steps, ...round(v), best: improved });
      await log({ kind: 'validation', step: state.step, ...round(v), best: improved });
      // Re-seeded at every checkpoint so that a run resumed from here draws what it would have.
      await saveCheckpoint();
      rng = createRng((opts.seed + state.step * 7919) >>> 0);
      if (state.sinceBest >= opts.patience) {
        reason = 'early stop';
        break;
      }
    }
    if (opts.maxSeconds > 0 && state.elapsed >= opts.maxSeconds) {
      reason = 'time limit';
      break;
    }
  }
  if (state.step > firstStep && state.bestStep === 0) await saveBest();
  await log({ kind: 'end', step: state.step, reason, bestLoss: state.bestLoss, bestStep: state.bestStep });
  return { step: state.step, reason, bestLoss: state.bestLoss, bestStep: state.bestStep };
}

function round(r: Record<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(r)) out[k] = Number.isFinite(v) ? +v.toPrecision(5) : v;
  return out;
}

async function tryResume<C>(
  task: TrainTask<C>,
  dir: string,
  configJson: string,
): Promise<CheckpointState | null> {
  try {
    await readFile(path.join(dir, 'model.json'));
  } catch {
    return null;
  }
  const { file, params } = await loadModel<C>(dir, `${task.format}-checkpoint`);
  const state = file.training as unknown as CheckpointState;
  if (state.configJson !== configJson) {
    throw new UsageError(
      'E_MODEL',
      `The checkpoint in ${dir} was made with another configuration (${state.configJson}); use --fresh to start over`,
    );
  }
  for (const group of Object.values(task.groups)) {
    for (const [k, v] of group) {
      const saved = params.get(k);
      if (!saved) throw new UsageError('E_MODEL', `The checkpoint in ${dir} lacks parameter ${k}`);
      v.assign(saved);
    }
  }
  await restoreOptimizers(task.optimizers, params);
  for (const v of params.values()) v.dispose();
  return state;
}
