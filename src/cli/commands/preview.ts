import { commandLogger, type LogFormat } from '../../util/logger.js';
import { resolveBinaries } from '../../ffmpeg/binaries.js';
import { getCapabilities } from '../../ffmpeg/capabilities.js';
import { UsageError } from '../../util/errors.js';
import { existingOutput, fileOutput } from '../../ffmpeg/output.js';
import { absoluteReference, checkReference } from '../../ffmpeg/reference.js';
import { defineCommand, logging } from '../command.js';
import { BACKEND_OPTION, checkStrength, EXISTING_OPTIONS, stdio, STRENGTH_OPTION } from '../options.js';

export interface PreviewCommand {
  input: string;
  host: string;
  port: number;
  token: string | undefined;
  size: string;
  quality: number;
  /** The pipeline shown first: neural, classical, match (with `reference`) or off. */
  pipeline: string;
  neural: string;
  classical: string;
  /** `--reference`: offered as pipeline `match`, checked before anything starts. */
  reference: string | undefined;
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
  if (cmd.pipeline === 'match' && cmd.reference === undefined)
    throw new UsageError(
      'E_USAGE',
      '--pipeline match needs --reference FILE (the page matches to a frame too)',
    );
  const binaries = await resolveBinaries();
  // Made absolute: the preview reads it when the pipeline starts, and again after a switch.
  const reference = cmd.reference === undefined ? undefined : absoluteReference(cmd.reference);
  if (reference !== undefined) await checkReference(reference, binaries, logger);
  const caps = await getCapabilities(binaries.ffmpeg, logger);
  // Loaded here, not with the command's module, as every command's own machinery: vgrade grade
  // starts without the preview's server.
  const { startPreview } = await import('../../preview/preview.js');
  const preview = await startPreview({
    input: cmd.input,
    host: cmd.host,
    port: cmd.port,
    token: cmd.token,
    width,
    height,
    quality: cmd.quality,
    pipelines: { neural: cmd.neural, classical: cmd.classical },
    reference,
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

export const previewCommand = defineCommand({
  command: 'preview',
  describe:
    'Grade a live source (camera, stream, file, lavfi) and show it in the browser with a before/after split',
  builder: (y) =>
    y.options({
      input: {
        alias: 'i',
        type: 'string',
        demandOption: true,
        describe:
          'lavfi:GRAPH, /dev/videoN, rtsp:// http:// udp:// srt:// URL, or a file (played at its rate, looped)',
      },
      port: { type: 'number', default: 8686, describe: 'Port of the page (0: any free port)' },
      host: {
        type: 'string',
        default: '127.0.0.1',
        describe: 'Address to serve on; any other than loopback requires the access token',
      },
      token: { type: 'string', describe: 'Access token for a non-loopback address (default: random)' },
      size: { type: 'string', default: '960x540', describe: 'Size of the preview picture, WxH' },
      quality: { type: 'number', default: 5, describe: 'JPEG quality to the page: 2 (best) to 31' },
      pipeline: {
        alias: 'p',
        type: 'string',
        describe:
          'The grade shown first (default neural; match with --reference): the page switches between them',
        choices: ['neural', 'classical', 'match', 'off'],
      },
      neural: { type: 'string', default: 'preview', describe: 'Pipeline behind "neural"' },
      classical: { type: 'string', default: 'preview-classical', describe: 'Pipeline behind "classical"' },
      reference: {
        alias: 'r',
        type: 'string',
        describe:
          'Also offer "match" to this reference and start on it: a still, FILE@TIME, a video or a folder of stills (see vgrade match)',
      },
      output: {
        alias: 'o',
        type: 'string',
        describe: 'Also record the graded picture: a file, or - (NUT on stdout)',
      },
      strength: STRENGTH_OPTION,
      overwrite: EXISTING_OPTIONS.overwrite,
      backend: BACKEND_OPTION,
    }),
  handler: async (args) =>
    runPreview({
      input: args.input,
      host: args.host,
      port: args.port,
      token: args.token,
      size: args.size,
      quality: args.quality,
      pipeline: args.pipeline ?? (args.reference === undefined ? 'neural' : 'match'),
      neural: args.neural,
      classical: args.classical,
      reference: args.reference,
      backend: args.backend,
      strength: checkStrength(args.strength),
      output: args.output === undefined ? undefined : stdio(args.output),
      overwrite: args.overwrite === true,
      ...logging(args),
    }),
});
