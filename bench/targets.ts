/**
 * Issue 17's targets, measured: the default pipeline (`vgrade grade` with no `--pipeline`) against
 * ffmpeg alone doing only the encode, on clips made with ffmpeg's `testsrc2` (nothing downloaded).
 *
 * - Throughput at 1080p (x264 veryfast and medium) and 720p (medium): each run of ours is paired
 *   with one of `ffmpeg -i IN -c:v libx264 -preset P -crf 18 OUT` (no filter), the pair's order
 *   alternating (ours first, then ffmpeg first, ...), the ratio taken within the pair; the table
 *   shows the median over the pairs, so a machine shared with other work moves both sides alike.
 * - Peak RSS of the largest process at 1080p (medium), from the same runs: ours is the largest of
 *   Node and its ffmpeg children, against ffmpeg alone's.
 * - The whole tree's peak RSS at 2160p on a short and a long clip (10 s and 60 s; `--quick`: 3 s
 *   and 12 s), one run each, the long clip being the short one looped (stream copy).
 * - Start-up: the wall time of grading a 2-frame 1080p clip.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { measureTree, type TreeMeasure } from './procTree.js';

/** A throughput comparison: per-pair figures and their medians. */
export interface PairFigures {
  frames: number;
  oursFps: number[];
  theirsFps: number[];
  /** ffmpeg alone's time over ours, per pair: our share of ffmpeg's throughput. */
  ratios: number[];
}

export interface TargetFigures {
  veryfast1080: PairFigures;
  medium1080: PairFigures;
  medium720: PairFigures;
  /** Peak RSS (MiB) of the largest process, per run of `medium1080`. */
  rss1080: { ours: number[]; oursName: string; theirs: number[] };
  tree2160: {
    preset: string;
    shortSeconds: number;
    longSeconds: number;
    shortMiB: number;
    longMiB: number;
    /** ffmpeg alone on the short clip, same preset: its peak RSS, for scale. */
    aloneMiB: number;
  };
  /** Wall seconds of a 2-frame grade (ours) and of ffmpeg alone encoding the same 2 frames. */
  startup: { ours: number[]; theirs: number[] };
}

export interface TargetRow {
  what: string;
  measured: string;
  target: string;
  met: boolean;
}

export const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** 2 GiB, the whole tree's ceiling at 2160p. */
export const TREE_LIMIT_MIB = 2048;

/** Each of issue 17's targets with this run's figure and whether it is met. */
export function judgeTargets(f: TargetFigures): TargetRow[] {
  const rows: TargetRow[] = [];
  const vf = median(f.veryfast1080.ratios);
  rows.push({
    what: '1080p default pipeline vs `ffmpeg -i in -c:v libx264 -preset veryfast -crf 18` (no filter): throughput ratio',
    measured: `${vf.toFixed(2)} (${median(f.veryfast1080.oursFps).toFixed(1)} vs ${median(f.veryfast1080.theirsFps).toFixed(1)} fps)`,
    target: '>= 0.85',
    met: vf >= 0.85,
  });
  const md = median(f.medium1080.ratios);
  rows.push({
    what: 'same at x264 medium',
    measured: `${md.toFixed(2)} (${median(f.medium1080.oursFps).toFixed(1)} vs ${median(f.medium1080.theirsFps).toFixed(1)} fps)`,
    target: '>= 0.9',
    met: md >= 0.9,
  });
  const ours720 = median(f.medium720.oursFps);
  const theirs720 = median(f.medium720.theirsFps);
  const ratio720 = median(f.medium720.ratios);
  rows.push({
    what: '720p default pipeline at x264 medium: fps',
    measured: `${ours720.toFixed(1)} fps (ffmpeg alone ${theirs720.toFixed(1)}, ratio ${ratio720.toFixed(2)})`,
    target: '>= 25 fps, or >= 0.9x ffmpeg alone where that is below 25',
    met: ours720 >= 25 || (theirs720 < 25 && ratio720 >= 0.9),
  });
  const oursRss = median(f.rss1080.ours);
  const theirsRss = median(f.rss1080.theirs);
  const rssRatio = oursRss / theirsRss;
  rows.push({
    what: 'peak RSS of the largest process, 1080p (x264 medium), vs ffmpeg alone on the same clip',
    measured: `${rssRatio.toFixed(2)}x (${oursRss.toFixed(0)} MiB, ${f.rss1080.oursName}, vs ${theirsRss.toFixed(0)})`,
    target: '<= 1.1x',
    met: rssRatio <= 1.1,
  });
  const t = f.tree2160;
  const flat = t.longMiB / t.shortMiB;
  rows.push({
    what: `whole tree peak RSS at 2160p, ${t.shortSeconds} s vs ${t.longSeconds} s clip (x264 ${t.preset})`,
    measured: `${flat.toFixed(2)}x (${t.shortMiB.toFixed(0)} / ${t.longMiB.toFixed(0)} MiB; ffmpeg alone ${t.aloneMiB.toFixed(0)})`,
    target: `<= 1.1x and < ${TREE_LIMIT_MIB} MiB`,
    met: flat <= 1.1 && Math.max(t.shortMiB, t.longMiB) < TREE_LIMIT_MIB,
  });
  const up = median(f.startup.ours);
  rows.push({
    what: 'start-up to first frame (2-frame grade, 1080p): seconds',
    measured: `${up.toFixed(2)} s (ffmpeg alone ${median(f.startup.theirs).toFixed(2)} s)`,
    target: '<= 0.8 s',
    met: up <= 0.8,
  });
  return rows;
}

