import type { VideoStreamInfo } from './probe.js';

/**
 * How a master in a mastering or broadcast codec is written back in that codec, in its own
 * profile: what a post house or a broadcaster hands on expects to get back (`codec: auto`). ProRes
 * and DNxHR, and MPEG-2 in MXF as XDCAM and IMX carry it. Other sources, and these in other
 * containers, are written as H.264.
 */
export interface Mezzanine {
  /** ffmpeg's encoder. */
  readonly encoder: string;
  /** The encoder's `-profile:v`: the source's bit rate class. */
  readonly profile: string;
  /** The layout that profile codes. */
  readonly pixFmt: string;
  /** More of the encoder's options. */
  readonly options: readonly string[];
}

/** prores_ks's profile for each ProRes profile ffprobe names. */
const PRORES_PROFILES: Readonly<Record<string, string>> = {
  Proxy: 'proxy',
  LT: 'lt',
  Standard: 'standard',
  HQ: 'hq',
  '4444': '4444',
  '4444 XQ': '4444xq',
};

/** The dnxhd encoder's profile and layout for each DNxHR profile ffprobe names. */
const DNXHR_PROFILES: Readonly<Record<string, { profile: string; pixFmt: string }>> = {
  'DNXHR LB': { profile: 'dnxhr_lb', pixFmt: 'yuv422p' },
  'DNXHR SQ': { profile: 'dnxhr_sq', pixFmt: 'yuv422p' },
  'DNXHR HQ': { profile: 'dnxhr_hq', pixFmt: 'yuv422p' },
  'DNXHR HQX': { profile: 'dnxhr_hqx', pixFmt: 'yuv422p10le' },
  'DNXHR 444': { profile: 'dnxhr_444', pixFmt: 'yuv444p10le' },
};

/** What ProRes codes: 4:2:2, or 4:4:4 with the source's alpha in its 4444 profiles; 10 bits. */
export function proresPixFmt(full: boolean, alpha: boolean): string {
  if (!full) return 'yuv422p10le';
  return alpha ? 'yuva444p10le' : 'yuv444p10le';
}

/** Containers each codec's masters are written back into as that codec. */
const CONTAINERS: Readonly<Record<string, ReadonlySet<string>>> = {
  prores: new Set(['.mov', '.mkv']),
  dnxhd: new Set(['.mov', '.mxf', '.mkv']),
  mpeg2video: new Set(['.mxf']),
};

/** What an MPEG-2 source's coding is matched from. */
type Mpeg2Source = Pick<
  VideoStreamInfo,
  'profile' | 'width' | 'height' | 'bitRate' | 'gop' | 'avgFrameRate' | 'frameRate'
>;

/** The MPEG-2 profiles broadcast MXF carries: mpeg2video's `-profile:v` and the layout it codes. */
const MPEG2_PROFILES: Readonly<Record<string, { profile: string; pixFmt: string }>> = {
  '4:2:2': { profile: '0', pixFmt: 'yuv422p' },
  Main: { profile: '4', pixFmt: 'yuv420p' },
};

/**
 * The largest rate (bits per second) and video buffer (bits) that MPEG-2's profile and level
 * allow: 4:2:2 profile at high or main level, main profile at high, high-1440 or main level
 * (ISO/IEC 13818-2, tables 8-12 to 8-14).
 */
function mpeg2Limits(profile422: boolean, width: number, height: number): { rate: number; buffer: number } {
  const hd = height > 608;
  if (profile422) return hd ? { rate: 300e6, buffer: 47_185_920 } : { rate: 50e6, buffer: 9_437_184 };
  if (!hd) return { rate: 15e6, buffer: 1_835_008 };
  return width > 1440 ? { rate: 80e6, buffer: 9_781_248 } : { rate: 60e6, buffer: 7_340_032 };
}

/** XDCAM HD422's buffer is 17,825,792 bits at 50 Mb/s: about 0.36 s of the rate. */
const BUFFER_SECONDS = 17_825_792 / 50_000_000;

/**
 * MPEG-2 at the source's bit rate (constant in the 4:2:2 profile, as XDCAM HD422 and IMX code
 * it; at most that rate in the main profile, as XDCAM HD does), in the source's GOP: intra
 * pictures only where it has them (IMX), else a long GOP of its length (where the probe did not
 * read one: 12 pictures at 25 and 50 Hz, 15 at 30 and 60 Hz, as XDCAM's), two B-pictures between
 * anchors and no extra I-picture at a cut (players and servers count on the fixed GOP). Fields
 * are coded as fields where the source has them (`planEncoder`). A variable-rate stream in MXF
 * states no rate: then the container's rate (audio included, so a little above the video's) is
 * the mean, and the level's limits bound the peaks. With no rate at all: undefined.
 */
