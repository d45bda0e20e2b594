/**
 * Facts about an ffmpeg pixel format read from its name: how many bits its deepest component
 * has and whether it carries alpha. The names follow a grammar (libavutil/pixfmt.h): a family
 * (`yuv420p`, `gbrap`, `gray`, `rgb`...), an optional depth (`yuv420p10`, `gray12`, `rgb48`, where
 * packed RGB counts all channels), `f16`/`f32` for floats, and an endianness suffix (`le`/`be`).
 * The results agree with `ffprobe -show_pixel_formats` for every non-hardware format (tested);
 * Bayer formats report their sample depth (8 or 16) rather than ffprobe's per-colour figures.
 */

const ENDIAN = /(le|be)$/;

/** Families whose digits are chroma layout, not depth (`nv12`, `yuyv422`, `uyyvyy411`). */
const EIGHT_BIT = /^(nv12|nv21|nv16|nv24|nv42|yuyv422|uyvy422|yvyu422|uyyvyy411|pal8)$/;

/** Packed RGB: digits give the bits of all channels together, or each channel's bits in turn. */
const PACKED_RGB: Readonly<Record<string, number>> = {
  '4': 2, // rgb4, bgr4: 1-2-1
  '8': 3, // rgb8: 2-3-3, bgr8: 3-3-2
  '444': 4,
  '555': 5,
  '565': 6,
  '24': 8,
  '48': 16,
  '96': 32,
};

/**
 * The bit depth of a pixel format's deepest component: `yuv420p` 8, `yuv420p10le` 10,
 * `rgb48le` 16, `gray` 8, `pal8` 8, `gbrpf32le` 32, `monow` 1. Unknown names give 8.
 */
export function pixFmtBitDepth(pixFmt: string): number {
  const name = pixFmt.replace(ENDIAN, '').replace(/_byte$/, '');
  if (EIGHT_BIT.test(name)) return 8;
  if (name === 'monow' || name === 'monob') return 1;
  let m: RegExpExecArray | null;
  if ((m = /f(16|32)$/.exec(name))) return Number(m[1]); // gbrpf32, grayf32, rgbaf16, yaf32
  if ((m = /^(?:rgb|bgr)(\d+)$/.exec(name))) return PACKED_RGB[m[1]!] ?? 8;
  if ((m = /^(?:rgba|bgra)(64|128)$/.exec(name))) return Number(m[1]) / 4;
  if ((m = /^(?:p\d|y2|x2rgb|x2bgr)(\d\d)$/.exec(name))) return Number(m[1]); // p010, p216, y210, x2rgb10
  if (name === 'nv20' || name === 'xv30' || name === 'v30x') return 10;
  if (name === 'xv36') return 12;
  if (name === 'xv48' || name === 'ayuv64') return 16;
  if ((m = /^xyz(\d+)$/.exec(name))) return Number(m[1]);
  if ((m = /(\d+)(?:msb)?$/.exec(name)) && /(?:p|gray|ya|bayer_\w{4})\d+(?:msb)?$/.test(name))
    return Number(m[1]);
  return 8;
}

/** True when the format has an alpha channel (`rgba`, `yuva420p`, `gbrap10le`, `ya8`), or a
 * palette, which may hold alpha (`pal8`), as libavutil flags it. */
export function pixFmtHasAlpha(pixFmt: string): boolean {
  return /^(yuva|gbrap|ya\d|yaf|rgba|bgra|argb|abgr|ayuv|vuya|uyva|pal8)/.test(pixFmt);
}
