import { commandLogger, type LogFormat } from '../../util/logger.js';
import { resolveBinaries } from '../../ffmpeg/binaries.js';
import { UsageError } from '../../util/errors.js';
import type { BackendChoice } from '../../models/choices.js';
import type { PairSet } from '../../models/data.js';
import type { TrainOptions } from '../../models/trainer.js';
import type { CganSource } from '../../models/cgan/train.js';
import { listSources } from '../../dataset/build.js';
import { defineCommand, logging } from '../command.js';
import { BACKEND_OPTION } from '../options.js';

export interface TrainCommand {
  network: 'cgan' | 'classifier' | 'ensemble';
  /** ensemble: the trained classifier folders to combine. */
  members: string[];
  /** ensemble: store the weights in half precision. */
  float16: boolean;
  data?: string;
  pairs?: string[];
  size: string;
  out: string;
  steps?: number;
  seed: number;
  backend: BackendChoice;
  window: number;
  base?: number;
  batch?: number;
  learningRate?: number;
  weightDecay?: number;
  mseWeight?: number;
  adversarialWeight?: number;
  validateEvery: number;
  patience: number;
  maxMinutes: number;
  logEvery: number;
  fresh: boolean;
  /** Frames taken from each training video beside the data set's own (0: the data set's only). */
  framesPerVideo: number;
  /** Files or folders of more clean videos and photographs, for training only. */
  extra: string[];
  /** classifier: what the network reads, the grid's pixels or the proxy's colour statistics. */
  inputs: 'grid' | 'statistics';
  quiet: boolean;
  logLevel: string;
  logFormat: LogFormat;
}

/** Training steps when --steps is not given. */
const DEFAULT_STEPS: Readonly<Record<'cgan' | 'classifier', number>> = { cgan: 4000, classifier: 6000 };

function checkInt(name: string, value: number | undefined, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (value === undefined) return;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(
      'E_USAGE',
      `Expected integer between ${min} and ${max} for ${name} but received ${String(value)}`,
    );
  }
}

function checkNumber(name: string, value: number | undefined, min: number): void {
  if (value === undefined) return;
  if (!Number.isFinite(value) || value < min) {
    throw new UsageError(
      'E_USAGE',
      `Expected number of at least ${min} for ${name} but received ${String(value)}`,
    );
  }
}

/** Holds out the last sixth of a user's pairs (the end of a video) for validation. */
function splitPairs(pairs: PairSet): { train: PairSet; validation: PairSet } {
  const n = pairs.inputs.length;
  if (n < 2)
    throw new UsageError('E_DATA', `Expected at least 2 pairs to train and validate on but found ${n}`);
  const cut = n - Math.max(1, Math.round(n / 6));
  return {
    train: { inputs: pairs.inputs.slice(0, cut), targets: pairs.targets.slice(0, cut) },
    validation: { inputs: pairs.inputs.slice(cut), targets: pairs.targets.slice(cut) },
  };
}

function describeSource(source: CganSource): Record<string, number> {
  if (source.kind === 'pairs')
    return { trainPairs: source.train.inputs.length, validationPairs: source.validation.inputs.length };
  return {
    trainFrames: source.train.frames.length,
    trainRuns: source.train.runs.length,
    trainCanvases: source.train.canvases?.length ?? 0,
    validationFrames: source.validation.frames.length,
  };
}

/** `vgrade train ensemble --members A B --out DIR`: trained classifiers combined into one folder. */
async function runEnsemble(cmd: TrainCommand): Promise<number> {
  if (cmd.members.length < 2) {
    throw new UsageError('E_USAGE', 'Name the classifiers to combine: --members DIR DIR ...');
  }
  const [{ useBackend }, { combineClassifiers }] = await Promise.all([
    import('../../models/backend.js'),
    import('../../models/classifier/combine.js'),
  ]);
  await useBackend(cmd.backend);
  const result = await combineClassifiers(cmd.members, cmd.out, { float16: cmd.float16 });
  process.stdout.write(`${JSON.stringify({ network: 'ensemble', out: cmd.out, ...result })}\n`);
  return 0;
}