/** The rows as a Markdown table. */
export function renderTargets(rows: readonly TargetRow[]): string {
  return [
    '| what | measured | target | met |',
    '| --- | ---: | ---: | :---: |',
    ...rows.map((r) => `| ${r.what} | ${r.measured} | ${r.target} | ${r.met ? 'yes' : 'no'} |`),
  ].join('\n');
}

export interface TargetOptions {
  ffmpeg: string;
  /** `node` and its flags and the CLI's path: how `vgrade` is run. */
  vgrade: string[];
  work: string;
  runs: number;
  quick: boolean;
  /** x264 preset of the 2160p memory runs (x264 medium alone takes about 1.8 GB there). */
  treePreset: string;
  log: (line: string) => void;
}

async function ffmpegRun(ffmpeg: string, args: string[]): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const p = spawn(ffmpeg, ['-hide_banner', '-nostdin', '-loglevel', 'error', '-y', ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
    p.on('close', (c) =>
      c === 0 ? resolve() : reject(new Error(`ffmpeg ${args.join(' ')} failed: ${err}`)),
    );
  });
}

/** A `testsrc2` clip (x264 veryfast, CRF 16, yuv420p, 25 fps), made once into the work folder. */
async function testClip(
  opts: TargetOptions,
  size: string,
  seconds: number,
  frames?: number,
): Promise<string> {
  const file = path.join(opts.work, `testsrc2-${size}-${frames ? `${frames}f` : `${seconds}s`}.mp4`);
  if (existsSync(file)) return file;
  opts.log(`making ${path.basename(file)}`);
  const part = `${file}.part.mp4`;
  await ffmpegRun(opts.ffmpeg, [
    '-f',
    'lavfi',
    '-i',
    `testsrc2=size=${size}:rate=25:duration=${seconds}`,
    ...(frames ? ['-frames:v', String(frames)] : []),
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '16',
    '-pix_fmt',
    'yuv420p',
    part,
  ]);
  await rename(part, file);
  return file;
}

/** `short` played `times` times over, by stream copy (continuous timestamps). */
async function loopedClip(
  opts: TargetOptions,
  short: string,
  times: number,
  seconds: number,
): Promise<string> {
  const file = short.replace(/-\d+s\.mp4$/, `-${seconds}s.mp4`);
  if (existsSync(file)) return file;
  const part = `${file}.part.mp4`;
  await ffmpegRun(opts.ffmpeg, ['-stream_loop', String(times - 1), '-i', short, '-c', 'copy', part]);
  await rename(part, file);
  return file;
}

const SECONDS_PER_FRAME = 1 / 25;

function ours(
  opts: TargetOptions,
  clip: string,
  preset: string,
  extra: readonly string[] = [],
): Promise<TreeMeasure> {
  const [node, ...rest] = opts.vgrade;
  return measureTree(
    node!,
    [
      ...rest,
      'grade',
      clip,
      '-y',
      '-o',
      path.join(opts.work, 'ours.mp4'),
      '--crf',
      '18',
      '--preset',
      preset,
      '-q',
      ...extra,
    ],
    100,
  );
}

