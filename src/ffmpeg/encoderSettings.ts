import path from 'node:path';
import type { FfmpegCapabilities } from './capabilities.js';
import { convertsByField, topFieldFirst, type MediaInfo } from './probe.js';
import { audioArgs } from './containerAudio.js';
import { subtitleArgs } from './containerSubtitles.js';
import type { OutputTarget } from './output.js';
import { mezzanineOf, proresPixFmt, xdcamHd422 } from './mezzanine.js';
import { UsageError } from '../util/errors.js';

/** The encoder choices of the pipeline's `encode` stage ('auto' and -1 mean "pick for the output"). */
export interface EncodeChoices {
  readonly codec: string;
  readonly crf: number;
  readonly preset: string;
  readonly pix_fmt: string;
}

/** Arguments for the video encoder, the other streams and the container, from the output type. */
export interface EncoderPlan {
  readonly videoArgs: string[];
  readonly streamArgs: string[];
  readonly muxerArgs: string[];
  readonly description: string;
  /** The source's subtitle streams the output's container cannot hold (`#N codec`): left out. */
  readonly subtitlesLeftOut?: readonly string[];
}

const MP4_LIKE = new Set(['.mp4', '.m4v', '.mov']);

const X26X_PRESETS = [
  'ultrafast',
  'superfast',
  'veryfast',
  'faster',
  'fast',
  'medium',
  'slow',
  'slower',
  'veryslow',
  'placebo',
] as const;

/**
 * What each encoder we know accepts for `crf` and `preset` (for libvpx-vp9, `preset` is passed as
 * `-deadline`). Encoders not listed get what they are given, and ffmpeg judges. libx264's range
 * is that of 8-bit output (10-bit x264 also takes negative values down to -12).
 */
const ENCODER_LIMITS: Readonly<
  Record<string, { crf: readonly [number, number]; presets?: readonly string[] }>
> = {
  libx264: { crf: [0, 51], presets: X26X_PRESETS },
  libx264rgb: { crf: [0, 51], presets: X26X_PRESETS },
  libx265: { crf: [0, 51], presets: X26X_PRESETS },
  'libvpx-vp9': { crf: [0, 63], presets: ['good', 'best', 'realtime'] },
  libvpx: { crf: [4, 63] },
  'libaom-av1': { crf: [0, 63] },
  libsvtav1: { crf: [0, 63] },
};

/**
 * Checks `crf` and `preset` against what `codec` accepts, before any process starts, so that a
 * typo is a usage error (exit 2) rather than an encoder that fails to open once frames flow.
 * `source` names where each value came from (`--crf` on the command line, else `encode.crf`).
 */
export function checkEncoderOptions(
  codec: string,
  crf: number | undefined,
  preset: string | undefined,
  source: { crf: string; preset: string },
): void {
  const limits = ENCODER_LIMITS[codec];
  if (!limits) return;
  const [min, max] = limits.crf;
  if (crf !== undefined && !(Number.isFinite(crf) && crf >= min && crf <= max)) {
    throw new UsageError(
      'E_USAGE',
      `Expected number between ${String(min)} and ${String(max)} for ${source.crf} with ${codec} but received ${String(crf)}`,
    );
  }
  if (preset !== undefined && limits.presets && !limits.presets.includes(preset)) {
    throw new UsageError(
      'E_USAGE',
      `Expected one of ${limits.presets.join(', ')} for ${source.preset} with ${codec} but received ${preset}`,
    );
  }
}

/** Packed RGB of 8 or 16 bits, with alpha or without, in the byte order a format takes. */
export function rgbPixFmt(deep: boolean, alpha: boolean, order: 'be' | 'le'): string {
  if (!deep) return alpha ? 'rgba' : 'rgb24';
  return `${alpha ? 'rgba64' : 'rgb48'}${order}`;
}

function chroma(pixFmt: string | undefined): '420' | '422' | '444' {
  if (!pixFmt) return '420';
  if (/444|gbr|rgb|bgr/.test(pixFmt)) return '444';
  if (/422/.test(pixFmt)) return '422';
  return '420';
}

/**
 * Picks encoder defaults per output type: H.264 (CRF 18, preset medium) for video files and
 * pipes, keeping the source's chroma layout and bit depth where the encoder can (10-bit H.264 for
 * deeper sources), except that a master in a mastering codec stays in it, in its own profile
 * (ProRes to .mov or .mkv, DNxHR to .mov, .mxf or .mkv, XDCAM and IMX MPEG-2 to .mxf:
 * `mezzanineOf`); PNG/TIFF/JPEG for stills, 16-bit where the source is deeper than 8 bits.
 * Explicit choices (command line first, then the pipeline's `encode` stage) win.
 */
