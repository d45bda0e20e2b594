import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { commandLogger, type LogFormat } from '../../util/logger.js';
import { resolveBinaries } from '../../ffmpeg/binaries.js';
import { getCapabilities } from '../../ffmpeg/capabilities.js';
import {
  cganGrader,
  ffmpegBaselines,
  identityGrader,
  pipelineGrader,
  type Grader,
} from '../../eval/graders.js';
import { classifierMarkdown, evaluateClassifier, type Protocol } from '../../eval/classifier.js';
import { availableOutsideKinds } from '../../eval/outsideKinds.js';
import { useBackend, type BackendChoice } from '../../models/backend.js';
import { CganModel } from '../../models/cgan/model.js';
import { ClassifierModel } from '../../models/classifier/model.js';
import { evaluate } from '../../eval/evaluate.js';
import { contactSheet, markdownReport } from '../../eval/report.js';
import type { Split } from '../../dataset/split.js';
import { backendOverrides, loadPipeline } from '../../pipeline/load.js';
import { resolvePipelinePath } from '../../util/packageRoot.js';

export interface EvalCommand {
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
  const logger = commandLogger(cmd);
  const binaries = await resolveBinaries();
  const caps = await getCapabilities(binaries.ffmpeg, logger);
  const env = { logger, binaries, caps, signal: new AbortController().signal };
  const models: Grader[] = [];
  let cgan: CganModel | undefined;
  let classifier: ClassifierModel | undefined;
  if (cmd.cgan || cmd.classifier) await useBackend(cmd.backend ?? 'auto');
  if (cmd.cgan) {
    cgan = await CganModel.load(cmd.cgan);
    models.push(cganGrader(cgan, cgan.window, 'cgan model'));
    if (cgan.window > 1) models.push(cganGrader(cgan, 1, 'cgan model per-frame'));
  }
  if (cmd.classifier) classifier = await ClassifierModel.load(cmd.classifier);
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
    `${JSON.stringify({ ...json, ffmpeg: binaries.ffmpeg, examples: examples.length, classifier: classifierResult }, null, 2)}\n`,
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
