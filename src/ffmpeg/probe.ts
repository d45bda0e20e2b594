/**
 * Reads what a media file holds with ffprobe: container, duration, the first video stream's
 * size, pixel format, bit depth, frame rate, rotation and colour description, and how many other
 * streams there are.
 *
 * Probing reads the input, so it cannot be done on stdin (`-`) without consuming what the decoder
 * needs: a piped input is described by the decoder itself as it opens the stream, not here.
 */
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { RuntimeFailure, UsageError } from '../util/errors.js';
import { inputArgs } from './args.js';
import { pixFmtBitDepth, pixFmtHasAlpha } from './pixfmt.js';
import { FfmpegExitError, runFfmpeg } from './spawn.js';
import { meaningfulLines } from './stderr.js';

/** The video stream vgrade grades (the first one that is not cover art). */
export interface VideoStreamInfo {
  /** Index among all the file's streams (for `-map 0:<index>`). */
  index: number;
  /** Decoder name: `h264`, `png`, `ffv1`. */
  codec: string;
  /** The codec's profile as ffprobe names it (`HQ`, `High 4:2:2`...), when it states one. */
  profile?: string;
  /**
   * The decoder to open the stream with (`-c:v` before the input) where ffmpeg's default would
   * lose something: libvpx's for VP8 and VP9 with alpha.
   */
  decoder?: string;
  /** Coded width in pixels, before any rotation is applied. */
  width: number;
  /** Coded height in pixels, before any rotation is applied. */
  height: number;
  /** ffmpeg pixel format: `yuv420p`, `yuv420p10le`, `rgb24`. */
  pixFmt: string;
  /** Bits of the deepest component: 8, 10, 12, 16 (from {@link VideoStreamInfo.pixFmt}). */
  bitsPerChannel: number;
  /** `r_frame_rate`: the base rate that every timestamp is a multiple of, in frames per second. */
  frameRate?: number;
  /** `avg_frame_rate`: frames divided by duration. */
  avgFrameRate?: number;
  /** The frame count the container states, when it states one (mp4 does, matroska does not). */
  nbFrames?: number;
  /** Seconds. */
  duration?: number;
  /**
   * Degrees counterclockwise that the picture must be turned for display, in [0, 360): the
   * display matrix's `rotation` as ffprobe reports it, or the legacy `rotate` tag (which counts
   * clockwise) converted. 0 when the file says nothing.
   */
  rotation: number;
  /** The stream's bits per second, when stated (MPEG-2 states it in every sequence header). */
  bitRate?: number;
  /**
   * MPEG-2 only: pictures from one keyframe to the next in the first packets (1: intra pictures
   * only); absent where fewer than two keyframes came in them or the read failed.
   */
  gop?: number;
  /**
   * Closed captions carried inside the video stream (ATSC A/53: CEA-608/708 in H.264, HEVC or
   * MPEG-2 user data), seen in its first frames; absent where none were seen or none can be.
   */
  closedCaptions?: boolean;
  /** `tv` (limited) or `pc` (full), when stated. */
  colorRange?: string;
  /** Matrix: `bt709`, `bt470bg`, `bt2020nc`... when stated. */
  colorSpace?: string;
  colorPrimaries?: string;
  colorTransfer?: string;
  /** Pixel aspect ratio as ffprobe writes it (`64:45`), when stated and not square. */
  sampleAspectRatio?: string;
  /**
   * An interlaced source's field order as ffprobe writes it (`tt`, `bb`, `tb`, `bt`: the field
   * coded first, then the one displayed first); absent for progressive or unstated.
   */
  fieldOrder?: 'tt' | 'bb' | 'tb' | 'bt';
  /** A single picture (PNG, JPEG, TIFF... or a one-frame stream of an image codec). */
  isStill: boolean;
  hasAlpha: boolean;
}

/**
 * The picture's size as it is displayed, which is also the size ffmpeg's decoder delivers (it
 * turns the picture upright): a quarter turn (90 or 270 degrees) swaps the coded width and height.
 */
