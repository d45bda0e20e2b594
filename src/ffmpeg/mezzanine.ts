import type { VideoStreamInfo } from './probe.js';

/**
 * How a master in an intra-frame mastering codec is written back in that codec, in its own
 * profile: what a post house or a broadcaster hands on expects to get back (`codec: auto`). Other
 * sources, and these in other containers, are written as H.264.
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
};

/**
 * The mastering codec a source is written back in to a file of extension `ext`, or undefined.
 * ProRes in any of its profiles (4:2:2 10-bit, or 4:4:4 10-bit with the source's alpha for 4444),
 * with Apple's vendor code; DNxHR in its profile (DNxHD's fixed bit rates per frame size and rate
 * are not carried over).
 */
export function mezzanineOf(
  video: Pick<VideoStreamInfo, 'codec' | 'profile' | 'hasAlpha'> | undefined,
  ext: string,
): Mezzanine | undefined {
  if (!video || !CONTAINERS[video.codec]?.has(ext)) return undefined;
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
