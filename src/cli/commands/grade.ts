import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { commandLogger, type LogFormat } from '../../util/logger.js';
import { resolveBinaries } from '../../ffmpeg/binaries.js';
import { getCapabilities } from '../../ffmpeg/capabilities.js';
import { existingMessage, findExisting, planOutputs } from '../../run/plan.js';
import type { OnExisting } from '../../ffmpeg/output.js';
import { fileInput, StdinTee, type InputSource } from '../../ffmpeg/input.js';
import { probeMedia, type MediaInfo } from '../../ffmpeg/probe.js';
import type { Logger } from '../../util/logger.js';
import { countOf, ProgressReporter, type ProgressMode } from '../progress.js';
import { resolvePipelinePath } from '../../util/packageRoot.js';
import {
  Interrupted,
  RuntimeFailure,
  systemErrorReason,
  UsageError,
  VgradeError,
} from '../../util/errors.js';
import { EXIT_STDOUT_CLOSED, stdoutClosed } from '../../util/stdout.js';
import { defineCommand, logging, type GlobalArgs } from '../command.js';
import {
  BACKEND_OPTION,
  EXISTING_OPTIONS,
  EXPORT_OPTION,
  GRADE_INPUTS,
  MEDIA_OPTIONS,
  onExisting,
  pipelineOption,
  PROGRESS_OPTION,
  SET_OPTION,
  stdio,
  STRENGTH_OPTION,
  strengthSets,
} from '../options.js';

export interface GradeCommand {
  inputs: string[];
  output: string;
  pipeline: string;
  sets: string[];
  /** TensorFlow.js backend of the pipeline's networks; the pipeline's own when absent. */
  backend?: string | undefined;
  format: string | undefined;
  inputFormat: string | undefined;
  codec: string | undefined;
  crf: number | undefined;
  preset: string | undefined;
  progress: 'auto' | 'bar' | 'json' | 'none';
  /** Folder for each shot's correction as .cube and ASC CDL. */
  exportDir?: string | undefined;
  /** An output already there: refused before any work, overwritten (-y) or its input skipped (-n). */
  existing: OnExisting;
  quiet: boolean;
  logLevel: string;
  logFormat: LogFormat;
}

/**
 * `vgrade grade IN... -o OUT`: validates everything first (pipeline, inputs, outputs), then grades
 * each input in turn. Outputs already there (and, with --export, exported corrections) are all
 * looked for first: without -y or -n the command refuses before any work (exit 2); with -n their
 * inputs are skipped, each said on stderr, and a skip is no failure. Ctrl-C stops the current
 * job, removes its partial output and exits 130; a second Ctrl-C exits at once. A failing input
 * does not stop the others: the command reports each failure and exits with the worst status.
 */