function mpeg2Mezzanine(video: Mpeg2Source, containerBitRate: number | undefined): Mezzanine | undefined {
  const kind = MPEG2_PROFILES[video.profile ?? ''];
  const mean = video.bitRate ?? containerBitRate;
  if (!kind || !mean || !(mean > 0)) return undefined;
  const profile422 = kind.profile === '0';
  const limits = mpeg2Limits(profile422, video.width, video.height);
  const constant = profile422 || video.bitRate !== undefined;
  const peak = constant ? Math.round(mean) : limits.rate;
  const buffer = constant ? Math.min(limits.buffer, Math.round(peak * BUFFER_SECONDS)) : limits.buffer;
  const control = ['-b:v', String(Math.round(mean)), '-maxrate', String(peak), '-bufsize', String(buffer)];
  if (profile422) control.push('-minrate', String(peak), '-rc_init_occupancy', String(buffer));
  const hz = Math.round(video.avgFrameRate ?? video.frameRate ?? 25);
  const length = video.gop ?? (hz % 30 === 0 ? 15 : 12);
  const gop =
    length === 1
      ? ['-g', '1']
      : ['-g', String(length), '-bf', String(Math.min(2, length - 1)), '-sc_threshold', '1000000000'];
  // Quantisation as broadcast encoders set it for these rates: fine steps, 10-bit DC.
  const quality = ['-intra_vlc', '1', '-non_linear_quant', '1', '-qmin', '1', '-qmax', '12', '-dc', '10'];
  return {
    encoder: 'mpeg2video',
    profile: kind.profile,
    pixFmt: kind.pixFmt,
    options: [...control, ...gop, ...quality],
  };
}

/**
 * MPEG-2 as XDCAM HD422 codes it (4:2:2 profile, a constant 50 Mb/s, XDCAM's GOP for the rate):
 * what `--codec mpeg2video` writes for a source that is not MPEG-2 of a broadcast profile itself,
 * rather than ffmpeg's 200 kb/s default (below 720p, a rate in proportion to the pixels).
 * Undefined above the 4:2:2 profile's high level (1920 x 1152), where MPEG-2 has no broadcast form.
 */
export function xdcamHd422(
  frame: { width: number; height: number },
  frameRate: number | undefined,
): Mezzanine | undefined {
  if (frame.width > 1920 || frame.height > 1152) return undefined;
  // Below 720p, the rate in proportion to the pixels: a small picture cannot fill 50 Mb/s, and the
  // encoder fails on the stuffing a constant rate would need.
  const share = Math.min(1, (frame.width * frame.height) / (1280 * 720));
  const bitRate = Math.round((50e6 * share) / 1e5) * 1e5;
  return mpeg2Mezzanine({ profile: '4:2:2', ...frame, bitRate, avgFrameRate: frameRate }, undefined);
}

/**
 * The mastering codec a source is written back in to a file of extension `ext`, or undefined.
 * ProRes in any of its profiles (4:2:2 10-bit, or 4:4:4 10-bit with the source's alpha for 4444),
 * with Apple's vendor code; DNxHR in its profile (DNxHD's fixed bit rates per frame size and rate
 * are not carried over); MPEG-2 of the 4:2:2 or main profile to MXF (`mpeg2Mezzanine`).
 */
export function mezzanineOf(
  video: (Pick<VideoStreamInfo, 'codec' | 'hasAlpha'> & Mpeg2Source) | undefined,
  ext: string,
  containerBitRate?: number,
): Mezzanine | undefined {
  if (!video || !CONTAINERS[video.codec]?.has(ext)) return undefined;
  if (video.codec === 'mpeg2video') return mpeg2Mezzanine(video, containerBitRate);
  const named = video.profile ?? '';
  if (video.codec === 'prores') {
    const profile = PRORES_PROFILES[named];
    if (!profile) return undefined;
    const pixFmt = proresPixFmt(profile.startsWith('4444'), video.hasAlpha);
    return { encoder: 'prores_ks', profile, pixFmt, options: ['-vendor', 'apl0'] };
  }
  const dnxhr = DNXHR_PROFILES[named];
  return dnxhr && { encoder: 'dnxhd', ...dnxhr, options: [] };
}