export function displaySize(video: Pick<VideoStreamInfo, 'width' | 'height' | 'rotation'>): {
  width: number;
  height: number;
} {
  const quarterTurn = Math.round(Math.abs(video.rotation) / 90) % 2 === 1;
  return quarterTurn
    ? { width: video.height, height: video.width }
    : { width: video.width, height: video.height };
}

/** An audio stream, as far as choosing how to write it goes. */
export interface AudioTrackInfo {
  /** ffprobe's name: `aac`, `pcm_s24le`... */
  readonly codec: string;
  /** Samples per second, when stated. */
  readonly sampleRate?: number;
}

/** What {@link probeMedia} found. */
export interface MediaInfo {
  /** The input as given. */
  path: string;
  /** ffprobe's `format_name`, e.g. `mov,mp4,m4a,3gp,3g2,mj2`, `matroska,webm`, `png_pipe`. */
  formatName: string;
  /** Seconds. */
  duration?: number;
  /** Seconds. */
  startTime?: number;
  /** Bits per second. */
  bitRate?: number;
  /** Absent only when probing with `requireVideo: false` a file that has none. */
  video?: VideoStreamInfo;
  audioStreams: number;
  /** Each audio stream's codec and sampling rate, in stream order. */
  audioTracks?: readonly AudioTrackInfo[];
  subtitleStreams: number;
  /** Each subtitle stream's codec as ffprobe names it (`subrip`, `hdmv_pgs_subtitle`...), in order. */
  subtitleCodecs?: readonly string[];
  /** Data and attachment streams (timecode tracks, fonts...). */
  dataStreams: number;
  /**
   * The start timecode the file states (`HH:MM:SS:FF`, `;` before the frames where drop-frame):
   * the container's (MXF), else the video's or a timecode track's (QuickTime, MP4).
   */
  timecode?: string;
  chapters: number;
  /** `nbFrames`, else duration times average rate, else 1 for a still. */
  estimatedFrames?: number;
}

/** Options of {@link probeMedia}. */
export interface ProbeOptions {
  /** Forces the demuxer (`-f`), as for the decoder. */
  format?: string;
  /** When false, a file without video is described instead of refused. Default true. */
  requireVideo?: boolean;
  /** Further options before `-i` (e.g. a protocol whitelist). */
  inputOptions?: readonly string[];
  logger?: Logger;
}

/** Containers that hold one picture (the image2 demuxer and the `*_pipe` image demuxers). */
const IMAGE_FORMAT = /(?:^|,)(?:image2|\w+_pipe)(?:,|$)/;

/** Image codecs: a stream of one frame in any container is a still. */
const IMAGE_CODECS = new Set([
  'png',
  'apng',
  'mjpeg',
  'jpegls',
  'jpeg2000',
  'tiff',
  'bmp',
  'webp',
  'gif',
  'targa',
  'dpx',
  'exr',
  'ppm',
  'pgm',
  'pgmyuv',
  'pbm',
  'pam',
  'sgi',
  'pcx',
  'qoi',
  'jpegxl',
  'hdr',
  'psd',
  'xwd',
  'sunrast',
]);

/**
 * Describes the media file `input`.
 *
 * @throws UsageError `E_USAGE` for `-` (stdin cannot be probed, see the module comment);
 *   `E_INPUT_MISSING` when the file does not exist; `E_FFMPEG_MISSING` when ffprobe cannot be
 *   started.
 * @throws RuntimeFailure `E_INPUT_NOT_MEDIA` when the file exists but ffprobe cannot read it (not
 *   media, or damaged: an mp4 cut short before its index); `E_INPUT_NO_VIDEO` when it has no video
 *   stream (unless `requireVideo` is false).
 */
