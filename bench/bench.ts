/**
 * `npm run bench`: speed and memory of `vgrade grade` against ffmpeg alone.
 *
 * By default (`--only targets`) it measures and prints issue 17's target table (see `targets.ts`):
 * the default pipeline against plain `ffmpeg -i IN -c:v libx264 -preset P -crf 18` on `testsrc2`
 * clips, ratios taken within alternating pairs, medians of `--runs`. `--quick` shortens the 2160p
 * memory clips from 10 s and 60 s to 3 s and 12 s.
 *
 * The earlier figures, on clips made from the shipped sample (scaled, looped):
 * (a) `--only throughput`: 720p and 1080p, `--pipeline` (classical) against ffmpeg doing the same
 *     decode -> rgb24 -> encode with the same encoder settings. Each pair runs back to back, the
 *     ratio is taken within a pair, and the table shows the median over `--runs` pairs.
 * (b) `--only memory`: peak RSS grading a 10-second and a 120-second 1080p clip: of the Node
 *     process (VmHWM) and of the whole process tree (sampled every 50 ms), and the ratio.
 * `--only all` runs the three. `--only apply` compares `encode`'s two roads for the LUT (`apply:
 * node`, one decode and the LUT in Node; `apply: encoder`, haldclut in the encoder's ffmpeg) with
 * ffmpeg alone, in triplets (see `measureApply`).
 *
 * Usage: npm run bench -- [--only targets|apply|throughput|memory|all] [--quick] [--runs 3]
 *        [--preset medium] [--rss-preset ultrafast] [--pipeline classical] [--out bench/results]
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolveBinaries } from '../src/ffmpeg/binaries.js';
import { packageRoot } from '../src/util/packageRoot.js';
import { measureTree, type TreeMeasure } from './procTree.js';
import {
  judgeTargets,
  measureApply,
  measureTargets,
  median,
  renderApply,
  renderTargets,
  type TargetOptions,
} from './targets.js';
import { argValue } from './args.js';

interface Args {
  runs: number;
  preset: string;
  rssPreset: string;
  out: string;
  work: string;
  only: string;
  pipeline: string;
  quick: boolean;
}

function parseArgs(argv: string[]): Args {
  const get = (name: string, fallback: string): string => argValue(argv, name, fallback);
  return {
    runs: Number(get('runs', '3')),
    preset: get('preset', 'medium'),
    rssPreset: get('rss-preset', 'ultrafast'),
    out: get('out', path.join(packageRoot(), 'bench', 'results')),
    work: get('work', path.join(os.tmpdir(), 'vgrade-bench')),
    only: get('only', 'targets'),
    pipeline: get('pipeline', 'classical'),
    quick: argv.includes('--quick'),
  };
}

type Measured = TreeMeasure;

/** Runs a command, returning wall time, the process's own peak RSS and the tree's sampled peak. */
const measure = (cmd: string, args: string[]): Promise<Measured> => measureTree(cmd, args, 50);

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
  if (!['targets', 'apply', 'throughput', 'memory', 'all'].includes(args.only)) {
    throw new Error(
      `Expected one of targets, apply, throughput, memory, all for --only but received ${args.only}`,
    );
  }

  const load = (): string =>
    os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ');
  const targetOptions: TargetOptions = {
    ffmpeg: bins.ffmpeg,
    vgrade: [process.execPath, ...nodeFlags, cli],
    work: args.work,
    runs: args.runs,
    quick: args.quick,
    treePreset: args.rssPreset,
    log: (line) => process.stderr.write(`${line}\n`),
  };

  if (args.only === 'apply') {
    const began = Date.now();
    const loadBefore = load();
    const cases = await measureApply(targetOptions);
    lines.push(
      `encode apply: node against encoder, ${new Date(began).toISOString().slice(0, 10)}: \`npm run bench -- ${process.argv.slice(2).join(' ')}\``,
      `  medians of ${args.runs} triplets; fps (ratio to ffmpeg alone within the triplet); ${bins.ffmpeg}; ${os.cpus().length} cores, load average ${loadBefore} before, ${load()} after; ${((Date.now() - began) / 60000).toFixed(1)} min`,
      '  ours:   vgrade grade IN -o OUT --crf 18 --preset P --set encode.apply=ROAD   (the default pipeline)',
      '  theirs: ffmpeg -i IN -c:v libx264 -preset P -crf 18 OUT',
      '',
      renderApply(cases),
      '',
    );
    results['apply'] = { loadBefore, cases };
  }

  if (args.only === 'all' || args.only === 'targets') {
    const began = Date.now();
    const loadBefore = load();
    const figures = await measureTargets(targetOptions);
    const rows = judgeTargets(figures);
    const given = process.argv.slice(2);
    lines.push(
      `Issue 17 targets, ${new Date(began).toISOString().slice(0, 10)}: \`npm run bench${given.length ? ` -- ${given.join(' ')}` : ''}\``,
      `  ${args.quick ? 'quick run (2160p clips 3 s and 12 s)' : 'full run (2160p clips 10 s and 60 s)'}, medians of ${args.runs}; ${bins.ffmpeg}; ${os.cpus().length} cores, load average ${loadBefore} before, ${load()} after; ${((Date.now() - began) / 60000).toFixed(1)} min`,
      '  ours:   vgrade grade IN -o OUT --crf 18 --preset P   (the default pipeline)',
      '  theirs: ffmpeg -i IN -c:v libx264 -preset P -crf 18 OUT',
      '',
      renderTargets(rows),
      '',
    );
    results['targets'] = { quick: args.quick, loadBefore, loadAfter: load(), figures, rows };
  }

  if (args.only === 'all' || args.only === 'throughput') {
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

  if (args.only === 'all' || args.only === 'memory') {
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
