#!/usr/bin/env -S node --max-semi-space-size=1
// A 1 MiB young generation: vgrade allocates little per frame, and with V8's default (growing to
// 16 MiB semi-spaces over a long run) Node's peak memory rose with the footage's length
// (measured: 89.5 MiB for 10 s of 1080p, 101.9 MiB for 120 s; with this flag 83.4 and 86.7).
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runGrade, type GradeCommand } from './commands/grade.js';
import { runDoctor } from './commands/doctor.js';
import { runDataset } from './commands/dataset.js';
import { runEval } from './commands/eval.js';
import { runSchema } from './commands/schema.js';
import { runExplain } from './commands/explain.js';
import { VgradeError } from '../util/errors.js';
import { packageVersion } from '../util/packageRoot.js';

/** Exit statuses: 0 done, 1 failed while working, 2 usage or configuration error, 130 interrupted. */
async function main(argv: string[]): Promise<number> {
  let status = 0;
  const parser = yargs(argv)
    .scriptName('vgrade')
    .version(packageVersion())
    .usage('$0 <command> [options]\n\nAutomatic colour grading of video and stills, as a stream.')
    .option('log-level', {
      type: 'string',
      choices: ['trace', 'debug', 'info', 'warn', 'error', 'silent'],
      default: 'warn',
      describe: 'Log level (logs are JSON on stderr, pretty in a terminal)',
    })
    .option('quiet', {
      alias: 'q',
      type: 'boolean',
      default: false,
      describe: 'Only errors on stderr, no progress',
    })
    .command(
      'grade <inputs..>',
      'Grade videos, stills or standard input (-) with a pipeline',
      (y) =>
        y
          .positional('inputs', {
            type: 'string',
            array: true,
            demandOption: true,
            describe: 'Files, image sequences (a%04d.png) or - for stdin',
          })
          .option('output', {
            alias: 'o',
            type: 'string',
            demandOption: true,
            describe: 'Output file, folder (for several inputs) or - for stdout',
          })
          .option('pipeline', {
            alias: 'p',
            type: 'string',
            default: 'grade',
            describe: 'Pipeline file, or the name of a shipped one (grade, classical)',
          })
          .option('set', {
            type: 'string',
            array: true,
            default: [],
            describe: 'Override a stage option: stage.option=value (repeatable)',
          })
          .option('format', {
            alias: 'f',
            type: 'string',
            describe: 'Output container, e.g. nut, matroska, mp4 (needed for -o -; default nut)',
          })
          .option('input-format', {
            type: 'string',
            describe: 'Input container when ffmpeg cannot tell, e.g. for stdin: nut, matroska, y4m',
          })
          .option('codec', {
            type: 'string',
            describe: 'Video encoder, e.g. libx264, libx265, prores_ks, ffv1',
          })
          .option('crf', { type: 'number', describe: 'Constant rate factor for the encoder' })
          .option('preset', { type: 'string', describe: 'Encoder preset, e.g. veryfast, medium, slow' })
          .option('progress', {
            type: 'string',
            choices: ['auto', 'bar', 'json', 'none'],
            default: 'auto',
            describe: 'Progress on stderr',
          }),
      async (args) => {
        status = await runGrade(gradeCommand(args, args.pipeline, args.set as string[]));
      },
    )
    .command(
      'detune <inputs..>',
      'Apply named detunes (e.g. green-2,contrast-high-1) to videos or stills: for demos and for testing graders',
      (y) =>
        y
          .positional('inputs', {
            type: 'string',
            array: true,
            demandOption: true,
            describe: 'Files or - for stdin',
          })
          .option('output', {
            alias: 'o',
            type: 'string',
            demandOption: true,
            describe: 'Output file or folder',
          })
          .option('detune', {
            alias: 'd',
            type: 'string',
            demandOption: true,
            describe: 'Detunes: family-level (green-2) or family:amount (green:1.5), comma-separated',
          })
          .option('format', { alias: 'f', type: 'string', describe: 'Output container (needed for -o -)' })
          .option('input-format', { type: 'string', describe: 'Input container for stdin' })
          .option('codec', { type: 'string', describe: 'Video encoder' })
          .option('crf', { type: 'number', describe: 'Constant rate factor' })
          .option('preset', { type: 'string', describe: 'Encoder preset' })
          .option('progress', { type: 'string', choices: ['auto', 'bar', 'json', 'none'], default: 'auto' }),
      async (args) => {
        status = await runGrade(gradeCommand(args, 'detune', [`detune.detunes=${args.detune}`]));
      },
    )
    .command(
      'dataset',
      'Build (detuned, reference) training pairs from videos and photographs, split by source',
      (y) =>
        y
          .option('from', {
            type: 'string',
            array: true,
            demandOption: true,
            describe: 'Files or folders of videos and photos',
          })
          .option('out', {
            type: 'string',
            demandOption: true,
            describe: 'Folder to write (pairs and manifest.jsonl)',
          })
          .option('size', { type: 'string', default: '456x256', describe: 'Proxy size WxH' })
          .option('fit', {
            type: 'string',
            choices: ['crop', 'pad'],
            default: 'crop',
            describe: 'How other aspect ratios fit, without distortion',
          })
          .option('frames', { type: 'number', default: 8, describe: 'Single frames sampled per video' })
          .option('runs', {
            type: 'number',
            default: 2,
            describe: 'Runs of consecutive frames sampled per video',
          })
          .option('run-length', {
            type: 'number',
            default: 18,
            describe: 'Frames per run (the paper trained on 18)',
          })
          .option('variants', { type: 'number', default: 4, describe: 'Detuned variants per photograph' })
          .option('seed', { type: 'number', default: 1, describe: 'Seed of every random choice' })
          .option('ab', {
            type: 'boolean',
            default: false,
            describe: "The paper's side-by-side layout (input | reference)",
          }),
      async (args) => {
        status = await runDataset({
          from: args.from as string[],
          out: args.out,
          size: args.size,
          fit: args.fit as 'crop' | 'pad',
          frames: args.frames,
          runs: args.runs,
          runLength: args['run-length'],
          variants: args.variants,
          seed: args.seed,
          ab: args.ab,
          quiet: args.quiet,
          logLevel: args['log-level'] as string,
        });
      },
    )
    .command(
      'eval',
      'Measure graders on a data set split: CIEDE2000, PSNR, exact pixels, flicker; baselines in the same run',
      (y) =>
        y
          .option('data', {
            type: 'string',
            demandOption: true,
            describe: 'A folder written by vgrade dataset',
          })
          .option('split', {
            type: 'string',
            choices: ['train', 'test', 'validation'],
            default: 'validation',
          })
          .option('pipeline', {
            alias: 'p',
            type: 'string',
            array: true,
            default: ['classical'],
            describe: 'Pipelines to measure',
          })
          .option('baselines', {
            type: 'boolean',
            default: true,
            describe: "Include ffmpeg's automatic filters",
          })
          .option('limit', { type: 'number', describe: 'Only the first N samples' })
          .option('set', {
            type: 'string',
            array: true,
            default: [],
            describe: 'Override a stage option of the measured pipelines: stage.option=value',
          })
          .option('out', { type: 'string', describe: 'Report folder (default DATA/eval-SPLIT)' }),
      async (args) => {
        status = await runEval({
          data: args.data,
          split: args.split as 'validation',
          pipelines: args.pipeline as string[],
          sets: args.set as string[],
          out: args.out,
          limit: args.limit,
          baselines: args.baselines,
          quiet: args.quiet,
          logLevel: args['log-level'] as string,
        });
      },
    )
    .command(
      'doctor',
      'Show the ffmpeg and ffprobe in use, their versions, the encoders and filters that matter, and the model backend',
      (y) => y.option('json', { type: 'boolean', default: false, describe: 'Print JSON' }),
      async (args) => {
        status = await runDoctor({ json: args.json });
      },
    )
    .command(
      'schema',
      'Write the JSON Schema of pipeline files (for editors)',
      (y) => y.option('output', { alias: 'o', type: 'string', describe: 'File to write (default: stdout)' }),
      async (args) => {
        status = await runSchema({ output: args.output });
      },
    )
    .command(
      'explain <pipeline>',
      "Print a pipeline's stages, ring size, delay and memory for a frame size",
      (y) =>
        y
          .positional('pipeline', {
            type: 'string',
            demandOption: true,
            describe: 'Pipeline file or shipped name',
          })
          .option('size', { type: 'string', default: '1920x1080', describe: 'Source frame size WxH' })
          .option('depth', {
            type: 'number',
            choices: [8, 16],
            default: 8,
            describe: 'Bits per channel of the source',
          })
          .option('set', {
            type: 'string',
            array: true,
            default: [],
            describe: 'Override a stage option: stage.option=value',
          }),
      async (args) => {
        status = await runExplain({
          pipeline: args.pipeline,
          size: args.size,
          depth: args.depth as 8 | 16,
          sets: args.set as string[],
        });
      },
    )
    .demandCommand(1, 'Name a command: grade, detune, dataset, eval, doctor, schema or explain')
    .strict()
    .help()
    .wrap(Math.min(110, process.stdout.columns || 110))
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`vgrade: ${msg}\nRun "vgrade --help" for usage.\n`);
      status = 2;
      throw new ExitSignal();
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    if (err instanceof ExitSignal) return status;
    if (err instanceof VgradeError) {
      process.stderr.write(`vgrade: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`vgrade: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
  return status;
}

class ExitSignal extends Error {}

/** The arguments `grade` and `detune` share, as the grade command takes them. */
function gradeCommand(
  args: {
    inputs?: unknown;
    output: string;
    format?: string | undefined;
    'input-format'?: string | undefined;
    codec?: string | undefined;
    crf?: number | undefined;
    preset?: string | undefined;
    progress: string;
    quiet: boolean;
    'log-level': string;
  },
  pipeline: string,
  sets: string[],
): GradeCommand {
  return {
    inputs: (args.inputs as string[]).map(stdio),
    output: stdio(args.output),
    pipeline,
    sets,
    format: args.format,
    inputFormat: args['input-format'],
    codec: args.codec,
    crf: args.crf,
    preset: args.preset,
    progress: args.progress as GradeCommand['progress'],
    quiet: args.quiet,
    logLevel: args['log-level'],
  };
}

function stdio(value: string): string {
  return value === STDIO_TOKEN ? '-' : value;
}

/**
 * yargs drops a lone "-" (stdin/stdout in every Unix tool); carry it through as a token of our own
 * and turn it back into "-" where the command reads its arguments.
 */
export const STDIO_TOKEN = '\u0000stdio';
const argv = hideBin(process.argv).map((a) => (a === '-' ? STDIO_TOKEN : a));

main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`vgrade: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