/** `vgrade train cgan|classifier --data DIR --out DIR`, or `vgrade train ensemble`. */
export async function runTrain(cmd: TrainCommand): Promise<number> {
  if (cmd.network === 'ensemble') return runEnsemble(cmd);
  if (cmd.members.length > 0) throw new UsageError('E_USAGE', '--members is for vgrade train ensemble');
  if (cmd.float16) throw new UsageError('E_USAGE', '--float16 is for vgrade train ensemble');
  checkInt('--steps', cmd.steps, 1);
  checkInt('--window', cmd.window, 1, 64);
  checkInt('--base', cmd.base, 2, 128);
  checkInt('--batch', cmd.batch, 1, 1024);
  checkInt('--validate-every', cmd.validateEvery, 1);
  checkInt('--patience', cmd.patience, 1);
  checkInt('--log-every', cmd.logEvery, 1);
  checkInt('--frames-per-video', cmd.framesPerVideo, 0);
  checkNumber('--learning-rate', cmd.learningRate, 0);
  checkNumber('--weight-decay', cmd.weightDecay, 0);
  checkNumber('--mse-weight', cmd.mseWeight, 0);
  checkNumber('--adversarial-weight', cmd.adversarialWeight, 0);
  checkNumber('--max-minutes', cmd.maxMinutes, 0);
  const size = /^(\d+)x(\d+)$/.exec(cmd.size);
  if (!size)
    throw new UsageError(
      'E_USAGE',
      `Expected WxH (e.g. 456x256) for --size but received ${JSON.stringify(cmd.size)}`,
    );
  if (!cmd.data && !cmd.pairs)
    throw new UsageError(
      'E_USAGE',
      'Name the training data: --data DIR (a vgrade dataset) or --pairs BEFORE AFTER',
    );
  if (cmd.data && cmd.pairs) throw new UsageError('E_USAGE', 'Give --data or --pairs, not both');
  if (cmd.pairs && cmd.pairs.length !== 2) {
    throw new UsageError(
      'E_USAGE',
      `Expected two paths for --pairs (BEFORE AFTER) but received ${cmd.pairs.length}`,
    );
  }
  if (cmd.inputs === 'statistics' && cmd.network !== 'classifier') {
    throw new UsageError('E_USAGE', '--inputs statistics is for the classifier; the cgan reads the grid');
  }
  if (cmd.pairs && cmd.network === 'classifier') {
    throw new UsageError(
      'E_USAGE',
      'The classifier learns the detune classes and trains on --data only; --pairs is for the cgan',
    );
  }

  // Loaded here, not with the command's module: TensorFlow.js comes with them, and every other
  // command starts without it.
  const [
    { useBackend },
    { train },
    { createCganTask, DEFAULT_CGAN_TRAIN },
    { DEFAULT_GENERATOR },
    { DEFAULT_DISCRIMINATOR },
    { createClassifierTask, DEFAULT_CLASSIFIER_TRAIN },
    { DEFAULT_CLASSIFIER, DEFAULT_STATISTICS_CLASSIFIER },
    { countParams },
    { loadPairs, loadReferences },
  ] = await Promise.all([
    import('../../models/backend.js'),
    import('../../models/trainer.js'),
    import('../../models/cgan/train.js'),
    import('../../models/cgan/generator.js'),
    import('../../models/cgan/discriminator.js'),
    import('../../models/classifier/train.js'),
    import('../../models/classifier/network.js'),
    import('../../models/params.js'),
    import('../../models/data.js'),
  ]);
  const logger = commandLogger(cmd);
  const backend = await useBackend(cmd.backend);
  const abort = new AbortController();
  const onSignal = (): void => {
    logger.warn('interrupted: saving a checkpoint; run the same command again to resume');
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const started = Date.now();
  const loadTrain = async () => {
    // The train split's held-out frames (the paper's protocol, `vgrade eval --protocol frames`)
    // are never trained on.
    if (cmd.framesPerVideo === 0 && cmd.extra.length === 0)
      return loadReferences(cmd.data!, 'train', { frames: 'trainable' });
    const binaries = await resolveBinaries();
    return loadReferences(cmd.data!, 'train', {
      frames: 'trainable',
      canvases: {
        ffmpeg: binaries.ffmpeg,
        ffprobe: binaries.ffprobe,
        framesPerVideo: cmd.framesPerVideo,
        extra: await listSources(cmd.extra),
        onSkip: (source, reason) =>
          logger.warn({ source, reason }, 'source media not read; using its data set frames only'),
      },
    });
  };
  const progress = (r: { kind: string; step: number; steps: number } & Record<string, unknown>): void => {
    if (cmd.quiet) return;
    const { kind, step, steps, etaSeconds, stepsPerSecond, best, ...values } = r;
    const figures = Object.entries(values)
      .map(([k, v]) => `${k} ${String(v)}`)
      .join(', ');
    if (kind === 'train') {
      const eta = Number(etaSeconds);
      const etaText = `${Math.floor(eta / 3600)}h${String(Math.floor((eta % 3600) / 60)).padStart(2, '0')}m`;
      process.stderr.write(
        `train ${cmd.network}: step ${step}/${steps}, ${figures}, ${String(stepsPerSecond)} steps/s, ETA ${etaText}\n`,
      );
    } else {
      process.stderr.write(
        `validate ${cmd.network}: step ${step}, ${figures}${best ? ' (best so far: saved)' : ''}\n`,
      );
    }
  };
  const options: TrainOptions = {
    out: cmd.out,
    steps: cmd.steps ?? DEFAULT_STEPS[cmd.network],
    seed: cmd.seed,
    validateEvery: cmd.validateEvery,
    patience: cmd.patience,
    maxSeconds: cmd.maxMinutes * 60,
    logEvery: cmd.logEvery,
    fresh: cmd.fresh,
  };
  try {
    let result;
    if (cmd.network === 'cgan') {
      let source: CganSource;
      let input: { width: number; height: number };
      if (cmd.pairs) {
        const binaries = await resolveBinaries();
        input = { width: Number(size[1]), height: Number(size[2]) };
        const pairs = await loadPairs(
          binaries.ffmpeg,
          cmd.pairs[0]!,
          cmd.pairs[1]!,
          input.width,
          input.height,
        );
        source = { kind: 'pairs', ...splitPairs(pairs) };
      } else {
        const trainSet = await loadTrain();
        const validation = await loadReferences(cmd.data!, 'validation');
        input = { width: trainSet.width, height: trainSet.height };
        source = { kind: 'references', train: trainSet, validation };
      }
      const task = createCganTask(
        {
          ...DEFAULT_CGAN_TRAIN,
          ...(cmd.batch !== undefined && { batch: cmd.batch }),
          ...(cmd.learningRate !== undefined && { learningRate: cmd.learningRate }),
          ...(cmd.mseWeight !== undefined && { mseWeight: cmd.mseWeight }),
          ...(cmd.adversarialWeight !== undefined && { adversarialWeight: cmd.adversarialWeight }),
          input,
          generator: {
            ...DEFAULT_GENERATOR,
            window: cmd.pairs ? 1 : cmd.window,
            ...(cmd.base !== undefined && { base: cmd.base }),
          },
          discriminator: DEFAULT_DISCRIMINATOR,
        },
        source,
        cmd.seed,
      );
      logger.info(
        { backend, parameters: countParams(task.generator), steps: options.steps, ...describeSource(source) },
        'training cgan',
      );
      result = await train(task, options, logger, abort.signal, progress);
    } else {
      const trainSet = await loadTrain();
      const validation = await loadReferences(cmd.data!, 'validation');
      const task = createClassifierTask(
        {
          ...DEFAULT_CLASSIFIER_TRAIN,
          ...(cmd.batch !== undefined && { batch: cmd.batch }),
          ...(cmd.learningRate !== undefined && { learningRate: cmd.learningRate }),
          ...(cmd.weightDecay !== undefined && { weightDecay: cmd.weightDecay }),
          input: { width: trainSet.width, height: trainSet.height },
          network:
            cmd.inputs === 'statistics'
              ? DEFAULT_STATISTICS_CLASSIFIER
              : { ...DEFAULT_CLASSIFIER, ...(cmd.base !== undefined && { base: cmd.base }) },
        },
        trainSet,
        validation,
        cmd.seed,
      );
      logger.info(
        {
          backend,
          parameters: countParams(task.network),
          steps: options.steps,
          ...describeSource({ kind: 'references', train: trainSet, validation }),
        },
        'training classifier',
      );
      result = await train(task, options, logger, abort.signal, progress);
    }
    process.stdout.write(
      `${JSON.stringify({ network: cmd.network, out: cmd.out, backend, ...result, seconds: Math.round((Date.now() - started) / 1000) })}\n`,
    );
    return result.reason === 'interrupted' ? 130 : 0;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

export const trainCommand = defineCommand({
  command: 'train <network>',
  describe:
    'Train the cGAN or the classifier on a data set (or the cGAN on your own before/after pairs); combine classifiers into an ensemble',
  builder: (y) =>
    y
      .positional('network', {
        type: 'string',
        choices: ['cgan', 'classifier', 'ensemble'],
        demandOption: true,
      })
      .options({
        members: {
          type: 'string',
          array: true,
          default: [] as string[],
          describe:
            'ensemble: trained classifier folders whose outputs are averaged (DIR#K: the K-th network of an ensemble, from 0)',
        },
        float16: {
          type: 'boolean',
          default: false,
          describe: 'ensemble: store the weights in half precision (half the size; values within 1/2048)',
        },
        data: { type: 'string', describe: 'A folder written by vgrade dataset' },
        pairs: {
          type: 'string',
          array: true,
          describe:
            'BEFORE AFTER: two folders of frames matched by name, or two videos matched frame by frame',
        },
        size: { type: 'string', default: '456x256', describe: 'Proxy size WxH for --pairs' },
        out: { type: 'string', demandOption: true, describe: 'Folder for the model, checkpoints and log' },
        steps: {
          type: 'number',
          describe: `Training steps (default ${String(DEFAULT_STEPS.cgan)} cgan, ${String(DEFAULT_STEPS.classifier)} classifier)`,
        },
        seed: { type: 'number', default: 1 },
        backend: { ...BACKEND_OPTION, default: 'auto', describe: 'TensorFlow.js backend' },
        window: {
          type: 'number',
          default: 18,
          describe: 'cgan: frames per temporal window (1: per-frame form only)',
        },
        base: { type: 'number', describe: 'Channels of the first layer' },
        batch: { type: 'number', describe: 'Frames per batch' },
        'learning-rate': { type: 'number' },
        'weight-decay': {
          type: 'number',
          describe: 'classifier: L2 penalty on the weights (default 1e-4)',
        },
        'mse-weight': { type: 'number', describe: 'cgan: weight of the MSE loss (default 100)' },
        'adversarial-weight': {
          type: 'number',
          describe: 'cgan: weight of the adversarial loss (default 0.05)',
        },
        'validate-every': { type: 'number', default: 100 },
        patience: {
          type: 'number',
          default: 8,
          describe: 'Stop after this many validations without improvement',
        },
        'max-minutes': { type: 'number', default: 0, describe: 'Stop cleanly after this long (0: no limit)' },
        'log-every': { type: 'number', default: 20 },
        fresh: { type: 'boolean', default: false, describe: 'Ignore a checkpoint in --out' },
        extra: {
          type: 'string',
          array: true,
          default: [] as string[],
          describe: 'More clean videos and photographs (files or folders), for training only',
        },
        inputs: {
          type: 'string',
          choices: ['grid', 'statistics'],
          default: 'grid',
          describe:
            "classifier: read the grid's pixels (convolutional) or the proxy's colour statistics (dense)",
        },
        'frames-per-video': {
          type: 'number',
          default: 40,
          describe: "Frames read from each training video's source beside the data set's (0: none)",
        },
      }),
  handler: (args) =>
    runTrain({
      network: args.network as TrainCommand['network'],
      members: args.members,
      float16: args.float16,
      data: args.data,
      pairs: args.pairs,
      size: args.size,
      out: args.out,
      steps: args.steps,
      seed: args.seed,
      backend: args.backend as BackendChoice,
      window: args.window,
      base: args.base,
      batch: args.batch,
      learningRate: args['learning-rate'],
      weightDecay: args['weight-decay'],
      mseWeight: args['mse-weight'],
      adversarialWeight: args['adversarial-weight'],
      validateEvery: args['validate-every'],
      patience: args.patience,
      maxMinutes: args['max-minutes'],
      logEvery: args['log-every'],
      fresh: args.fresh,
      framesPerVideo: args['frames-per-video'],
      extra: args.extra,
      inputs: args.inputs as TrainCommand['inputs'],
      ...logging(args),
    }),
});
