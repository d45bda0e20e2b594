import { applyOverrides, loadPipeline } from '../../pipeline/load.js';
import {
  compilePipeline,
  decoderGeometry,
  type CompiledPipeline,
  FRAMES_IN_MOTION,
  memoryEstimate,
} from '../../pipeline/compile.js';
import { resolvePipelinePath } from '../../util/packageRoot.js';
import { pictureRingSize } from '../../run/grade.js';
import { yuv420Bytes } from '../../lut/yuv420.js';
import { UsageError } from '../../util/errors.js';
import { defineCommand } from '../command.js';
import { SET_OPTION } from '../options.js';

const MB = 1024 * 1024;

/** `vgrade explain PIPELINE`: stages, where each runs, context, ring size, delay, memory. */
export async function runExplain(opts: {
  pipeline: string;
  size: string;
  depth: 8 | 16;
  sets: string[];
}): Promise<number> {
  const match = /^(\d+)x(\d+)$/.exec(opts.size);
  if (!match)
    throw new UsageError(
      'E_USAGE',
      `Expected WxH (e.g. 1920x1080) for --size but received ${JSON.stringify(opts.size)}`,
    );
  const source = { width: Number(match[1]), height: Number(match[2]), depth: opts.depth };
  const spec = applyOverrides(await loadPipeline(resolvePipelinePath(opts.pipeline)), opts.sets);
  const pipeline = compilePipeline(spec);
  const { geometry, filters } = decoderGeometry(pipeline, source);
  const memory = memoryEstimate(pipeline, geometry);
  const live =
    pipeline.stages[0]?.definition.kind === 'source' && pipeline.stages[0].definition.ends === 'live';
  const rows = pipeline.stages.map((s) => {
    const opts = Object.entries(s.options)
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(' ');
    return `  ${String(s.index).padStart(2)}  ${s.definition.name.padEnd(12)} ${s.placement.padEnd(15)} ${String(s.needs.lookbehind).padStart(3)} ${String(s.needs.lookahead).padStart(3)}  ${opts}`;
  });
  const lines = [
    `${spec.file}${spec.description ? `: ${spec.description}` : ''}`,
    '',
    '   #  stage        runs in         behind ahead  options',
    ...rows,
    '',
    `${live ? 'preview picture' : 'source'} ${source.width}x${source.height} ${source.depth}-bit -> frames in Node ${geometry.width}x${geometry.height} ${geometry.depth}-bit` +
      ` (picture ${geometry.active.width}x${geometry.active.height} at ${geometry.active.x},${geometry.active.y})`,
    live
      ? 'the live source makes each proxy in Node (an area average of the preview picture)'
      : `decoder filters: ${[...filters, geometry.depth === 8 ? 'format=rgb24' : 'format=rgb48le', 'showinfo'].join(',')}`,
    `frame ring: ${pipeline.poolSize} frames (context ${pipeline.poolSize - FRAMES_IN_MOTION} + ${FRAMES_IN_MOTION} in motion)`,
    `delay: ${pipeline.delayFrames} frames`,
    `memory in Node for frames: ${(memory.poolBytes / MB).toFixed(1)} MiB ring + ${(memory.lutBytes / MB).toFixed(1)} MiB LUTs = ${(memory.totalBytes / MB).toFixed(1)} MiB, whatever the footage's length`,
    fullResolutionLine(pipeline, source),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
  return 0;
}

/** Where the full-resolution pixels go: through Node (and how much of them), or only ffmpeg. */
function fullResolutionLine(
  pipeline: CompiledPipeline,
  source: { width: number; height: number; depth: 8 | 16 },
): string {
  const first = pipeline.stages[0]?.definition;
  if (first?.kind === 'source' && first.ends === 'live')
    return "the preview sink grades each preview picture in Node with its frame's LUT (vgrade preview --size)";
  if (pipeline.encodesFrames)
    return 'full-resolution frames go through Node and the encoder encodes them as they are (encode pixels=frames)';
  const sink = pipeline.stages.at(-1);
  const apply = sink?.definition.kind === 'sink' ? sink.options['apply'] : undefined;
  if (source.depth === 8 && (apply === 'auto' || apply === 'node')) {
    const count = pictureRingSize(pipeline);
    const bytes = count * yuv420Bytes(source.width, source.height);
    return (
      `an 8-bit 4:2:0 source is decoded once: its full-resolution pictures are graded in Node (encode apply=${apply}), ` +
      `a ring of ${count} pictures, ${(bytes / MB).toFixed(1)} MiB; other sources stay in ffmpeg (decoder and encoder)`
    );
  }
  return 'full-resolution pixels stay in ffmpeg (decoder and encoder) and never enter Node';
}

export const explainCommand = defineCommand({
  command: 'explain <pipeline>',
  describe: "Print a pipeline's stages, ring size, delay and memory for a frame size",
  builder: (y) =>
    y
      .positional('pipeline', {
        type: 'string',
        demandOption: true,
        describe: 'Pipeline file or shipped name',
      })
      .options({
        size: {
          type: 'string',
          default: '1920x1080',
          describe: "Source frame size WxH (a live pipeline's: the preview picture's)",
        },
        depth: { type: 'number', choices: [8, 16], default: 8, describe: 'Bits per channel of the source' },
        set: SET_OPTION,
      }),
  handler: (args) =>
    runExplain({ pipeline: args.pipeline, size: args.size, depth: args.depth as 8 | 16, sets: args.set }),
});