export function planEncoder(
  output: OutputTarget,
  media: MediaInfo | undefined,
  choices: EncodeChoices,
  caps: FfmpegCapabilities,
  frameSize: { width: number; height: number },
): EncoderPlan {
  const ext = output.path === '-' ? '' : path.extname(output.path).toLowerCase();
  const deep = (media?.video?.bitsPerChannel ?? 8) > 8;
  // The encoder road passes a source's alpha on (haldclut grades the colour only).
  const alpha = media?.video?.hasAlpha === true;
  const codecChoice = output.overrides.codec ?? choices.codec;
  if (codecChoice !== 'auto' && caps.encoders.size > 0 && !caps.encoders.has(codecChoice)) {
    throw new UsageError(
      'E_USAGE',
      `The ffmpeg in use (${caps.path}) has no ${codecChoice} encoder, needed for ${output.label}`,
    );
  }
  const crf = output.overrides.crf ?? (choices.crf >= 0 ? choices.crf : undefined);
  const preset = output.overrides.preset ?? (choices.preset !== 'auto' ? choices.preset : undefined);
  const want = (name: string): string => {
    if (!caps.encoders.has(name)) {
      throw new UsageError(
        'E_USAGE',
        `The ffmpeg in use (${caps.path}) has no ${name} encoder, needed for ${output.label}`,
      );
    }
    return name;
  };

  if (output.kind === 'image' || output.kind === 'sequence') {
    const single = output.kind === 'image' ? ['-update', '1'] : [];
    if (ext === '.png') {
      const codec = codecChoice === 'auto' ? want('png') : codecChoice;
      const pix = choices.pix_fmt !== 'auto' ? choices.pix_fmt : rgbPixFmt(deep, alpha, 'be');
      return {
        videoArgs: ['-c:v', codec, '-pix_fmt', pix],
        streamArgs: [],
        muxerArgs: single,
        description: `${codec} ${pix}`,
      };
    }
    if (ext === '.tif' || ext === '.tiff') {
      const codec = codecChoice === 'auto' ? want('tiff') : codecChoice;
      const pix = choices.pix_fmt !== 'auto' ? choices.pix_fmt : rgbPixFmt(deep, alpha, 'le');
      return {
        videoArgs: ['-c:v', codec, '-pix_fmt', pix],
        streamArgs: [],
        muxerArgs: single,
        description: `${codec} ${pix}`,
      };
    }
    if (ext === '.jpg' || ext === '.jpeg') {
      const codec = codecChoice === 'auto' ? want('mjpeg') : codecChoice;
      const pix = choices.pix_fmt !== 'auto' ? choices.pix_fmt : 'yuvj444p';
      return {
        videoArgs: ['-c:v', codec, '-pix_fmt', pix, '-q:v', '2'],
        streamArgs: [],
        muxerArgs: single,
        description: `${codec} ${pix} q2`,
      };
    }
    const codec = codecChoice === 'auto' ? undefined : codecChoice;
    return {
      videoArgs: codec ? ['-c:v', codec] : [],
      streamArgs: [],
      muxerArgs: single,
      description: codec ?? 'ffmpeg default for the extension',
    };
  }

  const format = output.format ?? ext.slice(1);
  if (format === 'y4m' || ext === '.y4m') {
    const pix =
      choices.pix_fmt !== 'auto'
        ? choices.pix_fmt
        : chroma(media?.video?.pixFmt) === '444'
          ? 'yuv444p'
          : 'yuv420p';
    // ffmpeg's yuv4mpegpipe muxer takes decoded frames as they are (wrapped_avframe), not rawvideo.
    return {
      videoArgs: ['-c:v', 'wrapped_avframe', '-pix_fmt', pix],
      streamArgs: ['-an', '-sn'],
      muxerArgs: [],
      description: `y4m ${pix}`,
    };
  }
  const isWebm = format === 'webm';
  const isOgg = format === 'ogg' || format === 'ogv';
  // A master in a mastering codec goes back in it, where ffmpeg has the encoder (else H.264).
  const found = output.format ? undefined : mezzanineOf(media?.video, ext, media?.bitRate);
  const mezzanine = found && caps.encoders.has(found.encoder) ? found : undefined;
  const codec =
    codecChoice !== 'auto'
      ? codecChoice
      : isWebm
        ? want('libvpx-vp9')
        : isOgg
          ? want('libtheora')
          : mezzanine
            ? mezzanine.encoder
            : want('libx264');
  // Its profile and layout, also when that encoder is asked for by name (MPEG-2 for another
  // source: XDCAM HD422's).
  const kept =
    found?.encoder === codec
      ? found
      : codec === 'mpeg2video'
        ? xdcamHd422(frameSize, media?.video?.avgFrameRate ?? media?.video?.frameRate)
        : undefined;
  checkEncoderOptions(codec, crf, preset, {
    crf: output.overrides.crf !== undefined ? '--crf' : 'encode.crf',
    preset: output.overrides.preset !== undefined ? '--preset' : 'encode.preset',
  });
  const videoArgs = ['-c:v', codec];
  const c = media?.video;
  const rgbSource =
    /^(rgb|bgr|gbr|argb|abgr|pal8|gray|ya)/.test(c?.pixFmt ?? '') ||
    c?.colorSpace === 'gbr' ||
    c?.colorSpace === 'rgb';
  // Full-range YUV stays full range (yuvj*); 10-bit has no yuvj format, so it becomes limited.
  const fullRange = c?.colorRange === 'pc' && !rgbSource;
  let pix = choices.pix_fmt;
  if (pix === 'auto' && kept) pix = kept.pixFmt;
  if (pix === 'auto' && codec === 'prores_ks')
    pix = proresPixFmt(chroma(c?.pixFmt) === '444' || alpha, alpha);
  // VP8 and VP9 carry 8-bit 4:2:0 alpha (WebM's alpha_mode).
  if (pix === 'auto' && alpha && !deep && (codec === 'libvpx-vp9' || codec === 'libvpx')) pix = 'yuva420p';
  if (pix === 'auto') {
    const layout = chroma(c?.pixFmt);
    const odd = frameSize.width % 2 === 1 || frameSize.height % 2 === 1;
    // 4:2:0 needs even sizes; keep odd-sized sources whole in 4:4:4 rather than crop them.
    const sub = odd ? '444' : layout;
    pix = deep ? `yuv${sub}p10le` : fullRange ? `yuvj${sub}p` : `yuv${sub}p`;
  }
  videoArgs.push('-pix_fmt', pix);
  if (codec === 'libx264' || codec === 'libx265') {
    videoArgs.push('-crf', String(crf ?? 18), '-preset', preset ?? 'medium');
    // ffmpeg's MXF muxer stores no reordering for H.264 (every packet's pts is its dts): with
    // B-pictures the file would show them in coded order, scrambled.
    if (/^mxf/.test(format)) videoArgs.push('-bf', '0');
  } else if (kept) {
    videoArgs.push('-profile:v', kept.profile, ...kept.options);
  } else if (codec === 'libtheora') {
    // Theora has no CRF; its quality scale runs 0-10.
    videoArgs.push('-q:v', '8');
  } else if (codec === 'libvpx-vp9') {
    videoArgs.push('-crf', String(crf ?? 30), '-b:v', '0');
    if (preset) videoArgs.push('-deadline', preset);
  } else {
    if (crf !== undefined) videoArgs.push('-crf', String(crf));
    if (preset) videoArgs.push('-preset', preset);
  }
  // An interlaced source stays interlaced: its field order is written, and x264 codes fields
  // (without the flags it codes the woven frames as progressive pictures, and players do not
  // deinterlace them). x264 codes the fields of a height that is a multiple of 4 only (4:2:0
  // sites whole in each field), as `convertsByField` says.
  if (c?.fieldOrder) {
    const fields = convertsByField(c);
    if (fields && (codec === 'libx264' || codec === 'mpeg2video')) videoArgs.push('-flags', '+ilme+ildct');
    // ProRes codes a picture as two fields with interlaced DCT, in the order the frames are marked
    // (ffmpeg's DNxHR encoder codes no fields: its frames are woven, the field order written).
    if (codec === 'prores_ks') videoArgs.push('-flags', '+ildct');
    // x264 takes the order the fields are shown in from its own setting, not the frames'.
    if (fields && codec === 'libx264') {
      videoArgs.push('-x264-params', topFieldFirst(c.fieldOrder) ? 'tff=1' : 'bff=1');
    }
    videoArgs.push('-field_order', c.fieldOrder);
  }
  // The range tag says what the written data is; an RGB source's matrix (gbr) means nothing for YUV.
  const rangeTag = pix.startsWith('yuvj') ? 'pc' : rgbSource ? undefined : fullRange ? 'tv' : c?.colorRange;
  for (const [flag, value] of [
    ['-color_range', rangeTag],
    ['-colorspace', rgbSource ? undefined : c?.colorSpace],
    ['-color_primaries', c?.colorPrimaries],
    ['-color_trc', c?.colorTransfer],
  ] as const) {
    if (value && value !== 'unknown' && value !== 'reserved') videoArgs.push(flag, value);
  }
  const streamArgs = ['-map', '0:a?', '-map_metadata', '0', '-map_chapters', '0'];
  streamArgs.push(...audioArgs(format, media?.audioTracks));
  const subtitles = subtitleArgs(format, media?.subtitleCodecs);
  streamArgs.push(...subtitles.args);
  const muxerArgs = ['-max_muxing_queue_size', '4096'];
  // The source's start timecode (a video stream's or a timecode track's is not global metadata,
  // so -map_metadata leaves it behind): QuickTime, MP4, MXF and Matroska write it.
  if (media?.timecode) muxerArgs.push('-timecode', media.timecode);
  if (MP4_LIKE.has(ext) && output.path !== '-') muxerArgs.push('-movflags', '+faststart');
  // MP4 on a pipe cannot seek back to write its index: fragment it instead.
  if (output.path === '-' && (format === 'mp4' || format === 'mov' || format === 'ismv')) {
    muxerArgs.push('-movflags', '+frag_keyframe+empty_moov');
  }
  return {
    videoArgs,
    streamArgs,
    muxerArgs,
    description: `${codec} ${pix}${crf !== undefined || codec === 'libx264' ? ` crf ${crf ?? 18}` : ''}`,
    ...(subtitles.leftOut.length > 0 && { subtitlesLeftOut: subtitles.leftOut }),
  };
}