function theirs(opts: TargetOptions, clip: string, preset: string): Promise<TreeMeasure> {
  return measureTree(
    opts.ffmpeg,
    [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'error',
      '-y',
      '-i',
      clip,
      '-c:v',
      'libx264',
      '-preset',
      preset,
      '-crf',
      '18',
      path.join(opts.work, 'theirs.mp4'),
    ],
    100,
  );
}

/** `runs` pairs, ours and ffmpeg alone, the order alternating from pair to pair. */
async function pairs(
  opts: TargetOptions,
  label: string,
  clip: string,
  seconds: number,
  preset: string,
): Promise<{ figures: PairFigures; ours: TreeMeasure[]; theirs: TreeMeasure[] }> {
  const frames = Math.round(seconds / SECONDS_PER_FRAME);
  const a: TreeMeasure[] = [];
  const b: TreeMeasure[] = [];
  for (let i = 0; i < opts.runs; i++) {
    if (i % 2 === 0) {
      a.push(await ours(opts, clip, preset));
      b.push(await theirs(opts, clip, preset));
    } else {
      b.push(await theirs(opts, clip, preset));
      a.push(await ours(opts, clip, preset));
    }
    opts.log(
      `${label} pair ${i + 1}: vgrade ${a[i]!.seconds.toFixed(1)} s, ffmpeg ${b[i]!.seconds.toFixed(1)} s, ratio ${(b[i]!.seconds / a[i]!.seconds).toFixed(3)}`,
    );
  }
  return {
    figures: {
      frames,
      oursFps: a.map((m) => frames / m.seconds),
      theirsFps: b.map((m) => frames / m.seconds),
      ratios: a.map((m, i) => b[i]!.seconds / m.seconds),
    },
    ours: a,
    theirs: b,
  };
}

/** Measures every figure of issue 17's table. */
export async function measureTargets(opts: TargetOptions): Promise<TargetFigures> {
  const clip1080 = await testClip(opts, '1920x1080', 10);
  const clip720 = await testClip(opts, '1280x720', 10);
  const clip2f = await testClip(opts, '1920x1080', 1, 2);
  const [shortS, longS] = opts.quick ? [3, 12] : [10, 60];
  const short2160 = await testClip(opts, '3840x2160', shortS);
  const long2160 = await loopedClip(opts, short2160, longS / shortS, longS);

  // One unmeasured grade first, so that no measured run pays for cold caches.
  await ours(opts, clip2f, 'medium');
  const startup = { ours: [] as number[], theirs: [] as number[] };
  for (let i = 0; i < opts.runs; i++) {
    startup.ours.push((await ours(opts, clip2f, 'medium')).seconds);
    startup.theirs.push((await theirs(opts, clip2f, 'medium')).seconds);
  }
  opts.log(`start-up: ${startup.ours.map((s) => s.toFixed(2)).join(', ')} s`);

  const veryfast1080 = await pairs(opts, '1080p veryfast', clip1080, 10, 'veryfast');
  const medium1080 = await pairs(opts, '1080p medium', clip1080, 10, 'medium');
  const medium720 = await pairs(opts, '720p medium', clip720, 10, 'medium');

  const short = await ours(opts, short2160, opts.treePreset);
  opts.log(`2160p ${shortS} s: tree ${short.treePeakMiB.toFixed(0)} MiB`);
  const long = await ours(opts, long2160, opts.treePreset);
  opts.log(`2160p ${longS} s: tree ${long.treePeakMiB.toFixed(0)} MiB`);
  const alone = await theirs(opts, short2160, opts.treePreset);
  await rm(path.join(opts.work, 'ours.mp4'), { force: true });
  await rm(path.join(opts.work, 'theirs.mp4'), { force: true });

  const biggest = medium1080.ours.reduce((x, y) => (y.largestPeakMiB > x.largestPeakMiB ? y : x));
  return {
    veryfast1080: veryfast1080.figures,
    medium1080: medium1080.figures,
    medium720: medium720.figures,
    rss1080: {
      ours: medium1080.ours.map((m) => m.largestPeakMiB),
      oursName: biggest.largestName,
      theirs: medium1080.theirs.map((m) => m.largestPeakMiB),
    },
    tree2160: {
      preset: opts.treePreset,
      shortSeconds: shortS,
      longSeconds: longS,
      shortMiB: short.treePeakMiB,
      longMiB: long.treePeakMiB,
      aloneMiB: alone.treePeakMiB,
    },
    startup,
  };
}