export async function probeMedia(
  ffprobePath: string,
  input: string,
  opts: ProbeOptions = {},
): Promise<MediaInfo> {
  if (input === '-') {
    throw new UsageError(
      'E_USAGE',
      'Cannot probe stdin (-): probing would consume the input the decoder needs',
    );
  }
  if (isLocalPath(input) && opts.format !== 'lavfi') await requireReadableFile(input);

  // The input's part (its options, format and name) serves the caption and GOP reads as well.
  const inputPart = [
    ...(opts.inputOptions ?? []),
    ...(opts.format !== undefined ? ['-f', opts.format] : []),
    ...inputArgs(input),
  ];
  const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', '-show_chapters'];
  args.push(...inputPart);

  let stdout: string;
  try {
    ({ stdout } = await runFfmpeg(ffprobePath, args, { label: `probe ${input}`, logger: opts.logger }));
  } catch (err) {
    if (!(err instanceof FfmpegExitError)) throw err;
    const reason = probeFailureReason(err, input);
    if (/No such file or directory$/.test(reason)) {
      throw new UsageError('E_INPUT_MISSING', `Input file not found: ${input}`, { cause: err });
    }
    throw new RuntimeFailure('E_INPUT_NOT_MEDIA', `Cannot read ${input} as media: ${reason}`, {
      cause: err,
    });
  }

  const info = toMediaInfo(input, JSON.parse(stdout) as ProbeJson);
  // ffmpeg renders any file it cannot place as text ("tty", chosen by .txt/.ans names): not footage.
  if (info.formatName === 'tty') {
    throw new RuntimeFailure(
      'E_INPUT_NOT_MEDIA',
      `Cannot read ${input} as media: it is a text file, not video or a picture`,
    );
  }
  if (info.video === undefined && opts.requireVideo !== false) {
    throw new RuntimeFailure('E_INPUT_NO_VIDEO', `${input} has no video stream`);
  }
  const video = info.video;
  if (video && CAPTION_CODECS.has(video.codec)) {
    const [gop, captions] = await Promise.all([
      video.codec === 'mpeg2video' ? readGop(ffprobePath, video.index, inputPart, opts.logger) : undefined,
      readClosedCaptions(ffprobePath, video.index, inputPart, opts.logger),
    ]);
    if (gop !== undefined) video.gop = gop;
    if (captions) video.closedCaptions = true;
  }
  return info;
}

/** Codecs that carry closed captions inside the video stream (ATSC A/53 user data). */
export const CAPTION_CODECS: ReadonlySet<string> = new Set(['h264', 'hevc', 'mpeg2video']);

/** ffprobe's arguments (before the input) that decode a stream's first packets and say whether they carry captions. */
export function captionReadArgs(streamIndex: number): string[] {
  const args = ['-v', 'error', '-select_streams', String(streamIndex), '-read_intervals', '%+#4'];
  return [...args, '-count_frames', '-show_entries', 'stream=closed_captions', '-of', 'csv=p=0'];
}

/** Whether what ffprobe printed for {@link captionReadArgs} says the stream carries captions. */
export function saysCaptions(csv: string): boolean {
  return csv.trim().split(/[\s,]+/)[0] === '1';
}

/**
 * Whether the stream's first frames carry closed captions: ffprobe knows only once it has decoded
 * some (`closed_captions` is 0 before), so a few packets are decoded (about 0.1-0.2 s at 1080p,
 * beside the other reads). False where ffprobe failed.
 */
async function readClosedCaptions(
  ffprobePath: string,
  streamIndex: number,
  inputPart: readonly string[],
  logger: Logger | undefined,
): Promise<boolean> {
  const args = [...captionReadArgs(streamIndex), ...inputPart];
  try {
    const { stdout } = await runFfmpeg(ffprobePath, args, { label: 'probe captions', logger });
    return saysCaptions(stdout);
  } catch (err) {
    logger?.debug({ err }, 'could not read for closed captions');
    return false;
  }
}

/** Packets read for a GOP's length: more than the longest broadcast GOP (15) thrice. */
const GOP_PACKETS = 48;

