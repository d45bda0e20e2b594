import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { commandLogger, type LogFormat } from '../../util/logger.js';
import { resolveBinaries } from '../../ffmpeg/binaries.js';
import { getCapabilities } from '../../ffmpeg/capabilities.js';
import type { Grader } from '../../eval/graders.js';
import type { Protocol } from '../../eval/classifier.js';
import type { BackendChoice } from '../../models/choices.js';
import type { CganModel } from '../../models/cgan/model.js';
import type { ClassifierModel } from '../../models/classifier/model.js';
import type { Split } from '../../manifest/split.js';
import { backendOverrides, loadPipeline } from '../../pipeline/load.js';
import { resolvePipelinePath } from '../../util/packageRoot.js';
import { sourcesTrainedOn, trainedSourcesWarning } from '../../eval/trainedSources.js';
import { defineCommand, logging } from '../command.js';
import { BACKEND_OPTION, SET_OPTION } from '../options.js';

export interface EvalCommand {
  /** What is measured: grading detuned frames (the default), or matching runs to a reference. */
  task?: 'grade' | 'match';
  data: string;
  split: Split;
  pipelines: string[];
  sets: string[];
  out: string | undefined;
  limit: number | undefined;
  baselines: boolean;
  /** A cGAN to measure beside the pipelines (its temporal and per-frame forms). */
  cgan?: string;
  /** A classifier to measure: the paper's table and the doubles table. */
  classifier?: string;
  /** The classifier's protocol: held-out sources (ours) or held-out frames (the paper's). */
  protocol: Protocol;
  /** Clean frames and kinds outside the 24 as rows of their own. */
  extraRows: boolean;
  /** For the models measured and the measured pipelines' networks (theirs when absent; else auto). */
  backend: BackendChoice | undefined;
  quiet: boolean;
  logLevel: string;
  logFormat: LogFormat;
}

/**
 * `vgrade eval --data DIR`: grades a data set's split with our pipelines and, in the same run, the
 * baselines (the input as it came, ffmpeg's automatic filters), and prints the table.
 */
export async function runEval(cmd: EvalCommand): Promise<number> {
  if (cmd.task === 'match') return runMatchEval(cmd);
  // Loaded here, not with the command's module: TensorFlow.js comes with the graders, and every
  // other command starts without it or the measuring machinery.
  const [
    { cganGrader, ffmpegBaselines, identityGrader, pipelineGrader },
    { evaluate },
    { useBackend },
    { classifierMarkdown, evaluateClassifier },
    { availableOutsideKinds },
    { contactSheet, markdownReport },
  ] = await Promise.all([
    import('../../eval/graders.js'),
    import('../../eval/evaluate.js'),
    import('../../models/backend.js'),
    import('../../eval/classifier.js'),
    import('../../eval/outsideKinds.js'),
    import('../../eval/report.js'),
  ]);
  const logger = commandLogger(cmd);
  const binaries = await resolveBinaries();
  const caps = await getCapabilities(binaries.ffmpeg, logger);
  const env = { logger, binaries, caps, signal: new AbortController().signal };
  const trainedOn = await sourcesTrainedOn(cmd.data, cmd.split);
  if (trainedOn.length > 0) logger.warn({ sources: trainedOn }, trainedSourcesWarning(cmd.split, trainedOn));
  const models: Grader[] = [];
  let cgan: CganModel | undefined;
  let classifier: ClassifierModel | undefined;
  if (cmd.cgan || cmd.classifier) await useBackend(cmd.backend ?? 'auto');
  if (cmd.cgan) {
    cgan = await (await import('../../models/cgan/model.js')).CganModel.load(cmd.cgan);
    models.push(cganGrader(cgan, cgan.window, 'cgan model'));
    if (cgan.window > 1) models.push(cganGrader(cgan, 1, 'cgan model per-frame'));
  }
  if (cmd.classifier)
    classifier = await (
      await import('../../models/classifier/model.js')
    ).ClassifierModel.load(cmd.classifier);
  const graders = [
    identityGrader,
    ...(cmd.baselines ? ffmpegBaselines(binaries, caps) : []),
    ...(await Promise.all(
      cmd.pipelines.map(async (p) => {
        const spec = await loadPipeline(resolvePipelinePath(p));
        return pipelineGrader(p, [...backendOverrides(spec, cmd.backend), ...cmd.sets], env);
      }),
    )),
    ...models,
  ];
  const result = await evaluate(cmd.data, cmd.split, graders, {
    ffmpeg: binaries.ffmpeg,
    ...(cmd.limit !== undefined ? { limit: cmd.limit } : {}),
    cleanRows: cmd.extraRows,
    outsideKinds: cmd.extraRows ? availableOutsideKinds(caps) : [],
    onProgress: (done, total) => {
      if (!cmd.quiet) process.stderr.write(`eval: ${done}/${total} samples\n`);
    },
  });
  const classifierResult = classifier
    ? await evaluateClassifier(classifier, cmd.data, cmd.split, {
        ...(cmd.limit !== undefined ? { limit: cmd.limit } : {}),
        protocol: cmd.protocol,
        onProgress: (done, total) => {
          if (!cmd.quiet) process.stderr.write(`eval classifier: ${done}/${total} frames\n`);
        },
      })
    : undefined;
  cgan?.dispose();
  classifier?.dispose();
  const markdown =
    markdownReport(result) + (classifierResult ? `\n${classifierMarkdown(classifierResult)}` : '');
  process.stdout.write(markdown);
  const out = cmd.out ?? path.join(cmd.data, `eval-${cmd.split}`);
  await mkdir(out, { recursive: true });
  const { examples, ...json } = result;
  await writeFile(
    path.join(out, 'eval.json'),
    `${JSON.stringify({ ...json, ffmpeg: binaries.ffmpeg, examples: examples.length, classifier: classifierResult, shippedModelsTrainedOn: trainedOn }, null, 2)}\n`,
  );
  await writeFile(path.join(out, 'eval.md'), markdown);
  const sheet = contactSheet(result);
  if (sheet) await writeFile(path.join(out, 'contact-sheet.png'), sheet);
  if (!cmd.quiet)
    process.stderr.write(
      `written ${out}/eval.json, eval.md, contact-sheet.png (columns: input, ${result.graders.slice(1).join(', ')}, reference)\n`,
    );
  return 0;
}

