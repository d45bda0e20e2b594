/**
 * Issue 17's candidate "LUT in the YUV domain", measured (nothing of it is wired into the
 * pipeline): each frame's RGB LUT composed with the source's Y'CbCr coding into a `YuvLut`
 * (src/lut/), applied per pixel to yuv420p frames in Node, by WebAssembly SIMD or plain JavaScript.
 *
 * 1. Exactness (`--only exact`): against today's path, which is the encoder's own graph
 *    (`encode.ts`: `[0:v:0]format=gbrpf32le[main];[1:v:0]format=rgb48le[clut];[main][clut]
 *    haldclut=interp=tetrahedral[graded]`, then the encoder's yuv420p) with the LUT as a level-6
 *    Hald image (36^3, the default), on `--frames` frames (from 1 s in) of every 4:2:0 clip in
 *    /work/media/dev/video (or `--media`) and of samples/cockatoo.mp4 made 4:2:0 (lossless x264);
 *    per plane the largest and mean absolute difference in 8-bit levels and the share of samples
 *    more than 1 level apart. Also: what today's path does to the picture with an identity LUT
 *    (its own floor), and the lattice's own error (the kernel against `referenceYuvLut420`, the
 *    same maths per pixel in floating point).
 * 2. Speed (`--only speed`): one core, 1080p (a `testsrc2` frame and a cockatoo frame scaled up):
 *    the WebAssembly kernel and the JavaScript one per lattice step and chroma rule, composing a
 *    frame's LUT (WebAssembly and JavaScript), and, for comparison, the CPU time ffmpeg spends per
 *    frame on today's conversions and haldclut (`-benchmark` utime + stime of decode + graph minus
 *    decode alone, on a 100-frame 1080p `testsrc2` clip). Medians of `--runs`.
 *
 * Usage: npx tsx bench/yuvLut.ts [--only exact|speed|all] [--frames 3] [--runs 3] [--media DIR]
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fillLut, identityLut, type Lut3d } from '../src/correction/lut3d.js';
import { writeHald16 } from '../src/correction/hald.js';
import { inverseDetuneTransform } from '../src/detune/inverse.js';
import type { YcbcrCoding, YcbcrMatrix } from '../src/lut/coding.js';
import { referenceYuvLut420 } from '../src/lut/reference.js';
import {
  applyYuvLut420,
  yuv420Bytes,
  yuv420Frame,
  type ChromaRule,
  type Yuv420Frame,
} from '../src/lut/yuv420.js';
import { WasmYuv420Lut } from '../src/lut/yuv420Wasm.js';
import {
  YUV_LUT_STEPS,
  allocYuvLut,
  composeYuvLut,
  type ComposeOptions,
  type OutOfGamut,
  type YuvLutStep,
} from '../src/lut/yuvLut.js';
import { packageRoot } from '../src/util/packageRoot.js';
import { argValue } from './args.js';

const FFMPEG = process.env.VGRADE_FFMPEG ?? 'ffmpeg';
const FFPROBE = process.env.VGRADE_FFPROBE ?? 'ffprobe';
const SAMPLE = (): string => path.join(packageRoot(), 'samples', 'cockatoo.mp4');
const HALD_LEVEL = 6;
const CUBE = HALD_LEVEL * HALD_LEVEL;
const SIDE = CUBE * HALD_LEVEL;

interface Args {
  only: string;
  frames: number;
  runs: number;
  media: string;
  work: string;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string): string => argValue(argv, name, fallback);
  return {
    only: get('only', 'all'),
    frames: Number(get('frames', '3')),
    runs: Number(get('runs', '3')),
    media: get('media', '/work/media/dev/video'),
    work: get('work', path.join(os.tmpdir(), 'vgrade-bench-yuvlut')),
  };
}

/** The LUTs graded with: the identity and three strong ones (36^3, the default Hald level). */
const LUTS: Readonly<Record<string, () => Lut3d>> = {
  identity: () => identityLut(CUBE),
  'green-3 inverse': () => fillLut(CUBE, inverseDetuneTransform([{ family: 'green', amount: 3 }])),
  'saturation-low-3 inverse': () =>
    fillLut(CUBE, inverseDetuneTransform([{ family: 'saturation-low', amount: 3 }])),
  // An S-curve on every channel, warmer (red up 6 %, clipped; blue down 10 %).
  'contrast curve': () =>
    fillLut(CUBE, (r, g, b, out) => {
      const s = (x: number): number => x + 0.5 * (x * x * (3 - 2 * x) - x);
      out[0] = Math.min(1, s(r) * 1.06);
      out[1] = s(g);
      out[2] = s(b) * 0.9;
    }),
};

