/*
 * Whole real clips with one detune held through them, graded as a user grades them (research, not
 * product): the issue's "real clips with one detune held" measure, on this project's own videos
 * that no model trained on. For each clip and each detune:
 *
 *   vgrade detune CLIP -o detuned.mkv --codec ffv1 -d DETUNE
 *     (or, for `--detune ffmpeg:FILTER`, a kind outside the 24: ffmpeg -vf FILTER on the clean clip)
 *   vgrade grade detuned.mkv -o graded.mkv --codec ffv1 [-p PIPELINE] [--set ...]
 *
 * and the clean clip graded as it is. Every frame of the clean, detuned and graded clips is then
 * decoded at 456x256 and compared: mean CIEDE2000 to the clean frame, and flicker (src/eval/flicker)
 * as a ratio to the clean clip's, so 1 is no flicker added. The data set's steady runs are 18
 * frames; these are the clips' whole length, where a diagnosis that wanders over seconds shows.
 *
 *   npm run build && node dist/research/held-clips.js --out /tmp/held \
 *     --clip media/dev/video/opencv_box.mp4 [--clip ...] [--detune blue-2 ...] [-p grade] \
 *     [--set invert.confidence=0.5] [--every 4] [--tag NAME] [--json F]
 */
import { spawn } from 'node:child_process';
import { access, mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { meanDeltaE2000 } from '../src/color/ciede2000.js';
import { flicker } from '../src/eval/flicker.js';
import { resolveBinaries } from '../src/ffmpeg/binaries.js';

const WIDTH = 456;
const HEIGHT = 256;
const DEFAULT_DETUNES = [
  'green-2',
  'blue-2',
  'orange-2',
  'black-high-2',
  'black-low-2',
  'white-low-2',
  'contrast-high-2',
  'saturation-low-2',
  'blue-2,saturation-low-1',
];

function all(name: string): string[] {
  const out: string[] = [];
  process.argv.forEach((a, i) => {
    if (a === name && process.argv[i + 1]) out.push(process.argv[i + 1]!);
  });
  return out;
}

const clips = all('--clip');
const detunes = all('--detune').length ? all('--detune') : DEFAULT_DETUNES;
const pipeline = all('-p')[0] ?? 'grade';
const sets = all('--set');
const outDir = all('--out')[0];
const jsonFile = all('--json')[0];
// CIEDE2000 on every Nth frame (flicker always on every frame): the error changes slowly in a clip.
const every = Number(all('--every')[0] ?? '4');
// Graded files are named with the tag, so runs of other settings can share one folder and its
// detuned clips (made once: a detuned clip already there is used as it is).
const tag = all('--tag')[0] ?? 'graded';
if (!clips.length || !outDir) {
  console.error(
    'usage: held-clips.js --out DIR --clip FILE [--clip FILE ...] [--detune D ...] [-p P] [--set S]',
  );
  process.exit(2);
}

const cli = path.join(path.dirname(fileURLToPath(import.meta.url)), '../src/cli/main.js');
const binaries = await resolveBinaries();

function run(command: string, args: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => (err += b.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(Buffer.concat(out))
        : reject(new Error(`${command} ${args.join(' ')}: ${code}\n${err}`)),
    );
  });
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  );
const vgrade = (args: string[]) => run(process.execPath, [cli, ...args, '-q', '-y']);

/** Every frame of a clip at 456x256 rgb24 (the clean, detuned and graded clips scaled alike). */
async function frames(file: string): Promise<Uint8Array[]> {
  const raw = await run(binaries.ffmpeg, [
    ...['-v', 'error', '-i', file, '-vf', `scale=${WIDTH}:${HEIGHT}`, '-fps_mode', 'passthrough'],
    ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
  ]);
  const size = WIDTH * HEIGHT * 3;
  const out: Uint8Array[] = [];
  for (let o = 0; o + size <= raw.length; o += size)
    out.push(new Uint8Array(raw.buffer, raw.byteOffset + o, size));
  return out;
}

interface Row {
  clip: string;
  detune: string;
  frames: number;
  input: number;
  graded: number;
  inputFlicker: number;
  gradedFlicker: number;
}

function compare(
  clean: Uint8Array[],
  input: Uint8Array[],
  graded: Uint8Array[],
  clip: string,
  detune: string,
): Row {
  const n = Math.min(clean.length, input.length, graded.length);
  if (n !== clean.length || n !== graded.length || n !== input.length) {
    throw new Error(
      `${clip} ${detune}: frame counts differ (clean ${clean.length}, input ${input.length}, graded ${graded.length})`,
    );
  }
  let inErr = 0;
  let outErr = 0;
  let measured = 0;
  for (let i = 0; i < n; i += every) {
    inErr += meanDeltaE2000(input[i]!, clean[i]!);
    outErr += meanDeltaE2000(graded[i]!, clean[i]!);
    measured++;
  }
  const base = flicker(clean);
  return {
    clip,
    detune,
    frames: n,
    input: inErr / measured,
    graded: outErr / measured,
    inputFlicker: flicker(input) / base,
    gradedFlicker: flicker(graded) / base,
  };
}

