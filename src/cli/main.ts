#!/usr/bin/env -S node --max-semi-space-size=1
// A 1 MiB young generation: vgrade allocates little per frame, and with V8's default (growing to
// 16 MiB semi-spaces over a long run) Node's peak memory rose with the footage's length
// (measured: 89.5 MiB for 10 s of 1080p, 101.9 MiB for 120 s; with this flag 83.4 and 86.7).
import { createRequire } from 'node:module';
import type esmYargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { runGrade, type GradeCommand } from './commands/grade.js';
import type { OnExisting } from '../run/output.js';
import { encode } from '../stages/encode.js';
import { runDataset } from './commands/dataset.js';
import { BACKEND_CHOICES, type BackendChoice } from '../models/choices.js';
import { runSchema } from './commands/schema.js';
import { runExplain } from './commands/explain.js';
import { UsageError, VgradeError } from '../util/errors.js';
import { FAMILIES, LEVELS, MAX_AMOUNT, parseDetuneList } from '../detune/families.js';
import { packageVersion } from '../util/packageRoot.js';
import { LOG_FORMATS, type LogFormat } from '../util/logger.js';
import { EXIT_STDOUT_CLOSED, stdoutClosed, watchStdout } from '../util/stdout.js';

/**
 * yargs' CommonJS build, on purpose: its ES module build wraps help text with a stand-in for
 * wrap-ansi that cuts every line at the width, through the middle of words ("for demo" / "s and
 * for testing"); the CommonJS build uses wrap-ansi and breaks lines between words
 * (yargs/yargs#2112, fixed in yargs 18). The API and its types are the same.
 */
const yargs = createRequire(import.meta.url)('yargs') as typeof esmYargs;

/**
 * Exit statuses: 0 done, 1 failed while working, 2 usage or configuration error, 130 interrupted,
 * 141 standard output closed by its reader (quietly, as `cat`).
 */