/**
 * The longest run from one keyframe to the next in a stream's first packets (their flags only,
 * nothing decoded: tens of milliseconds), or undefined where fewer than two keyframes came or
 * ffprobe failed. The first run of an open GOP is shorter in coded order, hence the longest.
 */
async function readGop(
  ffprobePath: string,
  streamIndex: number,
  inputPart: readonly string[],
  logger: Logger | undefined,
): Promise<number | undefined> {
  const args = ['-v', 'error', '-select_streams', String(streamIndex), '-read_intervals'];
  args.push(`%+#${GOP_PACKETS}`, '-show_entries', 'packet=flags', '-of', 'csv=p=0', ...inputPart);
  try {
    const { stdout } = await runFfmpeg(ffprobePath, args, { label: 'probe GOP', logger });
    return gopOf(stdout.split('\n').filter((line) => line.trim() !== ''));
  } catch (err) {
    logger?.debug({ err }, 'could not read the GOP');
    return undefined;
  }
}

/** The longest keyframe-to-keyframe run in packets' ffprobe flags (`K_`, `__`...), if two keyframes came. */
export function gopOf(flags: readonly string[]): number | undefined {
  const keys = flags.flatMap((f, i) => (f.startsWith('K') ? [i] : []));
  if (keys.length < 2) return undefined;
  return Math.max(...keys.slice(1).map((k, i) => k - keys[i]!));
}

/** A name ffmpeg opens as a local file: no `scheme:` prefix (`rtsp:`, `pipe:`), or `file:`. */
function isLocalPath(input: string): boolean {
  return !/^[a-zA-Z][a-zA-Z0-9+.-]+:/.test(input) || input.startsWith('file:');
}

/** An image2 sequence pattern such as `frame%04d.png`, which names files but is not one. */
const SEQUENCE_PATTERN = /%0?\d*d/;

async function requireReadableFile(input: string): Promise<void> {
  const file = input.startsWith('file:') ? input.slice('file:'.length) : input;
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(file)).isDirectory();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && SEQUENCE_PATTERN.test(file)) return; // ffprobe expands it and says if nothing matches
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new UsageError('E_INPUT_MISSING', `Input file not found: ${input}`, { cause: err });
    }
    throw new RuntimeFailure(
      'E_INPUT_NOT_MEDIA',
      `Cannot read ${input} as media: ${(err as Error).message}`,
      {
        cause: err,
      },
    );
  }
  if (isDirectory) {
    throw new RuntimeFailure('E_INPUT_NOT_MEDIA', `Cannot read ${input} as media: it is a directory`);
  }
}

/** ffprobe's own words, without the `<file>: ` it puts in front: "Invalid data found when processing input". */
function probeFailureReason(err: FfmpegExitError, input: string): string {
  const lines = meaningfulLines(err.stderr, false, 2);
  if (lines.length === 0) return `ffprobe exited with code ${String(err.status)}`;
  return lines
    .map((line) => line.replace(/^\[[^\]]* @ 0x[0-9a-f]+\]\s*/, ''))
    .map((line) => (line.startsWith(`${input}: `) ? line.slice(input.length + 2) : line))
    .join('; ');
}

/** The parts of ffprobe's JSON read here. */
export interface ProbeJson {
  format?: {
    format_name?: string;
    duration?: string;
    start_time?: string;
    bit_rate?: string;
    tags?: Record<string, string | undefined>;
  };
  streams?: ProbeStream[];
  chapters?: unknown[];
}

export interface ProbeStream {
  index: number;
  codec_type?: string;
  codec_name?: string;
  profile?: string;
  width?: number;
  height?: number;
  pix_fmt?: string;
  r_frame_rate?: string;
  avg_frame_rate?: string;
  nb_frames?: string;
  duration?: string;
  color_range?: string;
  color_space?: string;
  color_primaries?: string;
  color_transfer?: string;
  sample_aspect_ratio?: string;
  field_order?: string;
  bit_rate?: string;
  sample_rate?: string;
  disposition?: { attached_pic?: number };
  tags?: Record<string, string | undefined>;
  side_data_list?: { side_data_type?: string; rotation?: number }[];
}

