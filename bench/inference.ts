/**
 * `npm run bench:models`: inference time of the shipped networks per 456x256 proxy frame, on the
 * wasm backend (single-threaded: one core), with real frames from the shipped sample.
 *
 *   cgan, per frame      correction of one frame, plus applying it to the proxy
 *   cgan, 18-frame window  one window's corrections, divided by 18, plus applying one
 *   classifier           one frame; and per frame in a batch of 8
 *
 * Each figure is the median over --runs timed repetitions after a warm-up. The target (issue 4):
 * <= 25 ms per proxy frame for the cGAN.
 * Usage: npm run bench:models -- [--runs 30] [--cgan models/cgan] [--classifier models/classifier] [--backend wasm]
 */
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { resolveBinaries } from '../src/ffmpeg/binaries.js';
import { packageRoot } from '../src/util/packageRoot.js';
import { useBackend, type BackendChoice } from '../src/models/backend.js';
import { CganModel } from '../src/models/cgan/model.js';
import { ClassifierModel } from '../src/models/classifier/model.js';

const run = promisify(execFile);

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timed(runs: number, f: () => void): Promise<number> {
  f(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    f();
    times.push(performance.now() - t);
  }
  return median(times);
}

async function main(): Promise<void> {
  const runs = Number(arg('runs', '30'));
  const root = packageRoot();
  const backend = await useBackend(arg('backend', 'wasm') as BackendChoice);
  const binaries = await resolveBinaries();
  const { stdout } = await run(
    binaries.ffmpeg,
    [
      '-v',
      'error',
      '-i',
      path.join(root, 'samples/cockatoo.mp4'),
      '-vf',
      'fps=5,scale=456:256:flags=area',
      '-frames:v',
      '18',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 },
  );
  const size = 456 * 256 * 3;
  const frames: Uint8Array[] = [];
  for (let i = 0; i + size <= stdout.length; i += size)
    frames.push(new Uint8Array(stdout.subarray(i, i + size)));
  const out = new Uint8Array(size);
  const cgan = await CganModel.load(arg('cgan', path.join(root, 'models/cgan')));
  const classifier = await ClassifierModel.load(arg('classifier', path.join(root, 'models/classifier')));
  const rows: Array<[string, number]> = [];
  let k = 0;
  rows.push([
    'cgan, per frame (correction + apply to proxy)',
    await timed(runs, () => {
      const f = frames[k++ % frames.length]!;
      CganModel.applyCorrection(cgan.corrections([f], 1)[0]!, f, 456, 256, out);
    }),
  ]);
  rows.push([
    'cgan, correction only (per frame)',
    await timed(runs, () => {
      cgan.corrections([frames[k++ % frames.length]!], 1);
    }),
  ]);
  rows.push([
    'cgan, apply to proxy only (JavaScript)',
    await timed(runs, () => {
      const f = frames[k++ % frames.length]!;
      CganModel.applyCorrection(
        { coefficients: new Float32Array(57 * 32 * 12).fill(0.5), gridWidth: 57, gridHeight: 32 },
        f,
        456,
        256,
        out,
      );
    }),
  ]);
  const windowed = await timed(Math.max(3, Math.round(runs / 6)), () => {
    const c = cgan.corrections(frames, frames.length);
    CganModel.applyCorrection(c[0]!, frames[0]!, 456, 256, out);
  });
  rows.push([`cgan, ${frames.length}-frame window (per frame, apply included)`, windowed / frames.length]);
  rows.push([
    'classifier, one frame',
    await timed(runs, () => void classifier.predict([frames[k++ % frames.length]!])),
  ]);
  rows.push([
    'classifier, batch of 8 (per frame)',
    (await timed(runs, () => void classifier.predict(frames.slice(0, 8)))) / 8,
  ]);
  process.stdout.write(
    `Inference per 456x256 proxy frame, backend ${backend}, median of ${runs}\n\n| | ms |\n| --- | ---: |\n`,
  );
  for (const [name, ms] of rows) process.stdout.write(`| ${name} | ${ms.toFixed(1)} |\n`);
  cgan.dispose();
  classifier.dispose();
}

await main();
