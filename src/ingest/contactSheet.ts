import { FfmpegArgs } from '../ffmpeg/args.js';
import { runFfmpeg } from '../ffmpeg/spawn.js';
import type { InputSource } from '../run/input.js';

export interface ContactSheetOptions {
  /** Frames per row, spread evenly over the clip. */
  readonly frames: number;
  /** Width of one picture in the sheet; the height follows the source's shape. */
  readonly width: number;
}

/**
 * The arguments for a before/after contact sheet: the source's frames on the top row, the graded
 * master's at the same times below, as one PNG. `displayAspect` is the upright picture's
 * width/height; `duration` spreads the frames (one per `duration / frames` seconds).
 */
export function contactSheetArgs(
  before: InputSource,
  after: string,
  target: string,
  duration: number,
  displayAspect: number,
  opts: ContactSheetOptions = { frames: 4, width: 320 },
): string[] {
  const height = Math.max(2, 2 * Math.round(opts.width / displayAspect / 2));
  const rate = (opts.frames / Math.max(duration, 0.04)).toFixed(6);
  const row = (input: number, label: string): string =>
    `[${input}:v:0]fps=fps=${rate}:round=near,scale=${opts.width}:${height},setsar=1,` +
    `tile=${opts.frames}x1:padding=4:color=black[${label}]`;
  return new FfmpegArgs()
    .global('-hide_banner', '-nostdin', '-loglevel', 'error', '-y')
    .global('-filter_complex', `${row(0, 'a')};${row(1, 'b')};[a]pad=iw:ih+4[top];[top][b]vstack`)
    .input(before.ffmpegInput, { format: before.format, options: before.inputOptions ?? [] })
    .input(after)
    .output(target, { options: ['-frames:v', '1', '-update', '1'] })
    .toArray();
}

export async function writeContactSheet(
  ffmpeg: string,
  ...args: Parameters<typeof contactSheetArgs>
): Promise<void> {
  await runFfmpeg(ffmpeg, contactSheetArgs(...args), { label: 'contact sheet' });
}
