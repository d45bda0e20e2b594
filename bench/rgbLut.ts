/**
 * The live preview's LUT kernel (`applyLutRgb24`: a frame's RGB LUT applied to its rgb24 picture on
 * Node's main thread), WebAssembly SIMD (`src/lut/rgb24Wasm.ts`), at the preview's default size,
 * 960x540, one core; for comparison `applyLut` (`sampleLut` per pixel, the JavaScript the project
 * grades 8-bit `RgbImage`s with), and how far its bytes are from the kernel's.
 *
 * The JavaScript kernel the preview had before (src/lut/rgb24.ts until the commit after 6402855,
 * where this bench measured it against the WebAssembly one: same bytes on every picture),
 * 2026-11-30, load average 2-3 on the 2-core machine, CPU ms a frame JavaScript -> WebAssembly:
 *
 * | picture | 25^3 | 33^3 |
 * | --- | --- | --- |
 * | noise | 39.3 -> 10.4 (3.8x) | 33.9 -> 8.1 (4.2x) |
 * | gradient | 13.8 -> 4.6 (3.0x) | 9.2 -> 3.1 (3.0x) |
 * | cockatoo.mp4 frame | 19.8 -> 7.0 (2.8x) | 22.1 -> 6.9 (3.2x) |
 *
 * Pictures: uniform noise (every pixel a new colour, LUT reads all over the lattice), a smooth
 * gradient (runs of one colour, neighbouring cells) and a frame of samples/cockatoo.mp4 scaled to
 * 960x540 (skipped if ffmpeg cannot make it). LUTs: the inverse of saturation-low 3 (a correction
 * the grade makes) at 25^3 (the preview's usual size) and 33^3. Per call: CPU time (user + system)
 * and wall time, median of `--runs`, the two alternating so a busy machine slows both alike.
 * Also: what the WebAssembly kernel's copies cost (the picture into its memory and the result
 * out, as two `Uint8Array.set`).
 *
 * Usage: npx tsx bench/rgbLut.ts [--runs 21]
 */
import { spawn } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { applyLut, fillLut, type Lut3d } from '../src/correction/lut3d.js';
import { inverseDetuneTransform } from '../src/detune/inverse.js';
import { WasmRgb24Lut } from '../src/lut/rgb24Wasm.js';
import { packageRoot } from '../src/util/packageRoot.js';

const FFMPEG = process.env.VGRADE_FFMPEG ?? 'ffmpeg';
const W = 960;
const H = 540;
const PIXELS = W * H;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function noise(): Uint8Array {
  // mulberry32, seeded: the same picture every run.
  let a = 1;
  const out = new Uint8Array(PIXELS * 3);
  for (let i = 0; i < out.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (t ^ (t >>> 14)) & 255;
  }
  return out;
}

function gradient(): Uint8Array {
  const out = new Uint8Array(PIXELS * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const i = (y * W + x) * 3;
      out[i] = Math.floor((x * 255) / (W - 1));
      out[i + 1] = Math.floor((y * 255) / (H - 1));
      out[i + 2] = Math.floor(((x + y) * 255) / (W + H - 2));
    }
  }
  return out;
}

/** A frame of the shipped sample, 1 s in, scaled to 960x540 rgb24; undefined without ffmpeg. */
function cockatoo(): Promise<Uint8Array | undefined> {
  const file = path.join(packageRoot(), 'samples', 'cockatoo.mp4');
  const args = ['-v', 'error', '-ss', '1', '-i', file, '-frames:v', '1', '-vf', `scale=${W}:${H}`];
  return new Promise((resolve) => {
    const p = spawn(FFMPEG, [...args, '-pix_fmt', 'rgb24', '-f', 'rawvideo', '-']);
    const chunks: Buffer[] = [];
    p.stdout.on('data', (d: Buffer) => chunks.push(d));
    p.on('error', () => resolve(undefined));
    p.on('close', (code) => {
      const out = Buffer.concat(chunks);
      resolve(code === 0 && out.length === PIXELS * 3 ? out : undefined);
    });
  });
}

