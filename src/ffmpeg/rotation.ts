import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { FfmpegArgs } from './args.js';
import { runFfmpeg } from './spawn.js';
import type { MediaInfo } from './probe.js';
import type { OutputTarget } from './output.js';

const TAGGABLE = new Set(['.mp4', '.m4v', '.mov']);

/**
 * How the source's rotation survives grading.
 *
 * The encoder's video comes out of a two-input filter graph, and neither ffmpeg 4.1 nor 5.1 then
 * copies the source's display matrix. MP4 and MOV files get it back exactly: the graded file is
 * remuxed (stream copy) with the `rotate` tag, which their muxer turns into the same matrix.
 * Containers that cannot carry a rotation (Matroska in these versions, pipes) get upright pixels
 * instead (`rotate-pixels`), so the picture still shows the right way up. So does a pipeline whose
 * encoder takes the frames from Node (`framesFromNode`): the decoder has already turned them.
 */
export function rotationPlan(
  media: MediaInfo | undefined,
  output: OutputTarget,
  framesFromNode = false,
): 'none' | 'retag' | 'rotate-pixels' {
  const rotation = media?.video?.rotation ?? 0;
  if (rotation === 0) return 'none';
  if (framesFromNode) return 'rotate-pixels';
  if (output.tmpPath && TAGGABLE.has(path.extname(output.path).toLowerCase())) return 'retag';
  return 'rotate-pixels';
}

/** The remux's command line: every stream of `file` copied to `target`, the video tagged `rotate=tag`. */
export function retagArgs(file: string, target: string, tag: string): string[] {
  return new FfmpegArgs()
    .global('-hide_banner', '-nostdin', '-loglevel', 'error', '-y')
    .input(file)
    .output(target, {
      options: {
        map: '0',
        c: 'copy',
        map_metadata: '0',
        'metadata:s:v:0': `rotate=${tag}`,
        movflags: '+faststart',
      },
    })
    .toArray();
}

/** Remuxes `file` in place with the source's rotation as the display matrix. */
export async function retagRotation(ffmpeg: string, file: string, media: MediaInfo): Promise<void> {
  // Measured on 4.1 and 5.1: a file whose matrix probes as rotation R gets it back from tag R.
  const tag = String(media.video?.rotation ?? 0);
  const ext = path.extname(file);
  const tmp = `${file.slice(0, -ext.length)}.rotate${ext}`;
  try {
    await runFfmpeg(ffmpeg, retagArgs(file, tmp, tag), { label: `tagging rotation of ${file}` });
    await rename(tmp, file);
  } finally {
    await rm(tmp, { force: true });
  }
}