/** Turns ffprobe's JSON into a {@link MediaInfo}. */
export function toMediaInfo(path: string, json: ProbeJson): MediaInfo {
  const format = json.format ?? {};
  const streams = json.streams ?? [];
  const count = (type: string): number => streams.filter((s) => s.codec_type === type).length;
  const formatName = format.format_name ?? 'unknown';
  const duration = toNumber(format.duration);
  const videoStream = streams.find((s) => s.codec_type === 'video' && s.disposition?.attached_pic !== 1);
  const video = videoStream && toVideoInfo(videoStream, formatName, duration);
  const timecode = [format.tags, videoStream?.tags, ...streams.map((s) => s.tags)]
    .map((tags) => tags?.timecode ?? tags?.TIMECODE)
    .find((tc): tc is string => tc !== undefined && /^\d{2}:\d{2}:\d{2}[:;.,]\d{2}$/.test(tc));

  return {
    path,
    formatName,
    duration,
    startTime: toNumber(format.start_time),
    bitRate: toNumber(format.bit_rate),
    video,
    audioStreams: count('audio'),
    audioTracks: streams
      .filter((s) => s.codec_type === 'audio')
      .map((s) => ({ codec: s.codec_name ?? 'unknown', sampleRate: toNumber(s.sample_rate) })),
    subtitleStreams: count('subtitle'),
    subtitleCodecs: streams.filter((s) => s.codec_type === 'subtitle').map((s) => s.codec_name ?? 'unknown'),
    dataStreams: count('data') + count('attachment'),
    chapters: json.chapters?.length ?? 0,
    estimatedFrames: video && estimateFrames(video, duration),
    ...(timecode && { timecode }),
  };
}

/**
 * VP8 and VP9 carry alpha beside the picture (WebM's `alpha_mode` tag), which only libvpx's
 * decoders read: ffmpeg's own, which ffprobe reports with, give the picture without it.
 */
const ALPHA_DECODERS: Readonly<Record<string, { decoder: string; pixFmt: string }>> = {
  vp8: { decoder: 'libvpx', pixFmt: 'yuva420p' },
  vp9: { decoder: 'libvpx-vp9', pixFmt: 'yuva420p' },
};

function toVideoInfo(
  s: ProbeStream,
  formatName: string,
  formatDuration: number | undefined,
): VideoStreamInfo {
  const codec = s.codec_name ?? 'unknown';
  const alphaDecoder = s.tags?.alpha_mode === '1' ? ALPHA_DECODERS[codec] : undefined;
  const pixFmt = alphaDecoder?.pixFmt ?? s.pix_fmt ?? 'unknown';
  const nbFrames = toNumber(s.nb_frames);
  const avgFrameRate = toRate(s.avg_frame_rate);
  const duration = toNumber(s.duration) ?? toTimecode(s.tags?.DURATION);
  const frames = nbFrames ?? framesFrom(duration ?? formatDuration, avgFrameRate);
  const isStill =
    (IMAGE_FORMAT.test(formatName) && (frames === undefined || frames <= 1)) ||
    (IMAGE_CODECS.has(codec) && frames === 1);
  return {
    index: s.index,
    codec,
    ...(s.profile && s.profile !== 'unknown' && { profile: s.profile }),
    ...(alphaDecoder && { decoder: alphaDecoder.decoder }),
    width: s.width ?? 0,
    height: s.height ?? 0,
    pixFmt,
    bitsPerChannel: pixFmtBitDepth(pixFmt),
    frameRate: toRate(s.r_frame_rate),
    avgFrameRate,
    nbFrames,
    duration,
    rotation: rotationOf(s),
    ...(toNumber(s.bit_rate) !== undefined && { bitRate: toNumber(s.bit_rate) }),
    colorRange: stated(s.color_range),
    colorSpace: stated(s.color_space),
    colorPrimaries: stated(s.color_primaries),
    colorTransfer: stated(s.color_transfer),
    ...(nonSquare(s.sample_aspect_ratio) && { sampleAspectRatio: s.sample_aspect_ratio }),
    ...(isFieldOrder(s.field_order) && { fieldOrder: s.field_order }),
    isStill,
    hasAlpha: pixFmtHasAlpha(pixFmt),
  };
}