export async function runGrade(cmd: GradeCommand): Promise<number> {
  const logger = commandLogger(cmd);
  const binaries = await resolveBinaries();
  const ahead = probeAhead(cmd.inputs[0], cmd.inputFormat, binaries.ffprobe, logger);
  // The stages and the runtime, loaded while ffprobe looks at the first input.
  const [
    { applyOverrides, backendOverrides, loadPipeline, withExport },
    { compilePipeline, warmPipeline },
    { gradeOne },
  ] = await Promise.all([
    import('../../pipeline/load.js'),
    import('../../pipeline/compile.js'),
    import('../../run/grade.js'),
  ]);
  const base = await loadPipeline(resolvePipelinePath(cmd.pipeline));
  const loaded = applyOverrides(base, [...backendOverrides(base, cmd.backend), ...cmd.sets]);
  const spec = cmd.exportDir ? withExport(loaded, cmd.exportDir) : loaded;
  const pipeline = compilePipeline(spec);
  const overrides = {
    ...(cmd.codec !== undefined ? { codec: cmd.codec } : {}),
    ...(cmd.crf !== undefined ? { crf: cmd.crf } : {}),
    ...(cmd.preset !== undefined ? { preset: cmd.preset } : {}),
  };
  const planned = await planOutputs(cmd.inputs, cmd.output, { format: cmd.format, overrides });
  const exportDir = spec.stages.find((s) => s.name === 'export')?.options['dir'];
  const existing = await findExisting(planned, typeof exportDir === 'string' ? exportDir : undefined);
  if (existing.length > 0 && cmd.existing === 'refuse')
    throw new UsageError('E_OUTPUT_EXISTS', existingMessage(existing));
  const skipped = new Set(cmd.existing === 'skip' ? existing.map((e) => e.job) : []);
  for (const { job, path: there } of cmd.existing === 'skip' ? existing : []) {
    if (cmd.quiet) continue;
    const input = job.input === '-' ? 'standard input' : job.input;
    process.stderr.write(
      cmd.progress === 'json'
        ? `${JSON.stringify({ type: 'skipped', input, output: job.output.path, existing: there })}\n`
        : `skipped ${input}: ${there} already exists (-n)\n`,
    );
  }
  const jobs = planned.filter((j) => !skipped.has(j));
  if (jobs.length === 0) return 0;
  // A folder named with a trailing slash is created, as `cp a b dir/` users expect of a batch, and
  // so is an image sequence's (`-o 'out/%05d.png'`): both name a folder to fill.
  const folders = new Set(
    jobs.filter((j) => j.output.kind === 'sequence').map((j) => path.dirname(j.output.path)),
  );
  if (/[\\/]$/.test(cmd.output)) folders.add(cmd.output);
  for (const folder of folders) {
    await mkdir(folder, { recursive: true }).catch((err: unknown) => {
      throw new RuntimeFailure('E_OUTPUT', `Cannot create the folder ${folder}: ${systemErrorReason(err)}`, {
        cause: err,
      });
    });
  }
  warmPipeline(pipeline); // the inputs and outputs are valid: start loading models while ffmpeg is probed
  const caps = await getCapabilities(binaries.ffmpeg, logger);

  const mode: ProgressMode = cmd.quiet
    ? 'none'
    : cmd.progress === 'auto'
      ? process.stderr.isTTY
        ? 'bar'
        : 'none'
      : cmd.progress;
  const progress = new ProgressReporter(mode);
  const abort = new AbortController();
  let interrupts = 0;
  const onSignal = (): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    abort.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let worst = 0;
  // Each job's time is the wall time the user waited for it: the first one's includes start-up
  // (Node, the pipeline, ffmpeg's capabilities), measured from the process's start.
  let waitingSince = 0;
  try {
    for (const job of jobs) {
      if (abort.signal.aborted) break;
      const input =
        job.input === '-'
          ? new StdinTee(process.stdin).input(cmd.inputFormat)
          : ahead?.path === job.input
            ? ahead.input
            : fileInput(job.input, cmd.inputFormat);
      try {
        const result = await gradeOne(pipeline, input, job.output, {
          logger,
          binaries,
          caps,
          signal: abort.signal,
          onProgress: (p) => progress.update(p),
        });
        progress.finish();
        const now = performance.now();
        const seconds = (now - waitingSince) / 1000;
        waitingSince = now;
        if (mode === 'json') {
          process.stderr.write(
            `${JSON.stringify({ type: 'done', input: result.input, output: result.output, frames: result.frames, seconds: +seconds.toFixed(3) })}\n`,
          );
        } else if (!cmd.quiet && job.output.path !== '-') {
          process.stderr.write(
            `${result.input} -> ${result.output} (${countOf(result.frames, 'frame')}, ${seconds.toFixed(1)} s)\n`,
          );
        }
      } catch (err) {
        progress.finish();
        waitingSince = performance.now();
        // `-o - | head -c 100000`: the reader has what it wanted; ffmpeg is stopped, say nothing.
        if (stdoutClosed.aborted) return EXIT_STDOUT_CLOSED;
        if (err instanceof Interrupted) {
          process.stderr.write(`vgrade: ${err.message}; partial output removed\n`);
          return 130;
        }
        const status = err instanceof VgradeError ? err.exitCode : 1;
        process.stderr.write(
          `vgrade: ${err instanceof VgradeError ? err.message : ((err as Error).stack ?? String(err))}\n`,
        );
        if (mode === 'json')
          process.stderr.write(
            `${JSON.stringify({ type: 'error', input: job.input, message: (err as Error).message })}\n`,
          );
        worst = Math.max(worst, status);
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return abort.signal.aborted ? 130 : worst;
}

/**
 * The first input, its probe already started: on this project's machine ffprobe takes 0.15-0.2 s
 * to start (Debian's ffmpeg links about a hundred libraries), about as long as loading the stages,
 * so the two overlap. A failed probe is reported when the input is graded, as any probe's is;
 * standard input is probed where it is read.
 */
function probeAhead(
  path: string | undefined,
  format: string | undefined,
  ffprobe: string,
  logger: Logger,
): { path: string; input: InputSource } | undefined {
  if (path === undefined || path === '-') return undefined;
  const input = fileInput(path, format);
  const probing: Promise<MediaInfo> = probeMedia(ffprobe, input.ffmpegInput, { format, logger });
  probing.catch(() => {}); // awaited, and its error reported, only if this input is graded
  return { path, input: { ...input, probe: () => probing } };
}

/**
 * The arguments `grade` and `detune` share (inputs, `MEDIA_OPTIONS`, -y/-n, --progress, logging),
 * as runGrade takes them.
 */
export function gradeArgs(
  args: GlobalArgs & {
    inputs: string[];
    output: string;
    format?: string | undefined;
    'input-format'?: string | undefined;
    codec?: string | undefined;
    crf?: number | undefined;
    preset?: string | undefined;
    progress: string;
    overwrite?: boolean | undefined;
    'skip-existing'?: boolean | undefined;
  },
  pipeline: string,
  sets: string[],
): GradeCommand {
  return {
    inputs: args.inputs.map(stdio),
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
    ...logging(args),
  };
}

export const gradeCommand = defineCommand({
  command: 'grade <inputs..>',
  describe: 'Grade videos, stills or standard input (-) with a pipeline',
  builder: (y) =>
    y.positional('inputs', GRADE_INPUTS).options({
      ...MEDIA_OPTIONS,
      pipeline: pipelineOption('grade', 'Pipeline file, or the name of a shipped one (grade, classical)'),
      set: SET_OPTION,
      strength: STRENGTH_OPTION,
      progress: PROGRESS_OPTION,
      export: EXPORT_OPTION,
      ...EXISTING_OPTIONS,
      backend: BACKEND_OPTION,
    }),
  handler: async (args) =>
    runGrade({
      ...gradeArgs(args, args.pipeline, [...args.set, ...strengthSets(args.strength)]),
      exportDir: args.export,
      backend: args.backend,
    }),
});
