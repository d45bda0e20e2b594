/**
 * What the two-process design costs before vgrade does anything (issue 17's throughput floor):
 * the same 1080p clip encoded by ffmpeg alone, then by the pieces vgrade is made of, added one at
 * a time, each measured as wall time and CPU time (user + system of the whole process tree):
 *
 * - `alone`: `ffmpeg -i IN -c:v libx264 ...` (the issue's reference);
 * - `pipe`: a decoding ffmpeg writing raw yuv420p into an encoding ffmpeg;
 * - `pipe+proxy`: the decoder also writes the 456x256 rgb24 proxy (to /dev/null), as vgrade's does;
 * - `node pipe`: `pipe` with Node copying the frames from one ffmpeg to the other and doing
 *   nothing else (`process.stdin.pipe(process.stdout)`);
 * - `vgrade classical`, `vgrade grade` (the default pipeline).
 *
 * On a machine whose cores the encoder already fills, throughput follows CPU time: a variant that
 * costs `x` ms of CPU a frame more than `alone` cannot run faster than alone's CPU / (alone's CPU +
 * x). The exact per-frame LUT's own cost is `npx tsx bench/yuvLut.ts --only speed`.
 *
 * Usage: node dist/bench/floor.js [--runs 3] [--preset veryfast] [--seconds 8] [--work DIR]
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveBinaries } from '../src/ffmpeg/binaries.js';
import { packageRoot } from '../src/util/packageRoot.js';
import { median } from './targets.js';
import { argValue } from './args.js';

interface Args {
  runs: number;
  preset: string;
  seconds: number;
  work: string;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string): string => argValue(argv, name, fallback);
  return {
    runs: Number(get('runs', '3')),
    preset: get('preset', 'veryfast'),
    seconds: Number(get('seconds', '8')),
    work: get('work', path.join(os.tmpdir(), 'vgrade-floor')),
  };
}

/** Wall and CPU seconds (user + system of the shell and everything it waited for). */
interface Cost {
  readonly wall: number;
  readonly cpu: number;
}

/** Single-quoted for the shell. */
const q = (s: string): string => `'${s.replaceAll("'", `'\\''`)}'`;

/**
 * Runs a shell command line and measures it: `times`, bash's builtin, prints the CPU its children
 * used (its second line), which is every process of the line, however deep.
 */
function run(line: string, env: NodeJS.ProcessEnv): Promise<Cost> {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    const p = spawn('bash', ['-c', `${line} >/dev/null; status=$?; times; exit $status`], { env });
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    p.on('error', reject);
    p.on('exit', (code) => {
      const wall = Number(process.hrtime.bigint() - started) / 1e9;
      const children = out.trim().split('\n').at(-1) ?? '';
      const secs = [...children.matchAll(/(\d+)m([\d.]+)s/g)].map((m) => Number(m[1]) * 60 + Number(m[2]));
      if (code !== 0 || secs.length !== 2) {
        reject(new Error(`${line} failed (${code}): ${err.slice(-400)}`));
        return;
      }
      resolve({ wall, cpu: secs[0]! + secs[1]! });
    });
  });
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { ffmpeg, ffprobe } = await resolveBinaries();
  await mkdir(args.work, { recursive: true });
  const clip = path.join(args.work, `testsrc2-1080p-${args.seconds}s.mp4`);
  if (!existsSync(clip)) {
    await run(
      `${q(ffmpeg)} -v error -f lavfi -i testsrc2=size=1920x1080:rate=25 -t ${args.seconds} -c:v libx264 -preset veryfast -crf 18 -pix_fmt yuv420p -y ${q(clip)}`,
      process.env,
    );
  }
  const frames = args.seconds * 25;
  const out = (name: string): string => q(path.join(args.work, `${name}.mp4`));
  const x264 = `-c:v libx264 -preset ${args.preset} -crf 18`;
  const rawIn = `-f rawvideo -s 1920x1080 -pix_fmt yuv420p -r 25 -i -`;
  const decode = `${q(ffmpeg)} -v error -i ${q(clip)}`;
  const cli = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  const vgrade = (pipeline: string): string =>
    `node ${q(cli)} grade ${q(clip)} -o ${out(pipeline)} -y -q --codec libx264 --preset ${args.preset} --crf 18 -p ${pipeline}`;
  const variants: ReadonlyArray<[string, string]> = [
    ['ffmpeg alone', `${decode} ${x264} -y ${out('alone')}`],
    [
      'pipe',
      `${decode} -f rawvideo -pix_fmt yuv420p - | ${q(ffmpeg)} -v error ${rawIn} ${x264} -y ${out('pipe')}`,
    ],
    [
      'pipe+proxy',
      `${decode} -filter_complex '[0:v]split=2[f][p];[p]scale=456:256:flags=area,format=rgb24[proxy]' -map '[f]' -f rawvideo -pix_fmt yuv420p pipe:1 -map '[proxy]' -f rawvideo -y /dev/null | ${q(ffmpeg)} -v error ${rawIn} ${x264} -y ${out('proxy')}`,
    ],
    [
      'node pipe',
      `${decode} -f rawvideo -pix_fmt yuv420p - | node -e 'process.stdin.pipe(process.stdout)' | ${q(ffmpeg)} -v error ${rawIn} ${x264} -y ${out('node')}`,
    ],
    ['vgrade classical', vgrade('classical')],
    ['vgrade grade (default)', vgrade('grade')],
  ];
  const env = { ...process.env, VGRADE_FFMPEG: ffmpeg, VGRADE_FFPROBE: ffprobe };
  const costs = new Map<string, Cost[]>(variants.map(([name]) => [name, []]));
  for (let r = 0; r < args.runs; r++) {
    // Alternated, so a machine that gets busier slows every variant alike.
    for (const [name, line] of variants) costs.get(name)!.push(await run(line, env));
    process.stderr.write(`run ${r + 1} of ${args.runs} done\n`);
  }
  const alone = costs.get('ffmpeg alone')!;
  const aloneWall = median(alone.map((c) => c.wall));
  const aloneCpu = median(alone.map((c) => c.cpu));
  const rows = variants.map(([name]) => {
    const c = costs.get(name)!;
    const wall = median(c.map((x) => x.wall));
    const cpu = median(c.map((x) => x.cpu));
    const extra = ((cpu - aloneCpu) * 1000) / frames;
    return `| ${name} | ${wall.toFixed(2)} | ${(aloneWall / wall).toFixed(2)} | ${cpu.toFixed(2)} | ${(aloneCpu / cpu).toFixed(2)} | ${name === 'ffmpeg alone' ? '' : extra.toFixed(1)} |`;
  });
  process.stdout.write(
    [
      `${frames} frames of 1080p testsrc2, x264 ${args.preset} crf 18, ${os.cpus().length} cores, medians of ${args.runs} (load average after: ${os
        .loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')})`,
      '',
      '| variant | wall s | throughput vs ffmpeg alone | CPU s | CPU share | CPU ms a frame more than alone |',
      '| --- | ---: | ---: | ---: | ---: | ---: |',
      ...rows,
      '',
    ].join('\n'),
  );
}

void main().catch((err: unknown) => {
  process.stderr.write(`${String(err)}\n`);
  process.exitCode = 1;
});
