/**
 * `npm run bench`: throughput and memory of `vgrade grade` against ffmpeg alone.
 *
 * (a) Throughput at 720p and 1080p: our classical pipeline against ffmpeg doing the same decode ->
 *     rgb24 -> encode with the same encoder settings. Each pair runs back to back, the ratio is
 *     taken within a pair, and the table shows the median over `--runs` pairs.
 * (b) Peak RSS grading a 10-second and a 120-second 1080p clip: of the Node process (VmHWM) and of
 *     the whole process tree (Node plus both ffmpeg children, sampled every 50 ms), and the ratio.
 *
 * Clips are made from the shipped real sample (scaled, looped) once into the work folder.
 * Usage: npm run bench -- [--runs 3] [--preset medium] [--rss-preset ultrafast] [--pipeline classical]
 *        [--only throughput|memory] [--out bench/results]
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveBinaries } from '../src/ffmpeg/binaries.js';
import { packageRoot } from '../src/util/packageRoot.js';

interface Args {
  runs: number;
  preset: string;
  rssPreset: string;
  out: string;
  work: string;
  only: string | undefined;
  pipeline: string;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string): string => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
  };
  return {
    runs: Number(get('runs', '3')),
    preset: get('preset', 'medium'),
    rssPreset: get('rss-preset', 'ultrafast'),
    out: get('out', path.join(packageRoot(), 'bench', 'results')),
    work: get('work', path.join(os.tmpdir(), 'vgrade-bench')),
    only: argv.includes('--only') ? get('only', '') : undefined,
    pipeline: get('pipeline', 'classical'),
  };
}

interface Measured {
  seconds: number;
  nodePeakMiB: number;
  treePeakMiB: number;
}

function kib(status: string, field: string): number {
  const m = new RegExp(`${field}:\\s+(\\d+) kB`).exec(status);
  return m ? Number(m[1]) : 0;
}

async function readStatus(pid: number): Promise<string> {
  try {
    return await readFile(`/proc/${pid}/status`, 'utf8');
  } catch {
    return '';
  }
}

async function descendants(pid: number): Promise<number[]> {
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const p = stack.pop()!;
    let kids: number[] = [];
    try {
      const tasks = await import('node:fs/promises').then((fs) => fs.readdir(`/proc/${p}/task`));
      for (const t of tasks) {
        const text = await readFile(`/proc/${p}/task/${t}/children`, 'utf8').catch(() => '');
        kids = kids.concat(text.split(/\s+/).filter(Boolean).map(Number));
      }
    } catch {
      // gone
    }
    out.push(...kids);
    stack.push(...kids);
  }
  return out;
}

/** Runs a command, returning wall time, the process's own peak RSS and the tree's sampled peak. */
async function measure(cmd: string, args: string[]): Promise<Measured> {
  const started = process.hrtime.bigint();
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  let nodePeak = 0;
  let treePeak = 0;
  let done = false;
  const sampler = (async () => {
    while (!done) {
      const own = await readStatus(child.pid!);
      nodePeak = Math.max(nodePeak, kib(own, 'VmHWM'));
      let tree = kib(own, 'VmRSS');
      for (const pid of await descendants(child.pid!)) tree += kib(await readStatus(pid), 'VmRSS');
      treePeak = Math.max(treePeak, tree);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  done = true;
  await sampler;
  if (code !== 0) throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${code}): ${stderr}`);
  return {
    seconds: Number(process.hrtime.bigint() - started) / 1e9,
    nodePeakMiB: nodePeak / 1024,
    treePeakMiB: treePeak / 1024,
  };
}

async function makeClip(ffmpeg: string, file: string, size: string, seconds: number): Promise<void> {
  if (existsSync(file)) return;
  const sample = path.join(packageRoot(), 'samples', 'cockatoo.mp4');
  await new Promise<void>((resolve, reject) => {
    const p = spawn(ffmpeg, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-stream_loop',
      '-1',
      '-i',
      sample,
      '-t',
      String(seconds),
      '-vf',
      `scale=${size.replace('x', ':')}`,
      '-c:v',
      'libx264',
      '-preset',
      'veryfast',
      '-crf',
      '16',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      file,
    ]);
    p.on('exit', (c) => (c === 0 ? resolve() : reject(new Error(`could not make ${file}`))));
  });
}

/** The Node flags the CLI's shebang asks for (`#!/usr/bin/env -S node FLAGS`), so the bench runs it as users do. */
async function cliNodeFlags(cli: string): Promise<string[]> {
  const first = (await readFile(cli, 'utf8')).split('\n', 1)[0] ?? '';
  const m = /^#!\S*env -S node(.*)$/.exec(first);
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const bins = await resolveBinaries();
  const cli = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  const nodeFlags = await cliNodeFlags(cli);
  await mkdir(args.work, { recursive: true });
  await mkdir(args.out, { recursive: true });
  const frames = async (file: string): Promise<number> => {
    const out = await new Promise<string>((resolve) => {
      let s = '';
      const p = spawn(bins.ffprobe, [
        '-v',
        'error',
        '-select_streams',
        'v:0',
        '-show_entries',
        'stream=nb_frames',
        '-of',
        'csv=p=0',
        file,
      ]);
      p.stdout.on('data', (d: Buffer) => (s += d.toString()));
      p.on('exit', () => resolve(s.trim()));
    });
    return Number(out);
  };
  const results: Record<string, unknown> = {
    ffmpeg: bins.ffmpeg,
    pipeline: args.pipeline,
    preset: args.preset,
    runs: args.runs,
    host: `${os.cpus().length} cores`,
  };
  const lines: string[] = [];

  if (!args.only || args.only === 'throughput') {
    const rows: unknown[] = [];
    lines.push(
      `(a) throughput, ${args.pipeline} pipeline vs ffmpeg alone (decode -> rgb24 -> libx264 crf 18 preset ${args.preset}), median of ${args.runs}`,
    );
    lines.push('  size        frames   vgrade fps   ffmpeg fps   ratio');
    for (const size of ['1280x720', '1920x1080']) {
      const clip = path.join(args.work, `clip-${size}-10s.mp4`);
      await makeClip(bins.ffmpeg, clip, size, 10);
      const n = await frames(clip);
      const ratios: number[] = [];
      const ours: number[] = [];
      const theirs: number[] = [];
      for (let i = 0; i < args.runs; i++) {
        const a = await measure(process.execPath, [
          ...nodeFlags,
          cli,
          'grade',
          clip,
          '-y',
          '-o',
          path.join(args.work, 'ours.mp4'),
          '--pipeline',
          args.pipeline,
          '--crf',
          '18',
          '--preset',
          args.preset,
          '-q',
        ]);
        const b = await measure(bins.ffmpeg, [
          '-hide_banner',
          '-loglevel',
          'error',
          '-y',
          '-i',
          clip,
          '-vf',
          'format=rgb24',
          '-c:v',
          'libx264',
          '-pix_fmt',
          'yuv420p',
          '-crf',
          '18',
          '-preset',
          args.preset,
          '-c:a',
          'copy',
          path.join(args.work, 'theirs.mp4'),
        ]);
        ours.push(n / a.seconds);
        theirs.push(n / b.seconds);
        ratios.push(b.seconds / a.seconds);
      }
      const row = {
        size,
        frames: n,
        vgradeFps: median(ours),
        ffmpegFps: median(theirs),
        ratio: median(ratios),
        ratios,
      };
      rows.push(row);
      lines.push(
        `  ${size.padEnd(10)} ${String(n).padStart(7)} ${row.vgradeFps.toFixed(1).padStart(12)} ${row.ffmpegFps.toFixed(1).padStart(12)} ${row.ratio.toFixed(2).padStart(7)}`,
      );
      console.log(lines.at(-1));
    }
    results['throughput'] = rows;
  }

  if (!args.only || args.only === 'memory') {
    lines.push(`(b) peak RSS grading 1080p (${args.pipeline} pipeline, encoder preset ${args.rssPreset})`);
    lines.push('  clip     node peak MiB   tree peak MiB');
    const rows: Array<Measured & { seconds: number; clip: string }> = [];
    for (const seconds of [10, 120]) {
      const clip = path.join(args.work, `clip-1920x1080-${seconds}s.mp4`);
      await makeClip(bins.ffmpeg, clip, '1920x1080', seconds);
      const m = await measure(process.execPath, [
        ...nodeFlags,
        cli,
        'grade',
        clip,
        '-y',
        '-o',
        path.join(args.work, 'rss.mp4'),
        '--pipeline',
        args.pipeline,
        '--preset',
        args.rssPreset,
        '-q',
      ]);
      rows.push({ ...m, clip: `${seconds}s` });
      lines.push(
        `  ${`${seconds}s`.padEnd(7)} ${m.nodePeakMiB.toFixed(1).padStart(14)} ${m.treePeakMiB.toFixed(1).padStart(15)}`,
      );
      console.log(lines.at(-1));
    }
    // For scale: ffmpeg alone on the 10 s clip (same encoder preset), its own peak RSS.
    const alone = await measure(bins.ffmpeg, [
      '-hide_banner',
      '-loglevel',
      'error',
      '-y',
      '-i',
      path.join(args.work, 'clip-1920x1080-10s.mp4'),
      '-vf',
      'format=rgb24',
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-preset',
      args.rssPreset,
      '-c:a',
      'copy',
      path.join(args.work, 'rss-alone.mp4'),
    ]);
    lines.push(`  ffmpeg alone, 10s clip: ${alone.nodePeakMiB.toFixed(1)} MiB`);
    console.log(lines.at(-1));
    results['ffmpegAlonePeakMiB'] = alone.nodePeakMiB;
    const ratioNode = rows[1]!.nodePeakMiB / rows[0]!.nodePeakMiB;
    const ratioTree = rows[1]!.treePeakMiB / rows[0]!.treePeakMiB;
    lines.push(`  120s/10s ratio: node ${ratioNode.toFixed(3)}, tree ${ratioTree.toFixed(3)}`);
    results['memory'] = { rows, ratioNode, ratioTree };
  }

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const jsonFile = path.join(args.out, `bench-${stamp}.json`);
  await writeFile(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  process.stdout.write(`\n${lines.join('\n')}\n\nwritten ${jsonFile}\n`);
  await rm(path.join(args.work, 'ours.mp4'), { force: true });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${(err as Error).message}\n`);
  process.exitCode = 1;
});
