/*
 * The match stage's transfer on still photographs matched to themselves (research, not product):
 * each photograph, scaled to the proxy size, is detuned one way (the table's families at levels 2
 * and 3, and pairs), and corrected by a transfer estimated against the clean photograph; the score
 * is the mean CIEDE2000 of the corrected photograph against the clean one. The reference is the
 * picture itself, so a per-channel change of it is what a transfer should undo best: what this
 * checks is that no method makes it worse. Also: each photograph clean, matched to itself (should
 * not move), and matched to another photograph of the same folder (the content gate's case).
 *
 *   npx tsc -p tsconfig.json && node dist/research/match-photos.js DIR [--count 40] [--only curves]
 */
import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { meanDeltaE2000 } from '../src/color/ciede2000.js';
import {
  estimateTransfer,
  imageSamples,
  prepareReference,
  transferFunction,
  type TransferSettings,
} from '../src/color/transfer.js';
import { applyLut, fillLut } from '../src/correction/lut3d.js';
import { compileDetunes } from '../src/detune/apply.js';
import { FAMILIES, type Detune } from '../src/detune/families.js';
import { isStillImageFile } from '../src/ffmpeg/stillImage.js';
import { defaultOptions } from '../src/stages/options.js';
import { match, transferSettings } from '../src/stages/match.js';
import type { RgbImage } from '../src/image/image.js';

const run = promisify(execFile);
const W = 456;
const H = 256;
const STEP = 4;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

async function readPhoto(file: string): Promise<RgbImage> {
  const { stdout } = await run(
    'ffmpeg',
    [
      '-v',
      'error',
      '-i',
      file,
      '-vf',
      `scale=${W}:${H}:flags=area`,
      '-frames:v',
      '1',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-',
    ],
    { encoding: 'buffer', maxBuffer: 1 << 26 },
  );
  return { width: W, height: H, depth: 8, data: new Uint8Array(stdout) } as RgbImage;
}

const DEFAULT = transferSettings(defaultOptions(match.options));
const variants: Record<string, TransferSettings> = {
  reinhard: { ...DEFAULT, method: 'reinhard' },
  robust: { ...DEFAULT, method: 'robust' },
  curves: DEFAULT,
  'curves it1': { ...DEFAULT, iterations: 1 },
  'curves it0': { ...DEFAULT, iterations: 0 },
  'curves it0 nosat': { ...DEFAULT, iterations: 0, maxSaturation: 1 },
  'curves nosat': { ...DEFAULT, maxSaturation: 1 },
};

const DETUNES: Detune[][] = [
  ...FAMILIES.flatMap((family) => [2, 3].map((amount) => [{ family, amount }])),
  [
    { family: 'green', amount: 2 },
    { family: 'contrast-high', amount: 2 },
  ],
  [
    { family: 'blue', amount: 2 },
    { family: 'black-low', amount: 2 },
  ],
  [
    { family: 'orange', amount: 2 },
    { family: 'saturation-low', amount: 2 },
  ],
  [
    { family: 'white-low', amount: 2 },
    { family: 'black-high', amount: 2 },
  ],
];

function corrected(picture: RgbImage, ref: RgbImage, s: TransferSettings): Uint8Array {
  const rect = { x: 0, y: 0, width: W, height: H };
  const prepared = prepareReference(imageSamples(ref, rect, STEP));
  const { transfer } = estimateTransfer(imageSamples(picture, rect, STEP), prepared, s);
  const out = { ...picture, data: new Uint8Array(picture.data.length) } as RgbImage;
  applyLut(fillLut(33, transferFunction(transfer)), picture, out, rect);
  return out.data as Uint8Array;
}

async function main(): Promise<void> {
  const dir = process.argv[2]!;
  const count = Number(arg('count', '40'));
  const only = arg('only', '');
  const names = (await readdir(dir)).filter(isStillImageFile).sort();
  const stride = Math.max(1, Math.floor(names.length / count));
  const files = names.filter((_, i) => i % stride === 0).slice(0, count);
  const chosen = Object.entries(variants).filter(([k]) => !only || only.split(',').includes(k));
  const sums = new Map<string, { n: number; s: number }>();
  const add = (key: string, v: number): void => {
    const a = sums.get(key) ?? { n: 0, s: 0 };
    a.n++;
    a.s += v;
    sums.set(key, a);
  };
  const photos = await Promise.all(files.map((f) => readPhoto(path.join(dir, f))));
  photos.forEach((clean, p) => {
    const other = photos[(p + 1) % photos.length]!;
    for (const detunes of DETUNES) {
      const data = new Uint8Array(clean.data.length);
      compileDetunes(detunes)(clean.data as Uint8Array, data);
      const detuned = { ...clean, data } as RgbImage;
      const label = detunes.length > 1 ? 'pairs' : detunes[0]!.family;
      add(`input|${label}`, meanDeltaE2000(data, clean.data as Uint8Array));
      add('input|all', meanDeltaE2000(data, clean.data as Uint8Array));
      for (const [name, s] of chosen) {
        const e = meanDeltaE2000(corrected(detuned, clean, s), clean.data as Uint8Array);
        add(`${name}|${label}`, e);
        add(`${name}|all`, e);
      }
    }
    for (const [name, s] of chosen) {
      add(`${name}|clean moved`, meanDeltaE2000(corrected(clean, clean, s), clean.data as Uint8Array));
      add(`${name}|other photo moved`, meanDeltaE2000(corrected(clean, other, s), clean.data as Uint8Array));
    }
    process.stderr.write(`${p + 1}/${photos.length}\r`);
  });
  const rows = ['all', ...FAMILIES, 'pairs', 'clean moved', 'other photo moved'];
  const cols = ['input', ...chosen.map(([k]) => k)];
  console.log(`${files.length} photographs of ${dir}, mean CIEDE2000 against the clean photograph\n`);
  console.log(`| case | ${cols.join(' | ')} |`);
  console.log(`| --- |${cols.map(() => ' ---: |').join('')}`);
  for (const r of rows) {
    const cells = cols.map((c) => {
      const a = sums.get(`${c}|${r}`);
      return a ? (a.s / a.n).toFixed(2) : '';
    });
    console.log(`| ${r} | ${cells.join(' | ')} |`);
  }
}

await main();