async function main(argv: string[]): Promise<number> {
  let status = 0;
  /** The command being run, once yargs has found it: usage errors point to its help. */
  let command: string | undefined;
  const help = (): string => `Run "vgrade ${command ? `${command} ` : ''}--help" for usage.`;
  const parser = yargs(argv)
    .scriptName('vgrade')
    .version(packageVersion())
    .usage('$0 <command> [options]\n\nAutomatic colour grading of video and stills, as a stream.')
    .option('log-level', {
      type: 'string',
      choices: ['trace', 'debug', 'info', 'warn', 'error', 'silent'],
      default: 'warn',
      describe: 'Log level of the logs on stderr',
    })
    .option('log-format', {
      type: 'string',
      choices: LOG_FORMATS,
      default: 'auto',
      describe: 'Logs as text lines, or JSON lines; auto: pretty in a terminal, text lines elsewhere',
    })
    .option('quiet', {
      alias: 'q',
      type: 'boolean',
      default: false,
      describe: 'Only errors on stderr, no progress',
    })
    .middleware((args) => {
      const named = String(args._[0]);
      command = (COMMANDS as readonly string[]).includes(named) ? named : undefined;
    }, true)
    // yargs hands a middleware the parser too, which its types do not say.
    .middleware(
      ((args: Record<string, unknown>, y: DeclaredOptions) => rejectRepeated(args, y.getOptions())) as (
        args: Record<string, unknown>,
      ) => void,
      true,
    )
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
          .option('strength', STRENGTH_OPTION)
          .option('progress', {
            type: 'string',
            choices: ['auto', 'bar', 'json', 'none'],
            default: 'auto',
            describe: 'Progress on stderr',
          })
          .option('export', {
            type: 'string',
            describe: "Also write each shot's correction here: .cube and ASC CDL (.cc, .ccc, CMX .edl)",
          })
          .options(EXISTING_OPTIONS)
          .option('backend', BACKEND_OPTION),
      async (args) => {
        status = await runGrade({
          ...gradeCommand(args, args.pipeline, [...(args.set as string[]), ...strengthSets(args.strength)]),
          exportDir: args.export,
          backend: args.backend,
        });
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
          .option('progress', { type: 'string', choices: ['auto', 'bar', 'json', 'none'], default: 'auto' })
          .options(EXISTING_OPTIONS),
      async (args) => {
        checkDetuneFlag(args.detune);
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
          .option('steady-runs', {
            type: 'boolean',
            default: false,
            describe:
              'Runs keep one detune throughout instead of drifting: measures the flicker a grader adds',
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
          steadyRuns: args['steady-runs'],
          variants: args.variants,
          seed: args.seed,
          ab: args.ab,
          quiet: args.quiet,
          logLevel: args['log-level'] as string,
          logFormat: args['log-format'] as LogFormat,
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
          .option('out', { type: 'string', describe: 'Report folder (default DATA/eval-SPLIT)' })
          .option('cgan', { type: 'string', describe: 'A cGAN model folder to measure (e.g. models/cgan)' })
          .option('classifier', {
            type: 'string',
            describe: "A classifier model folder: the paper's table and the doubles table",
          })
          .option('protocol', {
            type: 'string',
            choices: ['sources', 'frames'],
            default: 'sources',
            describe:
              "The classifier's: sources never trained on (--split), or the paper's held-out frames of the train split's sources",
          })
          .option('extra-rows', {
            type: 'boolean',
            default: true,
            describe: 'Also grade clean frames and kinds of error outside the 24 (their own rows)',
          })
          .option('backend', BACKEND_OPTION),
      async (args) => {
        status = await (
          await import('./commands/eval.js')
        ).runEval({
          protocol: args.protocol as 'sources' | 'frames',
          extraRows: args['extra-rows'],
          cgan: args.cgan,
          classifier: args.classifier,
          backend: args.backend as BackendChoice | undefined,
          data: args.data,
          split: args.split as 'validation',
          pipelines: args.pipeline as string[],
          sets: args.set as string[],
          out: args.out,
          limit: args.limit,
          baselines: args.baselines,
          quiet: args.quiet,
          logLevel: args['log-level'] as string,
          logFormat: args['log-format'] as LogFormat,
        });
      },
    )
    .command(
      'classify <inputs..>',
      'Quality control: name what is wrong with a video, frame by frame and shot by shot',
      (y) =>
        y
          .positional('inputs', {
            type: 'string',
            array: true,
            demandOption: true,
            describe: 'Videos or stills',
          })
          .option('json', {
            type: 'boolean',
            default: false,
            describe: 'Print the JSON Lines (per frame and per shot)',
          })
          .option('every', { type: 'number', describe: 'Analyse every Nth frame (default 12)' })
          .option('model', {
            type: 'string',
            describe: 'Classifier model folder (default models/classifier)',
          })
          .option('report', { type: 'string', describe: 'Also append the JSON Lines to this file' })
          .option('pipeline', { alias: 'p', type: 'string', default: 'classify' })
          .option('set', { type: 'string', array: true, default: [], describe: 'Override a stage option' })
          .option('backend', BACKEND_OPTION),
      async (args) => {
        const sets = [...(args.set as string[])];
        if (args.every !== undefined) sets.push(`classify.every=${args.every}`);
        if (args.model !== undefined) sets.push(`classify.model=${JSON.stringify(args.model)}`);
        status = await (
          await import('./commands/classify.js')
        ).runClassify({
          inputs: args.inputs as string[],
          pipeline: args.pipeline,
          sets,
          backend: args.backend,
          json: args.json,
          report: args.report,
          quiet: args.quiet,
          logLevel: args['log-level'] as string,
          logFormat: args['log-format'] as LogFormat,
        });
      },
    )
    .command(
      'train <network>',
      'Train the cGAN or the classifier on a data set (or the cGAN on your own before/after pairs)',
      (y) =>
        y
          .positional('network', { type: 'string', choices: ['cgan', 'classifier'], demandOption: true })
          .option('data', { type: 'string', describe: 'A folder written by vgrade dataset' })
          .option('pairs', {
            type: 'string',
            array: true,
            describe:
              'BEFORE AFTER: two folders of frames matched by name, or two videos matched frame by frame',
          })
          .option('size', { type: 'string', default: '456x256', describe: 'Proxy size WxH for --pairs' })
          .option('out', {
            type: 'string',
            demandOption: true,
            describe: 'Folder for the model, checkpoints and log',
          })
          .option('steps', {
            type: 'number',
            describe: 'Training steps (default 4000 cgan, 6000 classifier)',
          })
          .option('seed', { type: 'number', default: 1 })
          .option('backend', { ...BACKEND_OPTION, default: 'auto', describe: 'TensorFlow.js backend' })
          .option('window', {
            type: 'number',
            default: 18,
            describe: 'cgan: frames per temporal window (1: per-frame form only)',
          })
          .option('base', { type: 'number', describe: 'Channels of the first layer' })
          .option('batch', { type: 'number', describe: 'Frames per batch' })
          .option('learning-rate', { type: 'number' })
          .option('mse-weight', { type: 'number', describe: 'cgan: weight of the MSE loss (default 100)' })
          .option('adversarial-weight', {
            type: 'number',
            describe: 'cgan: weight of the adversarial loss (default 0.05)',
          })
          .option('validate-every', { type: 'number', default: 100 })
          .option('patience', {
            type: 'number',
            default: 8,
            describe: 'Stop after this many validations without improvement',
          })
          .option('max-minutes', {
            type: 'number',
            default: 0,
            describe: 'Stop cleanly after this long (0: no limit)',
          })
          .option('log-every', { type: 'number', default: 20 })
          .option('fresh', { type: 'boolean', default: false, describe: 'Ignore a checkpoint in --out' })
          .option('extra', {
            type: 'string',
            array: true,
            default: [],
            describe: 'More clean videos and photographs (files or folders), for training only',
          })
          .option('frames-per-video', {
            type: 'number',
            default: 40,
            describe: "Frames read from each training video's source beside the data set's (0: none)",
          }),
      async (args) => {
        status = await (
          await import('./commands/train.js')
        ).runTrain({
          network: args.network as 'cgan' | 'classifier',
          data: args.data,
          pairs: args.pairs as string[] | undefined,
          size: args.size,
          out: args.out,
          steps: args.steps,
          seed: args.seed,
          backend: args.backend as BackendChoice,
          window: args.window,
          base: args.base,
          batch: args.batch,
          learningRate: args['learning-rate'],
          mseWeight: args['mse-weight'],
          adversarialWeight: args['adversarial-weight'],
          validateEvery: args['validate-every'],
          patience: args.patience,
          maxMinutes: args['max-minutes'],
          logEvery: args['log-every'],
          fresh: args.fresh,
          framesPerVideo: args['frames-per-video'],
          extra: args.extra as string[],
          quiet: args.quiet,
          logLevel: args['log-level'] as string,
          logFormat: args['log-format'] as LogFormat,
        });
      },
    )
    .command(
      'preview',
      'Grade a live source (camera, stream, file, lavfi) and show it in the browser with a before/after split',
      (y) =>
        y
          .option('input', {
            alias: 'i',
            type: 'string',
            demandOption: true,
            describe:
              'lavfi:GRAPH, /dev/videoN, rtsp:// http:// udp:// srt:// URL, or a file (played at its rate, looped)',
          })
          .option('port', { type: 'number', default: 8686, describe: 'Port of the page (0: any free port)' })
          .option('host', {
            type: 'string',
            default: '127.0.0.1',
            describe: 'Address to serve on; any other than loopback requires the access token',
          })
          .option('token', {
            type: 'string',
            describe: 'Access token for a non-loopback address (default: random)',
          })
          .option('size', {
            type: 'string',
            default: '960x540',
            describe: 'Size of the preview picture, WxH',
          })
          .option('quality', {
            type: 'number',
            default: 5,
            describe: 'JPEG quality to the page: 2 (best) to 31',
          })
          .option('pipeline', {
            alias: 'p',
            type: 'string',
            choices: ['neural', 'classical', 'off'],
            default: 'neural',
            describe: 'The grade shown first (the page switches between them)',
          })
          .option('neural', { type: 'string', default: 'preview', describe: 'Pipeline behind "neural"' })
          .option('classical', {
            type: 'string',
            default: 'preview-classical',
            describe: 'Pipeline behind "classical"',
          })
          .option('output', {
            alias: 'o',
            type: 'string',
            describe: 'Also record the graded picture: a file, or - (NUT on stdout)',
          })
          .option('strength', STRENGTH_OPTION)
          .option('overwrite', EXISTING_OPTIONS.overwrite)
          .option('backend', BACKEND_OPTION),
      async (args) => {
        status = await (
          await import('./commands/preview.js')
        ).runPreview({
          input: args.input,
          host: args.host,
          port: args.port,
          token: args.token,
          size: args.size,
          quality: args.quality,
          pipeline: args.pipeline,
          neural: args.neural,
          classical: args.classical,
          backend: args.backend,
          strength: checkStrength(args.strength),
          output: args.output,
          overwrite: args.overwrite === true,
          quiet: args.quiet,
          logLevel: args['log-level'] as string,
          logFormat: args['log-format'] as LogFormat,
        });
      },
    )
    .command(
      'ingest [action]',
      'Grade every file dropped into a watch folder, unattended: masters, reports, LUTs; `ingest status` lists jobs',
      (y) =>
        y
          .positional('action', {
            type: 'string',
            choices: ['run', 'status'],
            default: 'run',
            describe: 'run: watch and grade; status: list the jobs and their states',
          })
          .option('watch', { type: 'string', describe: 'The folder files are dropped into (its top level)' })
          .option('out', { type: 'string', describe: 'Where graded masters, reports and LUTs are written' })
          .option('pipeline', {
            alias: 'p',
            type: 'string',
            default: 'grade',
            describe: 'Pipeline file or shipped name',
          })
          .option('set', {
            type: 'string',
            array: true,
            default: [],
            describe: 'Override a stage option: stage.option=value',
          })
          .option('done', { type: 'string', describe: 'Where sources go once graded (default WATCH/done)' })
          .option('quarantine', {
            type: 'string',
            describe: 'Where files that keep failing go, with NAME.reason.json (default WATCH/quarantine)',
          })
          .option('queue', {
            type: 'string',
            describe:
              'redis://HOST:PORT: a BullMQ queue shared by a farm of workers (default: SQLite in OUT/.vgrade)',
          })
          .option('queue-name', { type: 'string', default: 'vgrade-ingest', describe: 'BullMQ queue name' })
          .option('lock', {
            type: 'number',
            default: 30,
            describe:
              "BullMQ: seconds a worker's hold on a job lasts unrenewed; a dead worker's job returns after it",
          })
          .option('db', {
            type: 'string',
            describe: 'SQLite file of the embedded queue (default OUT/.vgrade/ingest.db)',
          })
          .option('concurrency', {
            type: 'number',
            default: 1,
            describe: 'Files graded at once by this process',
          })
          .option('retries', {
            type: 'number',
            default: 3,
            describe:
              'Retries before quarantine of a file whose failure may pass (ffmpeg died, disk full); a damaged file goes at once',
          })
          .option('retry-delay', {
            type: 'number',
            default: 30,
            describe: 'Seconds before the first retry; doubles with each further one',
          })
          .option('settle', {
            type: 'number',
            default: 5,
            describe: 'Seconds a file must stay unchanged (and closed by its writer) before it is taken',
          })
          .option('poll', {
            type: 'number',
            default: 1,
            describe: 'Seconds between listings of the watch folder',
          })
          .option('check-writers', {
            type: 'boolean',
            default: true,
            describe: 'Also wait while a local process holds the file open for writing (Linux /proc)',
          })
          .option('scan', {
            type: 'boolean',
            default: true,
            describe: 'List the watch folder (--no-scan: a farm worker that only grades)',
          })
          .option('once', {
            type: 'boolean',
            default: false,
            describe: 'Exit when nothing is left to grade, printing the job counts',
          })
          .option('metrics', { type: 'boolean', default: true, describe: 'Serve /metrics and /healthz' })
          .option('metrics-host', {
            type: 'string',
            default: '127.0.0.1',
            describe: 'Address for /metrics and /healthz',
          })
          .option('metrics-port', {
            type: 'number',
            default: 9464,
            describe: 'Port for /metrics and /healthz (0: any free)',
          })
          .option('backend', BACKEND_OPTION)
          .option('strength', STRENGTH_OPTION)
          .option('json', { type: 'boolean', default: false, describe: 'status: print JSON Lines' }),
      async (args) => {
        const { runIngestCommand, runIngestStatus } = await import('./commands/ingest.js');
        const queue = {
          out: args.out,
          db: args.db,
          queue: args.queue,
          queueName: args['queue-name'],
          retries: args.retries,
          retryDelaySeconds: args['retry-delay'],
          lockSeconds: args.lock,
        };
        if (args.action === 'status') {
          status = await runIngestStatus({ ...queue, json: args.json });
          return;
        }
        if (!args.watch || !args.out)
          throw new UsageError('E_USAGE', 'vgrade ingest needs --watch DIR and --out DIR');
        status = await runIngestCommand({
          ...queue,
          watch: args.watch,
          out: args.out,
          done: args.done,
          quarantine: args.quarantine,
          pipeline: args.pipeline,
          sets: [...(args.set as string[]), ...strengthSets(args.strength)],
          backend: args.backend,
          concurrency: args.concurrency,
          settleSeconds: args.settle,
          pollSeconds: args.poll,
          checkWriters: args['check-writers'],
          scan: args.scan,
          once: args.once,
          metrics: args.metrics,
          metricsHost: args['metrics-host'],
          metricsPort: args['metrics-port'],
          quiet: args.quiet,
          logLevel: args['log-level'] as string,
          logFormat: args['log-format'] as LogFormat,
        });
      },
    )
    .command(
      'doctor',
      'Show the ffmpeg and ffprobe in use, their versions, the encoders and filters that matter, and the model backend',
      (y) => y.option('json', { type: 'boolean', default: false, describe: 'Print JSON' }),
      async (args) => {
        status = await (await import('./commands/doctor.js')).runDoctor({ json: args.json });
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
    .demandCommand(1, `Name a command: ${COMMANDS.join(', ')}`)
    .strict()
    .help()
    .wrap(helpWidth())
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`vgrade: ${msg}\n${help()}\n`);
      status = 2;
      throw new ExitSignal();
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    if (stdoutClosed.aborted) return EXIT_STDOUT_CLOSED;
    if (err instanceof ExitSignal) return status;
    if (err instanceof VgradeError) {
      // A command line that asks for what cannot be: its command's help says what can.
      process.stderr.write(`vgrade: ${err.message}\n${err.code === 'E_USAGE' ? `${help()}\n` : ''}`);
      return err.exitCode;
    }
    process.stderr.write(`vgrade: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
  return stdoutClosed.aborted ? EXIT_STDOUT_CLOSED : status;
}

class ExitSignal extends Error {}

/** What yargs knows of the options of the command being run (not in its types). */
interface DeclaredOptions {
  getOptions(): { array: string[]; alias: Record<string, string[]> };
}

/**
 * Refuses an option that takes one value given more than once (`-o a -o b`): yargs would hand the
 * command an array of them. Options declared as arrays (the inputs, `--set`) take any number.
 */
function rejectRepeated(
  args: Record<string, unknown>,
  declared: ReturnType<DeclaredOptions['getOptions']>,
): void {
  const many = new Set(declared.array.flatMap((name) => [name, ...(declared.alias[name] ?? [])]));
  for (const [key, value] of Object.entries(args)) {
    if (key === '_' || many.has(key) || !Array.isArray(value)) continue;
    // yargs also sets `inputFormat` beside `input-format`: name the option as it is typed.
    if (/[A-Z]/.test(key) && key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`) in args) continue;
    const name =
      Object.keys(declared.alias).find((n) => n === key || declared.alias[n]!.includes(key)) ?? key;
    const values = value.map((v) => (v === STDIO_TOKEN ? '-' : String(v)));
    throw new UsageError(
      'E_USAGE',
      `Expected one value for --${name} but received ${String(values.length)}: ${values.join(', ')}`,
    );
  }
}

/** `--backend` of every command that runs a pipeline's networks. */
const BACKEND_OPTION = {
  type: 'string',
  choices: BACKEND_CHOICES,
  describe: "TensorFlow.js backend of the networks (default: the pipeline's own, else auto)",
} as const;

/** ffmpeg's -y and -n, for the commands that write media to the -o their user names. */
const EXISTING_OPTIONS = {
  overwrite: {
    alias: 'y',
    type: 'boolean',
    describe: 'Overwrite outputs that already exist (as ffmpeg -y)',
  },
  'skip-existing': {
    alias: 'n',
    type: 'boolean',
    describe: 'Skip inputs whose output already exists, saying so (as ffmpeg -n)',
  },
} as const;

/**
 * What -y and -n ask for: overwrite, skip, or (neither) refuse an existing output before any work,
 * as ffmpeg does when it cannot ask.
 */
function onExisting(args: {
  overwrite?: boolean | undefined;
  'skip-existing'?: boolean | undefined;
}): OnExisting {
  if (args.overwrite && args['skip-existing'])
    throw new UsageError('E_USAGE', '-y (overwrite) and -n (skip existing outputs) cannot both be given');
  return args.overwrite ? 'overwrite' : args['skip-existing'] ? 'skip' : 'refuse';
}

const COMMANDS = [
  'grade',
  'classify',
  'detune',
  'dataset',
  'eval',
  'train',
  'preview',
  'ingest',
  'doctor',
  'schema',
  'explain',
] as const;

/**
 * `--strength S` as the encode stage's `strength` (where every pipeline's per-frame LUT is final),
 * checked against that option's range first so the message names the flag (exit 2).
 */
function strengthSets(strength: number | undefined): string[] {
  const checked = checkStrength(strength);
  return checked === undefined ? [] : [`encode.strength=${String(checked)}`];
}

/** `--strength` within the encode stage's range for it (the preview applies it as encode does). */
function checkStrength(strength: number | undefined): number | undefined {
  if (strength === undefined) return undefined;
  const { min, max } = encode.options.strength;
  if (!(Number.isFinite(strength) && strength >= min && strength <= max)) {
    throw new UsageError(
      'E_USAGE',
      `Expected number between ${String(min)} and ${String(max)} for --strength but received ${String(strength)}`,
    );
  }
  return strength;
}

/** `--strength` of grade, ingest and preview. */
const STRENGTH_OPTION = {
  type: 'number',
  describe: 'The whole correction scaled towards the identity: 0 untouched, 1 as graded, up to 1.5',
} as const;

/**
 * Checks `--detune` before any work, naming the flag (the detune pipeline's own message would
 * point into detune.yaml, a file the user never wrote).
 */
function checkDetuneFlag(value: string): void {
  try {
    parseDetuneList(value);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const names = FAMILIES.map((f) => `${f}-${LEVELS[0]}..${LEVELS[LEVELS.length - 1]}`).join(', ');
    throw new UsageError(
      'E_USAGE',
      `--detune ${value}: ${err.message}. Detunes are ${names}, or FAMILY:AMOUNT with an amount from 0 to ${MAX_AMOUNT} (green:1.5), comma-separated`,
      { cause: err },
    );
  }
}

/**
 * Columns for the help text: `COLUMNS` when set (as `ls` reads it), else the terminal's width,
 * else (a pipe, a file) 110; never wider than 110, which keeps the descriptions readable.
 */
function helpWidth(): number {
  const columns = Number.parseInt(process.env.COLUMNS ?? '', 10);
  return Math.min(110, columns > 0 ? columns : process.stdout.columns || 110);
}

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
    overwrite?: boolean | undefined;
    'skip-existing'?: boolean | undefined;
    quiet: boolean;
    'log-level': string;
    'log-format': string;
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
    existing: onExisting(args),
    quiet: args.quiet,
    logLevel: args['log-level'],
    logFormat: args['log-format'] as LogFormat,
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
watchStdout();

main(argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`vgrade: ${String(err)}\n`);
    process.exitCode = 1;
  },
);