interface Timing {
  cpu: number[];
  wall: number[];
}

function timed(t: Timing, fn: () => void): void {
  const wall = performance.now();
  const cpu = process.cpuUsage();
  fn();
  const used = process.cpuUsage(cpu);
  t.wall.push(performance.now() - wall);
  t.cpu.push((used.user + used.system) / 1000);
}

function table(head: string[], rows: string[][]): string {
  const line = (r: string[]): string => `| ${r.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const runs = Number(arg('runs', '21'));
  const pictures: [string, Uint8Array][] = [
    ['noise', noise()],
    ['gradient', gradient()],
  ];
  const real = await cockatoo();
  if (real) pictures.push(['cockatoo.mp4 frame', real]);
  else console.log(`(no cockatoo frame: ${FFMPEG} could not make one)`);
  const luts: [string, Lut3d][] = [25, 33].map((size) => [
    `${size}^3`,
    fillLut(size, inverseDetuneTransform([{ family: 'saturation-low', amount: 3 }])),
  ]);
  const load = (): string =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  console.log(`# The preview's LUT kernel at ${W}x${H}, ${new Date().toISOString()}`);
  console.log(`Node ${process.version}; ${os.cpus()[0]?.model ?? '?'}; load average ${load()}\n`);
  const kernel = new WasmRgb24Lut();
  const js = new Uint8Array(PIXELS * 3);
  const wasm = new Uint8Array(PIXELS * 3);
  const rows: string[][] = [];
  for (const [lutName, lut] of luts) {
    for (const [name, src] of pictures) {
      const t = { js: { cpu: [], wall: [] } as Timing, wasm: { cpu: [], wall: [] } as Timing };
      const image = (data: Uint8Array) => ({ width: W, height: H, depth: 8 as const, data });
      const viaSampleLut = (): void => applyLut(lut, image(src), image(js));
      viaSampleLut();
      kernel.apply(lut, src, wasm, PIXELS);
      let worst = 0;
      let differing = 0;
      for (let i = 0; i < js.length; i++) {
        const d = Math.abs(js[i]! - wasm[i]!);
        worst = Math.max(worst, d);
        if (d) differing++;
      }
      for (let r = 0; r < runs; r++) {
        timed(t.js, viaSampleLut);
        timed(t.wasm, () => kernel.apply(lut, src, wasm, PIXELS));
      }
      const js1 = median(t.js.cpu);
      const wasm1 = median(t.wasm.cpu);
      rows.push([
        name,
        lutName,
        `${js1.toFixed(2)} (${median(t.js.wall).toFixed(2)})`,
        `${wasm1.toFixed(2)} (${median(t.wasm.wall).toFixed(2)})`,
        `${(js1 / wasm1).toFixed(1)}x`,
        `${worst} / ${differing} of ${js.length}`,
      ]);
    }
  }
  console.log(`CPU ms per frame (wall ms), median of ${runs}:\n`);
  console.log(
    table(
      [
        'picture',
        'LUT',
        'applyLut (JavaScript)',
        'WebAssembly SIMD (copies included)',
        'speed-up',
        'bytes apart: most / how many',
      ],
      rows,
    ),
  );
  const heap = new Uint8Array(PIXELS * 3 + 64);
  const copies: Timing = { cpu: [], wall: [] };
  for (let r = 0; r < runs; r++) {
    timed(copies, () => {
      heap.set(pictures[0]![1], 16);
      wasm.set(heap.subarray(16, 16 + PIXELS * 3));
    });
  }
  console.log(
    `\nThe WebAssembly kernel's copies (picture in, result out): ${median(copies.wall).toFixed(3)} ms wall, median of ${runs}`,
  );
  console.log(`\nload average after: ${load()}`);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