/** `-c:v DECODER` for an input whose video needs a decoder of its own (`VideoStreamInfo.decoder`), else nothing. */
export function videoDecoderOptions(video: Pick<VideoStreamInfo, 'decoder'> | undefined): string[] {
  return video?.decoder ? ['-c:v', video.decoder] : [];
}

/** Whether a field order shows the top field first (`tt`, `bt`), as against the bottom one. */
export function topFieldFirst(order: NonNullable<VideoStreamInfo['fieldOrder']>): boolean {
  return order === 'tt' || order === 'bt';
}

/**
 * Whether the picture's colours are converted field by field: an interlaced source whose fields
 * hold whole 4:2:0 sites (a height that is a multiple of 4, as interlaced formats have). Others
 * are converted as one picture: ffmpeg 5.1's `scale=interl=1` to 4:2:0 aborts on a 486-line frame.
 */
export function convertsByField(video: Pick<VideoStreamInfo, 'fieldOrder' | 'height'> | undefined): boolean {
  return video?.fieldOrder !== undefined && video.height % 4 === 0;
}

function isFieldOrder(order: string | undefined): order is NonNullable<VideoStreamInfo['fieldOrder']> {
  return order === 'tt' || order === 'bb' || order === 'tb' || order === 'bt';
}

function nonSquare(sar: string | undefined): sar is string {
  const m = /^(\d+):(\d+)$/.exec(sar ?? '');
  return m !== null && Number(m[1]) > 0 && Number(m[2]) > 0 && m[1] !== m[2];
}

function estimateFrames(video: VideoStreamInfo, formatDuration: number | undefined): number | undefined {
  if (video.isStill) return 1;
  return video.nbFrames ?? framesFrom(video.duration ?? formatDuration, video.avgFrameRate);
}

function framesFrom(duration: number | undefined, rate: number | undefined): number | undefined {
  return duration !== undefined && rate !== undefined ? Math.round(duration * rate) : undefined;
}

/**
 * Counterclockwise degrees in [0, 360). ffprobe 5.0 and later report only the display matrix;
 * ffmpeg 4.x also exported a `rotate` tag, which counts the other way (matrix 90 = tag 270).
 */
function rotationOf(s: ProbeStream): number {
  const matrix = s.side_data_list?.find((d) => typeof d.rotation === 'number')?.rotation;
  const tag = toNumber(s.tags?.rotate);
  const ccw = matrix ?? (tag !== undefined ? -tag : 0);
  const normalised = Math.round((((ccw % 360) + 360) % 360) * 100) / 100;
  return normalised === 360 ? 0 : normalised;
}

/** ffprobe's numbers are strings, and `N/A` where unknown. */
function toNumber(value: string | number | undefined): number | undefined {
  if (value === undefined || value === '' || value === 'N/A') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/** `30000/1001` to 29.97...; `0/0` (unknown) to undefined. */
function toRate(value: string | undefined): number | undefined {
  const m = value === undefined ? null : /^(\d+)\/(\d+)$/.exec(value);
  if (m === null) return toNumber(value);
  const [num, den] = [Number(m[1]), Number(m[2])];
  return num > 0 && den > 0 ? num / den : undefined;
}

/** Matroska's `DURATION` tag: `00:00:00.200000000`. */
function toTimecode(value: string | undefined): number | undefined {
  const m = value === undefined ? null : /^(\d+):(\d\d):(\d\d(?:\.\d+)?)$/.exec(value);
  return m === null ? undefined : Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
}

function stated(value: string | undefined): string | undefined {
  return value === undefined || value === 'unknown' || value === 'reserved' ? undefined : value;
}
