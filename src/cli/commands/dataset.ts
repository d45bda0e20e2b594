import { commandLogger, type LogFormat } from '../../util/logger.js';
import { resolveBinaries } from '../../ffmpeg/binaries.js';
import { getCapabilities } from '../../ffmpeg/capabilities.js';
import { buildDataset } from '../../dataset/build.js';
import { readSplitList } from '../../manifest/splitList.js';
import { UsageError } from '../../util/errors.js';
import { defineCommand, logging } from '../command.js';

export interface DatasetCommand {
  from: string[];
  out: string;
  size: string;
  fit: 'crop' | 'pad';
  frames: number;
  runs: number;
  runLength: number;
  steadyRuns: boolean;
  variants: number;
  seed: number;
  ab: boolean;
  splits?: string;
  quiet: boolean;
  logLevel: string;
  logFormat: LogFormat;
}

/** `vgrade dataset --from PATH... --out DIR`: (detuned, reference) pairs and a manifest. */
export async function runDataset(cmd: DatasetCommand): Promise<number> {
  const match = /^(\d+)x(\d+)$/.exec(cmd.size);
  if (!match)
    throw new UsageError(
      'E_USAGE',
      `Expected WxH (e.g. 456x256) for --size but received ${JSON.stringify(cmd.size)}`,
    );
  for (const [name, value, min] of [
    ['--frames', cmd.frames, 0],
    ['--runs', cmd.runs, 0],
    ['--run-length', cmd.runLength, 1],
    ['--variants', cmd.variants, 0],
  ] as const) {
    if (!Number.isInteger(value) || value < min) {
      throw new UsageError('E_USAGE', `Expected integer >= ${min} for ${name} but received ${String(value)}`);
    }
  }
  const splits = cmd.splits === undefined ? undefined : await readSplitList(cmd.splits);
  const logger = commandLogger(cmd);
  const binaries = await resolveBinaries();
  const caps = await getCapabilities(binaries.ffmpeg, logger);
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.on('SIGINT', onSignal);
  const started = Date.now();
  try {
    const result = await buildDataset(
      {
        from: cmd.from,
        out: cmd.out,
        width: Number(match[1]),
        height: Number(match[2]),
        fit: cmd.fit,
        frames: cmd.frames,
        runs: cmd.runs,
        runLength: cmd.runLength,
        steadyRuns: cmd.steadyRuns,
        variants: cmd.variants,
        seed: cmd.seed,
        ab: cmd.ab,
        ...(splits ? { splits } : {}),
      },
      {
        logger,
        binaries,
        caps,
        signal: abort.signal,
        onProgress: (p) => {
          if (!cmd.quiet)
            process.stderr.write(
              `dataset: ${p.sources}/${p.totalSources} sources, ${p.pairs} pairs (${p.source})\n`,
            );
        },
      },
    );
    if (abort.signal.aborted) return 130;
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stdout.write(
      `${JSON.stringify({ out: cmd.out, entries: result.entries, pairs: result.pairs, listed: result.listed, seconds: Number(seconds), sources: Object.fromEntries(Object.entries(result.splits).map(([k, v]) => [k, v.length])) })}\n`,
    );
    return 0;
  } finally {
    process.off('SIGINT', onSignal);
  }
}

export const datasetCommand = defineCommand({
  command: 'dataset',
  describe: 'Build (detuned, reference) training pairs from videos and photographs, split by source',
  builder: (y) =>
    y.options({
      from: {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'Files or folders of videos and photos',
      },
      out: { type: 'string', demandOption: true, describe: 'Folder to write (pairs and manifest.jsonl)' },
      size: { type: 'string', default: '456x256', describe: 'Proxy size WxH' },
      fit: {
        type: 'string',
        choices: ['crop', 'pad'],
        default: 'crop',
        describe: 'How other aspect ratios fit, without distortion',
      },
      frames: { type: 'number', default: 8, describe: 'Single frames sampled per video' },
      runs: { type: 'number', default: 2, describe: 'Runs of consecutive frames sampled per video' },
      'run-length': { type: 'number', default: 18, describe: 'Frames per run (the paper trained on 18)' },
      'steady-runs': {
        type: 'boolean',
        default: false,
        describe: 'Runs keep one detune throughout instead of drifting: measures the flicker a grader adds',
      },
      variants: { type: 'number', default: 4, describe: 'Detuned variants per photograph' },
      seed: { type: 'number', default: 1, describe: 'Seed of every random choice' },
      ab: {
        type: 'boolean',
        default: false,
        describe: "The paper's side-by-side layout (input | reference)",
      },
      splits: {
        type: 'string',
        describe:
          "Split list (name<TAB>split per line, as each data set writes to splits.tsv): the listed sources keep these splits, wherever they are; models/splits.tsv is the shipped models'",
      },
    }),
  handler: (args) =>
    runDataset({
      from: args.from,
      out: args.out,
      size: args.size,
      fit: args.fit as DatasetCommand['fit'],
      frames: args.frames,
      runs: args.runs,
      runLength: args['run-length'],
      steadyRuns: args['steady-runs'],
      variants: args.variants,
      seed: args.seed,
      ab: args.ab,
      ...(args.splits === undefined ? {} : { splits: args.splits }),
      ...logging(args),
    }),
});