const rows: Row[] = [];
const f2 = (x: number) => x.toFixed(2);
console.log('clip\tdetune\tframes\tinput\tgraded\tflicker in\tflicker graded');
for (const clip of clips) {
  const name = path.basename(clip);
  const dir = path.join(outDir, name);
  await mkdir(dir, { recursive: true });
  // The clean clip goes through the same decode and encode as the detuned ones (`-d none`), so
  // that both are frame for frame the same clip, whatever the source's decoder does at its edges.
  let clean: Uint8Array[] = [];
  for (const detune of ['none', ...detunes]) {
    const stem = detune.replace(/[^a-z0-9]+/gi, '_');
    const input = path.join(dir, `${stem}.mkv`);
    if (!(await exists(input))) {
      if (detune.startsWith('ffmpeg:')) {
        // A kind outside the 24, made by an ffmpeg filter from the clean clip (as `vgrade eval`'s
        // outside kinds are): `--detune ffmpeg:colortemperature=temperature=4500`.
        // In the clean clip's pixel format: an RGB ffv1 takes vgrade's haldclut road, which
        // repeats frames that share a timestamp (some of these clips end with several).
        const base = path.join(dir, 'none.mkv');
        const pixFmt = (
          await run(binaries.ffprobe, [
            ...['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=pix_fmt'],
            ...['-of', 'csv=p=0', base],
          ])
        )
          .toString()
          .trim();
        await run(binaries.ffmpeg, [
          ...['-v', 'error', '-i', base, '-map', '0:v:0', '-vf', detune.slice('ffmpeg:'.length)],
          ...['-fps_mode', 'passthrough', '-c:v', 'ffv1', '-pix_fmt', pixFmt, '-y', input],
        ]);
      } else {
        await vgrade(['detune', clip, '-o', input, '--codec', 'ffv1', '-d', detune]);
      }
    }
    if (detune === 'none') clean = await frames(input);
    const graded = path.join(dir, `${stem}-${tag}.mkv`);
    await vgrade([
      'grade',
      input,
      '-o',
      graded,
      '--codec',
      'ffv1',
      '-p',
      pipeline,
      ...sets.flatMap((s) => ['--set', s]),
    ]);
    const row = compare(
      clean,
      detune === 'none' ? clean : await frames(input),
      await frames(graded),
      name,
      detune,
    );
    rows.push(row);
    console.log(
      [
        name,
        detune,
        row.frames,
        f2(row.input),
        f2(row.graded),
        // Three places: the bound (1.05) is applied to the exact ratio, which two places can hide.
        row.inputFlicker.toFixed(3),
        row.gradedFlicker.toFixed(3),
      ].join('\t'),
    );
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const detuned = rows.filter((r) => r.detune !== 'none');
const cleanRows = rows.filter((r) => r.detune === 'none');
const summary = {
  pipeline,
  sets,
  detuned: { input: mean(detuned.map((r) => r.input)), graded: mean(detuned.map((r) => r.graded)) },
  flicker: {
    input: mean(detuned.map((r) => r.inputFlicker)),
    graded: mean(detuned.map((r) => r.gradedFlicker)),
    gradedWorst: Math.max(...detuned.map((r) => r.gradedFlicker)),
  },
  clean: {
    moved: mean(cleanRows.map((r) => r.graded)),
    flicker: mean(cleanRows.map((r) => r.gradedFlicker)),
  },
  worse: detuned.filter((r) => r.graded > r.input).map((r) => `${r.clip} ${r.detune}`),
  // Flicker the grade adds: above 1.05 of the clean clip's and above the detuned input's by 0.05 (a
  // detune alone changes flicker: contrast-high raises it, white-low lowers it).
  flickerAdded: rows
    .filter((r) => r.gradedFlicker > 1.05 && r.gradedFlicker > r.inputFlicker + 0.05)
    .map((r) => `${r.clip} ${r.detune} ${f2(r.gradedFlicker)}`),
};
console.log(
  `detuned ${f2(summary.detuned.input)} -> ${f2(summary.detuned.graded)}; flicker ${f2(summary.flicker.input)} -> ` +
    `${f2(summary.flicker.graded)} (worst ${f2(summary.flicker.gradedWorst)}); clean moved ${f2(summary.clean.moved)}, ` +
    `flicker ${f2(summary.clean.flicker)}; worse than the input: ${summary.worse.length} of ${detuned.length}; ` +
    `flicker added: ${summary.flickerAdded.length} of ${rows.length} (${summary.flickerAdded.join(', ')})`,
);
if (jsonFile) await writeFile(jsonFile, JSON.stringify({ summary, rows }, null, 2) + '\n');
