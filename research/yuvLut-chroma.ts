/**
 * Issue 17, "LUT in the YUV domain": where do the Y'CbCr LUT's differences from today's path come
 * from? Today's path upsamples chroma to every pixel before the LUT (swscale, close to bilinear
 * with centred siting) and filters it down again after; the kernels grade per 4:2:0 site. This
 * compares, in floating point (no lattice), on the first frame of a few clips:
 *
 * - per-site: the kernels' rule (`referenceYuvLut420`, chroma 'average', out of gamut clipped);
 * - upsampled: every pixel graded with bilinearly upsampled chroma (weights 9/16, 3/16, 3/16,
 *   1/16, centred siting), chroma out as the mean of its 2x2 pixels (box).
 *
 * Usage: npx tsx research/yuvLut-chroma.ts (prints max / mean / share over 1 level per plane)
 */
import { execFileSync } from 'node:child_process';
import { fillLut, identityLut, sampleLut, type Lut3d } from '../src/correction/lut3d.js';
import { writeHald16 } from '../src/correction/hald.js';
import { inverseDetuneTransform } from '../src/detune/inverse.js';
import { applyAffine, codingMaps, type YcbcrCoding } from '../src/lut/coding.js';
import { referenceYuvLut420 } from '../src/lut/reference.js';
import { chromaSize, yuv420Bytes, yuv420Frame, type Yuv420Frame } from '../src/lut/yuv420.js';

const clamp = (v: number, lo: number, hi: number): number => (v < lo ? lo : v > hi ? hi : v);

function upsampled(
  lut: Lut3d,
  coding: YcbcrCoding,
  output: YcbcrCoding,
  src: Yuv420Frame,
  dst: Yuv420Frame,
): void {
  const { toRgb } = codingMaps(coding);
  const { fromRgb } = codingMaps(output);
  const { width: W, height: H } = src;
  const c = chromaSize(W, H);
  const rgb = new Float64Array(3);
  const graded = new Float32Array(3);
  const out = new Float64Array(3);
  const cbOut = new Float64Array(W * H);
  const crOut = new Float64Array(W * H);
  const at = (p: Uint8Array, x: number, y: number): number =>
    p[clamp(y, 0, c.height - 1) * c.width + clamp(x, 0, c.width - 1)]!;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const sy = y >> 1;
      const ny = y & 1 ? sy + 1 : sy - 1;
      const sx = x >> 1;
      const nx = x & 1 ? sx + 1 : sx - 1;
      const up = (p: Uint8Array): number =>
        (9 * at(p, sx, sy) + 3 * at(p, nx, sy) + 3 * at(p, sx, ny) + at(p, nx, ny)) / 16;
      applyAffine(toRgb, src.y[y * W + x]!, up(src.cb), up(src.cr), rgb);
      sampleLut(lut, clamp(rgb[0]!, 0, 1), clamp(rgb[1]!, 0, 1), clamp(rgb[2]!, 0, 1), graded);
      applyAffine(fromRgb, graded[0]!, graded[1]!, graded[2]!, out);
      dst.y[y * W + x] = clamp(Math.round(out[0]!), 0, 255);
      cbOut[y * W + x] = out[1]!;
      crOut[y * W + x] = out[2]!;
    }
  }
  for (let cy = 0; cy < c.height; cy++) {
    for (let cx = 0; cx < c.width; cx++) {
      let cb = 0;
      let cr = 0;
      let n = 0;
      for (let y = 2 * cy; y < Math.min(H, 2 * cy + 2); y++) {
        for (let x = 2 * cx; x < Math.min(W, 2 * cx + 2); x++, n++) {
          cb += cbOut[y * W + x]!;
          cr += crOut[y * W + x]!;
        }
      }
      dst.cb[cy * c.width + cx] = clamp(Math.round(cb / n), 0, 255);
      dst.cr[cy * c.width + cx] = clamp(Math.round(cr / n), 0, 255);
    }
  }
}

function stats(a: Yuv420Frame, b: Yuv420Frame): string {
  return (['y', 'cb', 'cr'] as const)
    .map((p) => {
      let max = 0;
      let sum = 0;
      let over = 0;
      for (let i = 0; i < a[p].length; i++) {
        const d = Math.abs(a[p][i]! - b[p][i]!);
        max = Math.max(max, d);
        sum += d;
        if (d > 1) over++;
      }
      return `${max} / ${(sum / a[p].length).toFixed(2)} / ${((100 * over) / a[p].length).toFixed(1)}%`;
    })
    .join(' | ');
}

const LUTS: Record<string, Lut3d> = {
  identity: identityLut(36),
  'green-3 inverse': fillLut(36, inverseDetuneTransform([{ family: 'green', amount: 3 }])),
  'saturation-low-3 inverse': fillLut(36, inverseDetuneTransform([{ family: 'saturation-low', amount: 3 }])),
};

const limited601: YcbcrCoding = { matrix: 'bt601', range: 'limited' };
const CLIPS: [string, YcbcrCoding][] = [
  ['/work/media/dev/video/kivy_cityCC0.mpg', limited601],
  ['/work/media/dev/video/opencv_vtest.avi', limited601],
  ['/work/media/dev/video/imageio_realshort.mp4', limited601],
  ['/work/media/dev/video/docutils_pens.mp4', { matrix: 'bt601', range: 'full' }],
];

const ffmpeg = process.env.VGRADE_FFMPEG ?? 'ffmpeg';
console.log("| clip | LUT | rule | Y' | Cb | Cr |\n| --- | --- | --- | --- | --- | --- |");
for (const [file, coding] of CLIPS) {
  const probe = execFileSync('ffprobe', [
    ...'-v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0'.split(' '),
    file,
  ]);
  const [W, H] = probe.toString().trim().split('\n')[0]!.split(',').map(Number) as [number, number];
  const bytes = yuv420Bytes(W, H);
  const decoded = [
    '-v',
    'error',
    '-i',
    file,
    ...'-fps_mode passthrough -frames:v 1 -f rawvideo -'.split(' '),
  ];
  const src = yuv420Frame(W, H, execFileSync(ffmpeg, decoded));
  const output: YcbcrCoding = { matrix: 'bt601', range: coding.range };
  for (const [name, lut] of Object.entries(LUTS)) {
    const hald = new Uint16Array(216 * 216 * 3);
    writeHald16(lut, 6, hald);
    const graph =
      '[0:v:0]format=gbrpf32le[main];[1:v:0]format=rgb48le[clut];[main][clut]haldclut=interp=tetrahedral[graded]';
    const args = ['-v', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb48le'];
    args.push('-s', '216x216', '-i', 'pipe:0');
    args.push('-filter_complex', graph, '-map', '[graded]', '-fps_mode', 'passthrough', '-frames:v', '1');
    args.push('-pix_fmt', coding.range === 'full' ? 'yuvj420p' : 'yuv420p', '-f', 'rawvideo', '-');
    const today = execFileSync(ffmpeg, args, { input: Buffer.from(hald.buffer), maxBuffer: 1 << 30 });
    const ff = yuv420Frame(W, H, today.subarray(0, bytes));
    const site = yuv420Frame(W, H);
    referenceYuvLut420(lut, { coding, outputCoding: output, outOfGamut: 'clip' }, src, site);
    const up = yuv420Frame(W, H);
    upsampled(lut, coding, output, src, up);
    const clip = file.split('/').pop();
    console.log(`| ${clip} | ${name} | per-site | ${stats(site, ff)} |`);
    console.log(`| ${clip} | ${name} | upsampled | ${stats(up, ff)} |`);
  }
}
