import { commandLogger, type LogFormat } from '../../util/logger.js';
import { resolveBinaries } from '../../ffmpeg/binaries.js';
import { getCapabilities } from '../../ffmpeg/capabilities.js';
import { UsageError } from '../../util/errors.js';
import { startPreview } from '../../preview/preview.js';
import { existingOutput, fileOutput } from '../../run/output.js';

export interface PreviewCommand {
  input: string;
  host: string;
  port: number;
  token: string | undefined;
  size: string;
  quality: number;
  pipeline: string;
  neural: string;
  classical: string;
  /** TensorFlow.js backend of the pipelines' networks; their own when absent. */
  backend: string | undefined;
  output: string | undefined;
  /** `--strength`, already checked against the encode stage's range. */
  strength: number | undefined;
  /** -y: an existing `output` is overwritten; without it, refused before anything starts. */
  overwrite: boolean;
  logLevel: string;
  logFormat: LogFormat;
  quiet: boolean;
}

function parseSize(size: string): { width: number; height: number } {
  const m = /^(\d+)x(\d+)$/.exec(size);
  const width = Number(m?.[1]);
  const height = Number(m?.[2]);
  if (!m || width < 16 || height < 16 || width > 3840 || height > 2160 || width % 2 || height % 2) {
    throw new UsageError(
      'E_USAGE',
      `--size ${size}: write WIDTHxHEIGHT, even numbers from 16x16 to 3840x2160`,
    );
  }
  return { width, height };
}

/**
 * `vgrade preview --input SOURCE`: serves the graded live picture at the printed address until
 * Ctrl-C (or SIGTERM), then stops cleanly (status 0), finishing the `-o` recording.
 */
export async function runPreview(cmd: PreviewCommand): Promise<number> {
  const logger = commandLogger(cmd);
  const { width, height } = parseSize(cmd.size);
  if (!Number.isInteger(cmd.quality) || cmd.quality < 2 || cmd.quality > 31) {
    throw new UsageError('E_USAGE', `--quality ${cmd.quality}: a whole number from 2 (best) to 31`);
  }
  if (cmd.output !== undefined && cmd.output !== '-' && !cmd.overwrite) {
    const there = await existingOutput(fileOutput(cmd.output));
    if (there !== undefined)
      throw new UsageError('E_OUTPUT_EXISTS', `${there} already exists; -y overwrites it`);
  }
  const binaries = await resolveBinaries();
  const caps = await getCapabilities(binaries.ffmpeg, logger);
  const preview = await startPreview({
    input: cmd.input,
    host: cmd.host,
    port: cmd.port,
    token: cmd.token,
    width,
    height,
    quality: cmd.quality,
    pipelines: { neural: cmd.neural, classical: cmd.classical },
    initial: cmd.pipeline,
    backend: cmd.backend,
    record: cmd.output,
    strength: cmd.strength,
    logger,
    binaries,
    caps,
  });
  // The address is the command's result: stdout, unless stdout carries the recording.
  const out = cmd.output === '-' ? process.stderr : process.stdout;
  out.write(`vgrade preview: ${preview.url}\n`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await preview.stop();
  return 0;
}
