import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { LevelWithSilent } from 'pino';
import { createLogger } from '../../util/logger.js';
import { resolveBinaries } from '../../ffmpeg/binaries.js';
import { getCapabilities } from '../../ffmpeg/capabilities.js';
import { ffmpegBaselines, identityGrader, pipelineGrader } from '../../eval/graders.js';
import { evaluate } from '../../eval/evaluate.js';
import { contactSheet, markdownReport } from '../../eval/report.js';
import type { Split } from '../../dataset/split.js';

export interface EvalCommand {
  data: string;
  split: Split;
  pipelines: string[];
  sets: string[];
  out: string | undefined;
  limit: number | undefined;
  baselines: boolean;
  quiet: boolean;
  logLevel: string;
}

/**
 * `vgrade eval --data DIR`: grades a data set's split with our pipelines and, in the same run, the
 * baselines (the input as it came, ffmpeg's automatic filters), and prints the table.
 */
export async function runEval(cmd: EvalCommand): Promise<number> {
  const logger = createLogger((cmd.quiet ? 'error' : cmd.logLevel) as LevelWithSilent);
  const binaries = await resolveBinaries();
  const caps = await getCapabilities(binaries.ffmpeg, logger);
  const env = { logger, binaries, caps, signal: new AbortController().signal };
  const graders = [
    identityGrader,
    ...(cmd.baselines ? ffmpegBaselines(binaries, caps) : []),
    ...(await Promise.all(cmd.pipelines.map((p) => pipelineGrader(p, cmd.sets, env)))),
  ];
  const result = await evaluate(cmd.data, cmd.split, graders, {
    ffmpeg: binaries.ffmpeg,
    ...(cmd.limit !== undefined ? { limit: cmd.limit } : {}),
    onProgress: (done, total) => {
      if (!cmd.quiet) process.stderr.write(`eval: ${done}/${total} samples\n`);
    },
  });
  const markdown = markdownReport(result);
  process.stdout.write(markdown);
  const out = cmd.out ?? path.join(cmd.data, `eval-${cmd.split}`);
  await mkdir(out, { recursive: true });
  const { examples, ...json } = result;
  await writeFile(
    path.join(out, 'eval.json'),
    `${JSON.stringify({ ...json, ffmpeg: binaries.ffmpeg, examples: examples.length }, null, 2)}\n`,
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
