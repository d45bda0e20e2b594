/**
 * Synthetic test clips: one place that turns a typed description ("96x64 testsrc2, 13 frames,
 * yuv420p") into the ffmpeg command that makes it, so a test says what its clip is rather than
 * how ffmpeg spells it.
 *
 * The command is `ffmpeg -f lavfi -i SOURCE [-f lavfi -i sine] OUTPUT-OPTIONS FILE`; every
 * option left out is left to ffmpeg (its codec for the file's extension, the source's default
 * rate of 25), so a clip described with few options is what the plain command makes.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { ffmpeg } from './media.js';

/** lavfi's synthetic video sources that tests use. */
export type ClipSource = 'testsrc2' | 'testsrc' | 'smptebars' | 'smptehdbars' | 'rgbtestsrc' | 'color';

/** The colour tags written into the stream (ffmpeg's `-color_primaries` and friends). */
export interface ColourTags {
  readonly primaries?: string;
  readonly transfer?: string;
  readonly matrix?: string;
  readonly range?: 'tv' | 'pc';
}

export interface ClipOptions {
  /** Width x height, e.g. `'96x64'`. testsrc2 makes even sizes only in 4:2:0 formats. */
  readonly size: `${number}x${number}`;
  /** The lavfi source; testsrc2 (a moving pattern, different on every frame) unless said. */
  readonly source?: ClipSource;
  /** The colour of a `color` source (`black` unless said). */
  readonly color?: string;
  /** The source's frame rate; the source's default (25) unless said. */
  readonly fps?: number;
  /** Filters chained onto the source inside the lavfi graph: `format=yuv444p`. */
  readonly sourceFilter?: string;
  /** Frames to write (`-frames:v`). */
  readonly frames?: number;
  /** Seconds to write (`-t`): needed with audio, whose source never ends. */
  readonly duration?: number;
  /** The output's video filters (`-vf`), after the source. */
  readonly filter?: string;
  /**
   * Keeps frames n with n mod 7 < 3 or n mod 11 = 0 and writes them at their own times
   * (`-vsync vfr`): a variable-frame-rate clip, after `filter`.
   */
  readonly variableFrameRate?: boolean;
  /** Seconds added to every timestamp (`-output_ts_offset`): a clip that starts late. */
  readonly startTime?: number;
  /** Video encoder (`-c:v`), e.g. `libx264`, `ffv1`; ffmpeg's default for the extension unless said. */
  readonly codec?: string;
  readonly preset?: string;
  readonly crf?: number;
  /** The encoded pixel format (`-pix_fmt`), e.g. `yuv420p`, `rgb48be`. */
  readonly pixelFormat?: string;
  readonly colour?: ColourTags;
  /** MP4 and QuickTime flags (`-movflags`), e.g. `faststart`. */
  readonly movflags?: string;
  /** A sine tone as a second stream: `true` is lavfi's default sine (440 Hz at 44.1 kHz). */
  readonly audio?: boolean | { readonly frequency?: number; readonly sampleRate?: number };
  /** The audio encoder; `aac` unless said. */
  readonly audioCodec?: string;
  /** Display rotation as a phone records it: metadata on the stream, pixels as encoded. */
  readonly rotation?: 90 | 180 | 270;
}

/** The lavfi graph of the video source. */
function videoSource(o: ClipOptions): string {
  const params = [
    ...(o.source === 'color' ? [`c=${o.color ?? 'black'}`] : []),
    `size=${o.size}`,
    ...(o.fps === undefined ? [] : [`rate=${o.fps}`]),
  ];
  const source = `${o.source ?? 'testsrc2'}=${params.join(':')}`;
  return o.sourceFilter ? `${source},${o.sourceFilter}` : source;
}

/** The lavfi graph of the audio source. */
function audioSource(audio: Exclude<ClipOptions['audio'], false | undefined>): string {
  if (audio === true) return 'sine';
  const params = [
    ...(audio.frequency === undefined ? [] : [`frequency=${audio.frequency}`]),
    ...(audio.sampleRate === undefined ? [] : [`sample_rate=${audio.sampleRate}`]),
  ];
  return params.length > 0 ? `sine=${params.join(':')}` : 'sine';
}

/** The select filter of `variableFrameRate`. */
const VFR_SELECT = "select='lt(mod(n\\,7)\\,3)+eq(mod(n\\,11)\\,0)'";

/** ffmpeg's arguments (after `-y` and the log level) that write the clip to `file`. */
export function clipArgs(file: string, o: ClipOptions): string[] {
  const filters = [o.filter, o.variableFrameRate ? VFR_SELECT : undefined].filter(Boolean);
  const opt = (flag: string, value: string | number | undefined): string[] =>
    value === undefined ? [] : [flag, String(value)];
  return [
    ...['-f', 'lavfi', '-i', videoSource(o)],
    ...(o.audio ? ['-f', 'lavfi', '-i', audioSource(o.audio)] : []),
    ...opt('-t', o.duration),
    ...opt('-frames:v', o.frames),
    ...(filters.length > 0 ? ['-vf', filters.join(',')] : []),
    ...(o.variableFrameRate ? ['-vsync', 'vfr'] : []),
    ...opt('-output_ts_offset', o.startTime),
    ...opt('-c:v', o.codec),
    ...opt('-preset', o.preset),
    ...opt('-crf', o.crf),
    ...opt('-pix_fmt', o.pixelFormat),
    ...opt('-color_primaries', o.colour?.primaries),
    ...opt('-color_trc', o.colour?.transfer),
    ...opt('-colorspace', o.colour?.matrix),
    ...opt('-color_range', o.colour?.range),
    ...opt('-movflags', o.movflags),
    ...(o.audio ? ['-c:a', o.audioCodec ?? 'aac'] : []),
    file,
  ];
}

/**
 * Writes a synthetic clip (or a still: `frames: 1` and a `.png` name) to `file` and returns
 * `file`. A clip with `rotation` is encoded first and then remuxed with the rotation tag.
 */
export async function makeClip(file: string, options: ClipOptions): Promise<string> {
  if (options.duration === undefined && options.frames === undefined) {
    throw new Error(`makeClip(${path.basename(file)}): give frames or duration (lavfi sources never end)`);
  }
  if (!options.rotation) {
    await ffmpeg(clipArgs(file, options));
    return file;
  }
  const ext = path.extname(file);
  const upright = path.join(path.dirname(file), `.${path.basename(file, ext)}.upright${ext}`);
  try {
    await ffmpeg(clipArgs(upright, options));
    await ffmpeg(['-i', upright, '-c', 'copy', '-metadata:s:v:0', `rotate=${options.rotation}`, file]);
  } finally {
    await rm(upright, { force: true });
  }
  return file;
}
