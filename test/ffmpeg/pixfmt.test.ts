import { describe, expect, it } from 'vitest';
import { pixFmtBitDepth, pixFmtHasAlpha } from '../../src/ffmpeg/pixfmt.js';
import { runFfmpeg } from '../../src/ffmpeg/spawn.js';
import { builds } from './helpers.js';

describe('pixFmtBitDepth', () => {
  // prettier-ignore
  it.each([
    ['yuv420p', 8], ['yuvj420p', 8], ['nv12', 8], ['yuyv422', 8], ['gray', 8], ['pal8', 8], ['rgb24', 8],
    ['rgba', 8], ['bgr0', 8], ['ya8', 8], ['bayer_rggb8', 8],
    ['yuv420p10le', 10], ['p010le', 10], ['x2rgb10le', 10], ['gray10be', 10], ['nv20le', 10], ['y210le', 10],
    ['yuv444p12le', 12], ['gbrap12be', 12], ['xyz12le', 12],
    ['yuv420p9le', 9], ['gray14le', 14],
    ['rgb48le', 16], ['bgra64be', 16], ['gray16le', 16], ['ya16le', 16], ['p016le', 16], ['yuva444p16le', 16],
    ['ayuv64le', 16], ['rgbaf16le', 16], ['bayer_rggb16le', 16],
    ['gbrpf32le', 32], ['grayf32be', 32],
    ['rgb565le', 6], ['monow', 1],
    ['something_new', 8],
  ] as const)('%s has %i bits per channel', (name, bits) => {
    expect(pixFmtBitDepth(name)).toBe(bits);
  });
});

describe('pixFmtHasAlpha', () => {
  it.each([
    'rgba',
    'bgra',
    'argb',
    'abgr',
    'yuva420p',
    'gbrap10le',
    'ya8',
    'ya16be',
    'rgba64le',
    'pal8',
    'vuya',
  ])('%s has alpha', (name) => expect(pixFmtHasAlpha(name)).toBe(true));
  it.each(['rgb24', 'rgb0', 'yuv420p', 'yuyv422', 'gray', 'x2rgb10le', 'vuyx', 'gbrp'])(
    '%s has none',
    (name) => expect(pixFmtHasAlpha(name)).toBe(false),
  );
});

interface PixelFormatJson {
  name: string;
  flags: { hwaccel: number; alpha: number };
  components?: { bit_depth: number }[];
}

describe.each(builds)("agrees with the $name ffprobe's own pixel format table", (build) => {
  it('for every format that is not a hardware surface or a Bayer mosaic', async () => {
    const { stdout } = await runFfmpeg(build.ffprobe, ['-v', 'error', '-show_pixel_formats', '-of', 'json'], {
      label: 'pixel formats',
    });
    const formats = (JSON.parse(stdout) as { pixel_formats: PixelFormatJson[] }).pixel_formats.filter(
      (f) => f.flags.hwaccel === 0 && !f.name.startsWith('bayer_'),
    );
    expect(formats.length).toBeGreaterThan(150);
    const mine = formats.map((f) => ({
      name: f.name,
      bits: pixFmtBitDepth(f.name),
      alpha: pixFmtHasAlpha(f.name),
    }));
    const theirs = formats.map((f) => ({
      name: f.name,
      bits: Math.max(...(f.components ?? []).map((c) => c.bit_depth)),
      alpha: f.flags.alpha === 1,
    }));
    expect(mine).toEqual(theirs);
  });
});
