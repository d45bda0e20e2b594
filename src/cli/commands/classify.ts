import { commandLogger, type LogFormat } from '../../util/logger.js';
import { resolveBinaries } from '../../ffmpeg/binaries.js';
import { getCapabilities } from '../../ffmpeg/capabilities.js';
import { applyOverrides, backendOverrides, loadPipeline } from '../../pipeline/load.js';
import { compilePipeline, warmPipeline } from '../../pipeline/compile.js';
import { fileInput } from '../../ffmpeg/input.js';
import { gradeOne } from '../../run/grade.js';
import type { OutputTarget } from '../../ffmpeg/output.js';
import { resolvePipelinePath } from '../../util/packageRoot.js';
import { countOf } from '../progress.js';
import { Interrupted, UsageError, VgradeError } from '../../util/errors.js';
import { EXIT_STDOUT_CLOSED, stdoutClosed } from '../../util/stdout.js';
import { classify } from '../../stages/classify.js';
import { isShotRecord, type RunRecord, type ShotRecord } from '../../stages/records.js';
import { defineCommand, logging } from '../command.js';
import { openLineReport } from '../../util/lineReport.js';
import { BACKEND_OPTION, pipelineOption, SET_OPTION } from '../options.js';

export interface ClassifyCommand {
  inputs: string[];
  pipeline: string;
  sets: string[];
  /** TensorFlow.js backend of the pipeline's networks; the pipeline's own when absent. */
  backend: string | undefined;
  json: boolean;
  report: string | undefined;
  quiet: boolean;
  logLevel: string;
  logFormat: LogFormat;
}

/** Nothing is written: an analysis pipeline ends in Node, with no encoder. */
const NO_OUTPUT: OutputTarget = {
  path: '-',
  tmpPath: undefined,
  label: '(analysis only)',
  format: undefined,
  kind: 'video',
  overrides: {},
};

/** A shot's white balance off in words: "warm, as under light of about 3500 K (100% of frames)". */
function whiteBalance(white: NonNullable<ShotRecord['white']>): string {
  const kind = white.kelvin < 6500 ? 'warm' : 'cool';
  const kelvin = Math.round(white.kelvin / 100) * 100;
  return `${kind}, as under light of about ${kelvin} K (${Math.round(white.share * 100)}% of frames)`;
}

function summary(input: string, frames: number, shots: readonly ShotRecord[]): string {
  const lines = [`${input}: ${countOf(frames, 'frame')} analysed, ${countOf(shots.length, 'shot')}`];
  for (const s of shots) {
    const when = (p: { frame: number; pts: number | null }) =>
      p.pts === null ? `frame ${p.frame}` : `${p.pts.toFixed(2)} s`;
    const list = (ps: ShotRecord['problems']) =>
      ps
        .map((p) => `${p.family} ${p.amount.toFixed(1)} (${Math.round(p.share * 100)}% of frames)`)
        .join(', ');
    const problems = s.problems.length ? list(s.problems) : 'nothing persistent';
    const suspected = s.suspected.length ? `; unsure (the amount head alone): ${list(s.suspected)}` : '';
    const white = s.white ? `; white balance off: ${whiteBalance(s.white)}` : '';
    lines.push(`  shot ${s.shot} (${when(s.from)} - ${when(s.to)}): ${problems}${white}${suspected}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * `vgrade classify IN... [--json]`: quality control. Runs the classify pipeline (no video is
 * written) and prints, per input, what persists through each shot; `--json` prints the JSON Lines
 * themselves (per analysed frame and per shot); `--report FILE` also keeps them in a file. The
 * records come from the run itself (`onRecord`), as the classify stage makes them.
 */
export async function runClassify(cmd: ClassifyCommand): Promise<number> {
  const logger = commandLogger(cmd);
  const loaded = await loadPipeline(resolvePipelinePath(cmd.pipeline));
  const base = applyOverrides(loaded, [...backendOverrides(loaded, cmd.backend), ...cmd.sets]);
  if (!base.stages.some((s) => s.name === 'classify')) {
    throw new UsageError('E_PIPELINE_STAGE', `${cmd.pipeline} has no classify stage to report from`);
  }
  if (base.stages.some((s) => s.name === 'encode')) {
    throw new UsageError(
      'E_PIPELINE_STAGE',
      `${cmd.pipeline} writes video; vgrade classify takes a pipeline that ends before encode (to keep the records of a grade: vgrade grade IN -o OUT -p ${cmd.pipeline} --set classify.report=FILE)`,
    );
  }
  const pipeline = compilePipeline(base);
  warmPipeline(pipeline);
  const binaries = await resolveBinaries();
  const caps = await getCapabilities(binaries.ffmpeg, logger);
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.on('SIGINT', onSignal);
  // `--json | head -1`: the reader has what it wanted; stop, and say nothing.
  stdoutClosed.addEventListener('abort', onSignal);
  const report = openLineReport(cmd.report ?? '');
  let worst = 0;
  try {
    for (const file of cmd.inputs) {
      let frames = 0;
      const shots: ShotRecord[] = [];
      const onRecord = ({ record }: RunRecord): void => {
        const line = `${JSON.stringify(record)}\n`;
        if (cmd.json) process.stdout.write(line);
        report.write(line);
        if (isShotRecord(record)) shots.push(record);
        else frames++;
      };
      try {
        await gradeOne(pipeline, fileInput(file), NO_OUTPUT, {
          logger,
          binaries,
          caps,
          signal: abort.signal,
          onRecord,
        });
        if (!cmd.json) process.stdout.write(summary(file, frames, shots));
      } catch (err) {
        if (stdoutClosed.aborted) return EXIT_STDOUT_CLOSED;
        if (err instanceof Interrupted) return 130;
        process.stderr.write(`vgrade: ${err instanceof VgradeError ? err.message : String(err)}\n`);
        worst = Math.max(worst, err instanceof VgradeError ? err.exitCode : 1);
      }
    }
  } finally {
    process.off('SIGINT', onSignal);
    stdoutClosed.removeEventListener('abort', onSignal);
    await report.close();
  }
  if (stdoutClosed.aborted) return EXIT_STDOUT_CLOSED;
  return abort.signal.aborted ? 130 : worst;
}

export const classifyCommand = defineCommand({
  command: 'classify <inputs..>',
  describe: 'Quality control: name what is wrong with a video, frame by frame and shot by shot',
  builder: (y) =>
    y
      .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'Videos or stills' })
      .options({
        json: { type: 'boolean', default: false, describe: 'Print the JSON Lines (per frame and per shot)' },
        // Mirrors of the classify stage's options: its table owns their defaults.
        every: {
          type: 'number',
          describe: `Analyse every Nth frame (default ${String(classify.options.every.default)})`,
        },
        model: {
          type: 'string',
          describe: `Classifier model folder (default ${classify.options.model.default})`,
        },
        report: { type: 'string', describe: 'Also append the JSON Lines to this file' },
        pipeline: pipelineOption('classify', 'Pipeline file or shipped name; it ends before encode'),
        set: SET_OPTION,
        backend: BACKEND_OPTION,
      }),
  handler: (args) => {
    const sets = [...args.set];
    if (args.every !== undefined) sets.push(`classify.every=${args.every}`);
    if (args.model !== undefined) sets.push(`classify.model=${JSON.stringify(args.model)}`);
    return runClassify({
      inputs: args.inputs,
      pipeline: args.pipeline,
      sets,
      backend: args.backend,
      json: args.json,
      report: args.report,
      ...logging(args),
    });
  },
});