/** Where `encode` applies the LUT, as the bench compares them: `apply: node` and `apply: encoder`. */
export const APPLY_ROADS = ['node', 'encoder'] as const;
export type ApplyRoad = (typeof APPLY_ROADS)[number];

/** One case of the side-by-side comparison: fps and the largest process's peak RSS, per run. */
export interface ApplyCase {
  label: string;
  frames: number;
  fps: Record<ApplyRoad | 'ffmpeg', number[]>;
  largestMiB: Record<ApplyRoad | 'ffmpeg', number[]>;
  /** ffmpeg alone's time over ours, per run (within one triplet). */
  ratios: Record<ApplyRoad, number[]>;
}

/**
 * The two roads side by side (`--only apply`): for each case, `runs` triplets of the default
 * pipeline with `apply: node`, with `apply: encoder`, and ffmpeg alone, the order rotating from
 * triplet to triplet; ratios are taken within a triplet.
 */
export async function measureApply(opts: TargetOptions): Promise<ApplyCase[]> {
  const clip1080 = await testClip(opts, '1920x1080', 10);
  const clip720 = await testClip(opts, '1280x720', 10);
  const cases: ApplyCase[] = [];
  for (const [label, clip, preset] of [
    ['1080p veryfast', clip1080, 'veryfast'],
    ['1080p medium', clip1080, 'medium'],
    ['720p medium', clip720, 'medium'],
  ] as const) {
    const frames = Math.round(10 / SECONDS_PER_FRAME);
    const runs = {} as Record<ApplyRoad | 'ffmpeg', TreeMeasure[]>;
    const legs: Record<ApplyRoad | 'ffmpeg', () => Promise<TreeMeasure>> = {
      node: () => ours(opts, clip, preset, ['--set', 'encode.apply=node']),
      encoder: () => ours(opts, clip, preset, ['--set', 'encode.apply=encoder']),
      ffmpeg: () => theirs(opts, clip, preset),
    };
    const order = ['node', 'encoder', 'ffmpeg'] as const;
    for (const leg of order) runs[leg] = [];
    for (let i = 0; i < opts.runs; i++) {
      for (let k = 0; k < order.length; k++) {
        const leg = order[(i + k) % order.length]!;
        runs[leg].push(await legs[leg]());
      }
      opts.log(
        `${label} triplet ${i + 1}: ${order.map((leg) => `${leg} ${runs[leg][i]!.seconds.toFixed(1)} s`).join(', ')}`,
      );
    }
    const fps = (leg: ApplyRoad | 'ffmpeg'): number[] => runs[leg].map((m) => frames / m.seconds);
    const peak = (leg: ApplyRoad | 'ffmpeg'): number[] => runs[leg].map((m) => m.largestPeakMiB);
    const ratio = (leg: ApplyRoad): number[] => runs[leg].map((m, i) => runs.ffmpeg[i]!.seconds / m.seconds);
    cases.push({
      label,
      frames,
      fps: { node: fps('node'), encoder: fps('encoder'), ffmpeg: fps('ffmpeg') },
      largestMiB: { node: peak('node'), encoder: peak('encoder'), ffmpeg: peak('ffmpeg') },
      ratios: { node: ratio('node'), encoder: ratio('encoder') },
    });
  }
  await rm(path.join(opts.work, 'ours.mp4'), { force: true });
  await rm(path.join(opts.work, 'theirs.mp4'), { force: true });
  return cases;
}

/** The comparison as a Markdown table: medians, and the ratio to ffmpeg alone. */
export function renderApply(cases: readonly ApplyCase[]): string {
  const lines = [
    '| case | apply: node | apply: encoder | ffmpeg alone | largest process, peak MiB (node / encoder / ffmpeg) |',
    '| --- | ---: | ---: | ---: | ---: |',
  ];
  for (const c of cases) {
    const road = (leg: ApplyRoad): string =>
      `${median(c.fps[leg]).toFixed(1)} fps (${median(c.ratios[leg]).toFixed(2)})`;
    const mib = (['node', 'encoder', 'ffmpeg'] as const).map((leg) => median(c.largestMiB[leg]).toFixed(0));
    lines.push(
      `| ${c.label} | ${road('node')} | ${road('encoder')} | ${median(c.fps.ffmpeg).toFixed(1)} fps | ${mib.join(' / ')} |`,
    );
  }
  return lines.join('\n');
}