/** The configuration proposed for the pipeline; the variants are compared against it. */
const MAIN = { step: 8 as YuvLutStep, outOfGamut: 'extend' as OutOfGamut, chroma: 'average' as ChromaRule };

interface Clip {
  name: string;
  file: string;
  width: number;
  height: number;
  coding: YcbcrCoding;
  /** What today's path converts the graded RGB back with: BT.601 (the tag is lost), same range. */
  outputCoding: YcbcrCoding;
  outputPixFmt: string;
  /** Where the frames start: 1 s in, or 0 for a clip shorter than 2 s. */
  seek: number;
}

function run(cmd: string, args: string[], input?: Buffer): Promise<{ stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    p.stdin.on('error', () => {});
    p.stdin.end(input);
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0
        ? resolve({ stdout: Buffer.concat(out), stderr: err })
        : reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${err}`)),
    );
  });
}

async function probe(file: string): Promise<Record<string, string>> {
  const { stdout } = await run(FFPROBE, [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'stream=width,height,pix_fmt,color_space,color_range:format=duration',
    '-of',
    'json',
    file,
  ]);
  const json = JSON.parse(stdout.toString()) as {
    streams?: Record<string, string>[];
    format?: { duration?: string };
  };
  return { ...json.streams?.[0], duration: json.format?.duration ?? '0' };
}

/** The coding ffmpeg's conversion to RGB uses for a stream: its matrix tag (else BT.601) and range. */
function sourceCoding(s: Record<string, string>): YcbcrCoding {
  const tag = s.color_space ?? '';
  const matrix: YcbcrMatrix = tag === 'bt709' ? 'bt709' : tag.startsWith('bt2020') ? 'bt2020' : 'bt601';
  const full = s.color_range === 'pc' || /^yuvj/.test(s.pix_fmt ?? '');
  return { matrix, range: full ? 'full' : 'limited' };
}

async function clips(args: Args): Promise<Clip[]> {
  const files = existsSync(args.media)
    ? (await readdir(args.media)).sort().map((f) => path.join(args.media, f))
    : [];
  const cockatoo = path.join(args.work, 'cockatoo-yuv420p.mkv');
  if (!existsSync(cockatoo)) {
    await run(FFMPEG, [
      ...['-v', 'error', '-y', '-i', SAMPLE()],
      ...['-pix_fmt', 'yuv420p', '-c:v', 'libx264', '-qp', '0', `${cockatoo}.part.mkv`],
    ]);
    await rename(`${cockatoo}.part.mkv`, cockatoo);
  }
  const out: Clip[] = [];
  for (const file of [...files, cockatoo]) {
    const s = await probe(file).catch(() => ({}) as Record<string, string>);
    if (s.pix_fmt !== 'yuv420p' && s.pix_fmt !== 'yuvj420p') continue;
    const coding = sourceCoding(s);
    out.push({
      name: file === cockatoo ? 'cockatoo.mp4 (made 4:2:0)' : path.basename(file),
      file,
      width: Number(s.width),
      height: Number(s.height),
      coding,
      outputCoding: { matrix: 'bt601', range: coding.range },
      outputPixFmt: coding.range === 'full' ? 'yuvj420p' : 'yuv420p',
      seek: Number(s.duration) >= 2 ? 1 : 0,
    });
  }
  return out;
}

interface PlaneStats {
  max: number;
  sum: number;
  over1: number;
  n: number;
}

type Stats = [PlaneStats, PlaneStats, PlaneStats];

const newStats = (): Stats => [0, 1, 2].map(() => ({ max: 0, sum: 0, over1: 0, n: 0 })) as Stats;

function compare(a: Yuv420Frame, b: Yuv420Frame, stats: Stats): void {
  (['y', 'cb', 'cr'] as const).forEach((plane, i) => {
    const x = a[plane];
    const z = b[plane];
    const s = stats[i]!;
    for (let k = 0; k < x.length; k++) {
      const d = Math.abs(x[k]! - z[k]!);
      if (d > s.max) s.max = d;
      s.sum += d;
      if (d > 1) s.over1++;
    }
    s.n += x.length;
  });
}

function merge(into: Stats, from: Stats): void {
  for (let i = 0; i < 3; i++) {
    into[i]!.max = Math.max(into[i]!.max, from[i]!.max);
    into[i]!.sum += from[i]!.sum;
    into[i]!.over1 += from[i]!.over1;
    into[i]!.n += from[i]!.n;
  }
}

/** "max / mean / % over 1" per plane. */
function cells(stats: Stats): string[] {
  return stats.map((s) => `${s.max} / ${(s.sum / s.n).toFixed(3)} / ${((100 * s.over1) / s.n).toFixed(2)}%`);
}

function table(head: string[], rows: string[][]): string {
  const line = (r: string[]): string => `| ${r.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Every decoded frame out once, as it is: rawvideo output would otherwise be made constant-rate. */
const ONE_TO_ONE = ['-fps_mode', 'passthrough'];

async function frames(clip: Clip, count: number, lut?: Lut3d): Promise<Buffer> {
  const seek = ['-ss', String(clip.seek), '-i', clip.file];
  if (!lut) {
    // The decoded frames as they are (yuvj420p has yuv420p's layout).
    return (
      await run(FFMPEG, [
        '-v',
        'error',
        ...seek,
        ...ONE_TO_ONE,
        '-frames:v',
        String(count),
        '-f',
        'rawvideo',
        '-',
      ])
    ).stdout;
  }
  const hald = new Uint16Array(SIDE * SIDE * 3);
  writeHald16(lut, HALD_LEVEL, hald);
  const graph =
    '[0:v:0]format=gbrpf32le[main];[1:v:0]format=rgb48le[clut];[main][clut]haldclut=interp=tetrahedral[graded]';
  const { stdout } = await run(
    FFMPEG,
    [
      ...['-v', 'error', ...seek],
      ...['-f', 'rawvideo', '-pix_fmt', 'rgb48le', '-s', `${SIDE}x${SIDE}`, '-i', 'pipe:0'],
      ...['-filter_complex', graph, '-map', '[graded]', ...ONE_TO_ONE, '-frames:v', String(count)],
      ...['-pix_fmt', clip.outputPixFmt, '-f', 'rawvideo', '-'],
    ],
    Buffer.from(hald.buffer),
  );
  return stdout;
}

interface Variant {
  step: YuvLutStep;
  outOfGamut: OutOfGamut;
  chroma: ChromaRule;
}

const VARIANTS: Variant[] = YUV_LUT_STEPS.flatMap((step) =>
  (['extend', 'clip'] as const).flatMap((outOfGamut) =>
    (['average', 'mean-luma'] as const).map((chroma) => ({ step, outOfGamut, chroma })),
  ),
);

const variantName = (v: Variant): string =>
  `step ${v.step} (${256 / v.step + 1}^3), ${v.outOfGamut}, ${v.chroma}`;

async function exactness(args: Args): Promise<void> {
  const list = await clips(args);
  console.log(
    `\n## Exactness: the Y'CbCr LUT against today's path (${args.frames} frames per clip, from 1 s in where the clip is 2 s or longer)\n`,
  );
  console.log(
    `Main configuration: ${variantName(MAIN)}. Cells: max / mean absolute difference in 8-bit levels / share more than 1 level apart.\n`,
  );
  const rows: string[][] = [];
  const byVariant = new Map<string, { ff: Stats; ref: Stats }>();
  const floorRows: string[][] = [];
  const wasmChecks: string[] = [];
  for (const clip of list) {
    const fb = yuv420Bytes(clip.width, clip.height);
    const src = await frames(clip, args.frames);
    const count = Math.floor(src.length / fb);
    const kernel = new WasmYuv420Lut(clip.width, clip.height);
    const srcFrames = Array.from({ length: count }, (_, f) =>
      yuv420Frame(clip.width, clip.height, src.subarray(f * fb, (f + 1) * fb)),
    );
    const codings = `${clip.coding.matrix} ${clip.coding.range} -> ${clip.outputCoding.matrix}`;
    for (const [lutName, make] of Object.entries(LUTS)) {
      const lut = make();
      const ff = await frames(clip, count, lut);
      const ffFrames = srcFrames.map((_, f) =>
        yuv420Frame(clip.width, clip.height, ff.subarray(f * fb, (f + 1) * fb)),
      );
      if (lutName === 'identity') {
        const floor = newStats();
        srcFrames.forEach((s, f) => compare(s, ffFrames[f]!, floor));
        floorRows.push([clip.name, `${clip.width}x${clip.height}`, codings, ...cells(floor)]);
      }
      const refs = new Map<string, Yuv420Frame[]>();
      for (const v of VARIANTS) {
        const options: ComposeOptions = {
          coding: clip.coding,
          outputCoding: clip.outputCoding,
          outOfGamut: v.outOfGamut,
        };
        kernel.compose(lut, options, v.step);
        const refKey = `${v.outOfGamut} ${v.chroma}`;
        if (!refs.has(refKey)) {
          refs.set(
            refKey,
            srcFrames.map((s) => {
              const r = yuv420Frame(clip.width, clip.height);
              referenceYuvLut420(lut, options, s, r, v.chroma);
              return r;
            }),
          );
        }
        const ffStats = newStats();
        const refStats = newStats();
        srcFrames.forEach((s, f) => {
          const out = yuv420Frame(clip.width, clip.height);
          kernel.apply(v.chroma, s, out);
          compare(out, ffFrames[f]!, ffStats);
          compare(out, refs.get(refKey)![f]!, refStats);
          if (
            f === 0 &&
            v.step === MAIN.step &&
            v.chroma === MAIN.chroma &&
            v.outOfGamut === MAIN.outOfGamut
          ) {
            // The JavaScript kernel on the same table gives the same bytes.
            const js = yuv420Frame(clip.width, clip.height);
            applyYuvLut420(kernel.lut!, s, js, v.chroma);
            const same = (['y', 'cb', 'cr'] as const).every((p) => Buffer.compare(js[p], out[p]) === 0);
            if (!same) wasmChecks.push(`${clip.name} ${lutName}: WebAssembly and JavaScript kernels differ`);
          }
        });
        const name = variantName(v);
        const agg = byVariant.get(name) ?? { ff: newStats(), ref: newStats() };
        merge(agg.ff, ffStats);
        merge(agg.ref, refStats);
        byVariant.set(name, agg);
        if (v.step === MAIN.step && v.chroma === MAIN.chroma && v.outOfGamut === MAIN.outOfGamut) {
          rows.push([
            clip.name,
            lutName,
            ...cells(ffStats),
            cells(refStats)
              .map((c) => c.split(' / ')[0])
              .join(' / '),
          ]);
        }
      }
    }
    console.error(`  ${clip.name} done`);
  }
  console.log(
    table(
      [
        'clip',
        'LUT',
        "Y' vs today",
        'Cb vs today',
        'Cr vs today',
        'lattice error (max Y/Cb/Cr vs float reference)',
      ],
      rows,
    ),
  );
  console.log("\nToday's path with an identity LUT, against the source (its own floor):\n");
  console.log(table(['clip', 'size', 'coding (in -> out)', "Y'", 'Cb', 'Cr'], floorRows));
  console.log('\nEvery variant, over all clips and LUTs above:\n');
  console.log(
    table(
      [
        'variant',
        "Y' vs today",
        'Cb vs today',
        'Cr vs today',
        "Y' vs reference",
        'Cb vs reference',
        'Cr vs reference',
      ],
      [...byVariant].map(([name, s]) => [name, ...cells(s.ff), ...cells(s.ref)]),
    ),
  );
  console.log(
    wasmChecks.length
      ? `\n${wasmChecks.join('\n')}`
      : '\nWebAssembly and JavaScript kernels: the same bytes on every clip and LUT.',
  );
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** CPU milliseconds (user + system) of one call of `fn`, median of `runs` batches of `batch` calls. */
function cpuMs(fn: () => void, runs: number, batch: number): { cpu: number; wall: number } {
  fn();
  const cpu: number[] = [];
  const wall: number[] = [];
  for (let r = 0; r < runs; r++) {
    const t = performance.now();
    const c = process.cpuUsage();
    for (let i = 0; i < batch; i++) fn();
    const u = process.cpuUsage(c);
    wall.push((performance.now() - t) / batch);
    cpu.push((u.user + u.system) / 1000 / batch);
  }
  return { cpu: median(cpu), wall: median(wall) };
}

async function speed(args: Args): Promise<void> {
  const W = 1920;
  const H = 1080;
  const pixels = W * H;
  await mkdir(args.work, { recursive: true });
  const clip = path.join(args.work, 'testsrc2-1920x1080-100f.mp4');
  if (!existsSync(clip)) {
    await run(FFMPEG, [
      ...['-v', 'error', '-y', '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=25', '-frames:v', '100'],
      ...['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '16', '-pix_fmt', 'yuv420p', `${clip}.part.mp4`],
    ]);
    await rename(`${clip}.part.mp4`, clip);
  }
  const sample = SAMPLE();
  const grab = async (file: string): Promise<Buffer> =>
    (
      await run(FFMPEG, [
        ...['-v', 'error', '-ss', '1', '-i', file, '-frames:v', '1'],
        ...['-vf', `scale=${W}:${H},format=yuv420p`, '-f', 'rawvideo', '-'],
      ])
    ).stdout;
  const sources = {
    'testsrc2 frame': await grab(clip),
    'cockatoo frame (scaled to 1080p)': await grab(sample),
  };
  const lut = LUTS['saturation-low-3 inverse']!();
  const options: ComposeOptions = {
    coding: { matrix: 'bt709', range: 'limited' },
    outputCoding: { matrix: 'bt709', range: 'limited' },
    outOfGamut: 'extend',
  };
  const kernel = new WasmYuv420Lut(W, H);
  const runs = args.runs;
  const fmt = (ms: number): string[] => [
    ms.toFixed(2),
    ((ms * 1e6) / pixels).toFixed(2),
    (1000 / ms).toFixed(1),
  ];
  console.log(`\n## Speed at 1920x1080, one core (CPU time, median of ${runs})\n`);
  const rows: string[][] = [];
  for (const [name, raw] of Object.entries(sources)) {
    kernel.input.y.set(raw.subarray(0, pixels));
    kernel.input.cb.set(raw.subarray(pixels, pixels + pixels / 4));
    kernel.input.cr.set(raw.subarray(pixels + pixels / 4, pixels + pixels / 2));
    for (const step of YUV_LUT_STEPS) {
      kernel.compose(lut, options, step);
      for (const chroma of ['average', 'mean-luma'] as const) {
        const t = cpuMs(() => kernel.apply(chroma), runs, 10);
        rows.push([`WebAssembly SIMD, step ${step}, ${chroma}`, name, ...fmt(t.cpu), t.wall.toFixed(2)]);
      }
      if (step === MAIN.step) {
        const copy = yuv420Frame(W, H, Buffer.from(raw));
        const out = yuv420Frame(W, H);
        const t = cpuMs(() => kernel.apply('average', copy, out), runs, 10);
        rows.push([
          `WebAssembly SIMD, step ${step}, average, frame copied in and out`,
          name,
          ...fmt(t.cpu),
          t.wall.toFixed(2),
        ]);
        const js = cpuMs(() => applyYuvLut420(kernel.lut!, kernel.input, out, 'average'), runs, 2);
        rows.push([`JavaScript (scalar), step ${step}, average`, name, ...fmt(js.cpu), js.wall.toFixed(2)]);
      }
    }
  }
  console.log(table(['kernel', 'frame', 'ms per frame', 'ns per pixel', 'frames/s', 'wall ms'], rows));
  const composeRows: string[][] = [];
  for (const step of YUV_LUT_STEPS) {
    const w = cpuMs(() => kernel.compose(lut, options, step), runs, 5);
    const out = allocYuvLut(step);
    const j = cpuMs(() => composeYuvLut(lut, options, out), runs, step === 4 ? 1 : 3);
    composeRows.push([`step ${step} (${256 / step + 1}^3)`, w.cpu.toFixed(2), j.cpu.toFixed(2)]);
  }
  console.log(`\nComposing one frame's LUT (${CUBE}^3 RGB), ms of CPU:\n`);
  console.log(table(['Y\u2032CbCr lattice', 'WebAssembly SIMD', 'JavaScript'], composeRows));

  // ffmpeg: decode alone, and decode + today's conversions and haldclut (an identity Hald: the
  // filter's cost does not depend on the table's contents).
  const hald = new Uint16Array(SIDE * SIDE * 3);
  writeHald16(identityLut(CUBE), HALD_LEVEL, hald);
  const bench = async (graph: boolean): Promise<number> => {
    const { stderr } = await run(
      FFMPEG,
      [
        ...['-hide_banner', '-benchmark', '-i', clip],
        ...(graph
          ? [
              ...['-f', 'rawvideo', '-pix_fmt', 'rgb48le', '-s', `${SIDE}x${SIDE}`, '-i', 'pipe:0'],
              '-filter_complex',
              '[0:v:0]format=gbrpf32le[main];[1:v:0]format=rgb48le[clut];[main][clut]haldclut=interp=tetrahedral,format=yuv420p[graded]',
              ...['-map', '[graded]'],
            ]
          : ['-map', '0:v']),
        ...['-f', 'null', '-'],
      ],
      graph ? Buffer.from(hald.buffer) : undefined,
    );
    const m = /utime=([\d.]+)s stime=([\d.]+)s/.exec(stderr);
    if (!m) throw new Error(`no -benchmark line in ffmpeg's output: ${stderr.slice(-500)}`);
    return (Number(m[1]) + Number(m[2])) * 1000;
  };
  const decode: number[] = [];
  const full: number[] = [];
  for (let r = 0; r < runs; r++) {
    // Alternating, so a machine busy with other work slows both alike.
    decode.push(await bench(false));
    full.push(await bench(true));
  }
  const perFrame = (ms: number): string => (ms / 100).toFixed(2);
  console.log(
    `\nffmpeg (${FFMPEG}), 100 frames of ${path.basename(clip)}, CPU ms per frame (utime + stime), median of ${runs}:\n`,
  );
  console.log(
    table(
      ['ffmpeg', 'ms per frame', 'runs (ms per frame)'],
      [
        ['decode alone (`-f null`)', perFrame(median(decode)), decode.map(perFrame).join(', ')],
        [
          'decode + format=gbrpf32le + haldclut + format=yuv420p',
          perFrame(median(full)),
          full.map(perFrame).join(', '),
        ],
        ['the conversions and haldclut (difference)', perFrame(median(full) - median(decode)), ''],
      ],
    ),
  );
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  await mkdir(args.work, { recursive: true });
  const version = (await run(FFMPEG, ['-version'])).stdout.toString().split('\n')[0];
  const load = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  console.log(`# Y'CbCr LUT candidate (issue 17), ${new Date().toISOString()}`);
  console.log(`${version}; Node ${process.version}; ${os.cpus().length} cores; load average ${load}`);
  if (args.only === 'exact' || args.only === 'all') await exactness(args);
  if (args.only === 'speed' || args.only === 'all') await speed(args);
  console.log(
    `\nload average after: ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exitCode = 1;
});