/**
 * `vgrade eval --task match`: every method of the match stage on the split's runs, with a clean
 * frame of the same clip and of another source as the reference (src/eval/match.ts).
 */
async function runMatchEval(cmd: EvalCommand): Promise<number> {
  const [{ evaluateMatch, matchMarkdown }, { TRANSFER_METHODS }] = await Promise.all([
    import('../../eval/match.js'),
    import('../../color/transfer.js'),
  ]);
  const logger = commandLogger(cmd);
  const binaries = await resolveBinaries();
  const caps = await getCapabilities(binaries.ffmpeg, logger);
  const result = await evaluateMatch(cmd.data, cmd.split, TRANSFER_METHODS, {
    // The other source's reference shows other things by design: at the default level, no
    // warning for each run (a level asked for is kept).
    env: {
      logger: cmd.logLevel === 'warn' ? logger.child({}, { level: 'error' }) : logger,
      binaries,
      caps,
      signal: new AbortController().signal,
    },
    sets: cmd.sets,
    ...(cmd.limit !== undefined ? { limit: cmd.limit } : {}),
    onProgress: (done, total) => {
      if (!cmd.quiet) process.stderr.write(`eval match: ${done}/${total} runs\n`);
    },
  });
  const markdown = matchMarkdown(result);
  process.stdout.write(markdown);
  const out = cmd.out ?? path.join(cmd.data, `eval-match-${cmd.split}`);
  await mkdir(out, { recursive: true });
  await writeFile(
    path.join(out, 'eval.json'),
    `${JSON.stringify({ ...result, ffmpeg: binaries.ffmpeg }, null, 2)}\n`,
  );
  await writeFile(path.join(out, 'eval.md'), markdown);
  if (!cmd.quiet) process.stderr.write(`written ${out}/eval.json, eval.md\n`);
  return 0;
}

export const evalCommand = defineCommand({
  command: 'eval',
  describe:
    'Measure graders on a data set split: CIEDE2000, PSNR, exact pixels, flicker; baselines in the same run',
  builder: (y) =>
    y.options({
      data: { type: 'string', demandOption: true, describe: 'A folder written by vgrade dataset' },
      task: {
        type: 'string',
        choices: ['grade', 'match'],
        default: 'grade',
        describe:
          'grade: detuned frames graded by the pipelines; match: runs matched to a clean frame by each method of the match stage (needs --steady-runs)',
      },
      split: { type: 'string', choices: ['train', 'test', 'validation'], default: 'validation' },
      pipeline: {
        alias: 'p',
        type: 'string',
        array: true,
        default: ['classical'],
        describe: 'Pipelines to measure',
      },
      baselines: { type: 'boolean', default: true, describe: "Include ffmpeg's automatic filters" },
      limit: { type: 'number', describe: 'Only the first N samples' },
      set: {
        ...SET_OPTION,
        describe: 'Override a stage option of the measured pipelines: stage.option=value',
      },
      out: { type: 'string', describe: 'Report folder (default DATA/eval-SPLIT)' },
      cgan: { type: 'string', describe: 'A cGAN model folder to measure (e.g. models/cgan)' },
      classifier: {
        type: 'string',
        describe: "A classifier model folder: the paper's table and the doubles table",
      },
      protocol: {
        type: 'string',
        choices: ['sources', 'frames'],
        default: 'sources',
        describe:
          "The classifier's: sources never trained on (--split), or the paper's held-out frames of the train split's sources",
      },
      'extra-rows': {
        type: 'boolean',
        default: true,
        describe: 'Also grade clean frames and kinds of error outside the 24 (their own rows)',
      },
      backend: BACKEND_OPTION,
    }),
  handler: (args) =>
    runEval({
      task: args.task as 'grade' | 'match',
      protocol: args.protocol as Protocol,
      extraRows: args['extra-rows'],
      cgan: args.cgan,
      classifier: args.classifier,
      backend: args.backend,
      data: args.data,
      split: args.split as Split,
      pipelines: args.pipeline,
      sets: args.set,
      out: args.out,
      limit: args.limit,
      baselines: args.baselines,
      ...logging(args),
    }),
});
