/**
 * `npm run bench:preview`: how `vgrade preview` starts, and its latency from a frame entering
 * ffmpeg to its display in a real browser (Debian's Chromium, headless, driven by playwright-core).
 *
 * (a) Time to the first picture: `--runs` fresh `vgrade preview` processes (the built CLI, the
 *     `neural` pipeline), each timed from the moment its address is printed to the first picture
 *     the server serves (`GET /frame`, as the page asks), and to the first graded one; the median.
 * (b) Latency on `--input` (default `lavfi:testsrc2=size=1280x720:rate=25`, a 720p camera): each
 *     pipeline runs for --seconds; the page's own latency figures (drawn time on the server's clock
 *     minus the frame's entry into ffmpeg, see src/preview/page.ts) are collected every second, and
 *     the median and 95th percentile are printed for seconds 5-15 ("start") and for the last 10
 *     seconds ("end"), with the pictures shown per second, the share of the source's frames not
 *     shown (the preview's own figure, which the page reports from 10% on as "the machine cannot
 *     keep up"), frames dropped, and Node's resident memory at both times.
 * (c) The same under overload (`--overload`, default a 4K25 lavfi source, which this 2-core
 *     machine cannot make in real time; `none` skips it): the latency must stay where it was at the
 *     start, with frames dropped instead.
 *
 * Usage: npm run bench:preview -- [--runs 3] [--seconds 60] [--size 960x540] [--pipelines neural,off]
 *        [--input SOURCE] [--overload SOURCE|none] [--only first-picture|latency]
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { resolveBinaries } from '../src/ffmpeg/binaries.js';
import { getCapabilities } from '../src/ffmpeg/capabilities.js';
import { silentLogger } from '../src/util/logger.js';
import { startPreview } from '../src/preview/preview.js';
import { packageRoot } from '../src/util/packageRoot.js';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

function percentile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * q))] ?? NaN;
}

interface Window {
  latencies: number[];
  /** Of each latency, the part until the page's JPEG was ready on the server. */
  serverLatencies: number[];
  fps: number[];
  /** The preview's share of the source's frames not shown, each second. */
  dropping: number[];
  rssMiB: number;
  dropped: number;
}

async function measure(
  input: string,
  pipeline: string,
  seconds: number,
  size: string,
): Promise<{ start: Window; end: Window }> {
  const [width, height] = size.split('x').map(Number) as [number, number];
  const binaries = await resolveBinaries();
  const caps = await getCapabilities(binaries.ffmpeg, silentLogger);
  const preview = await startPreview({
    input,
    host: '127.0.0.1',
    port: 0,
    width,
    height,
    quality: 5,
    pipelines: { neural: 'preview', classical: 'preview-classical' },
    initial: pipeline,
    logger: silentLogger,
    binaries,
    caps,
  });
  const browser = await chromium.launch({
    executablePath: process.env['VGRADE_CHROMIUM'] ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  const page = await browser.newPage();
  await page.goto(preview.url);
  const windows: Window[] = [];
  let current: Window = { latencies: [], serverLatencies: [], fps: [], dropping: [], rssMiB: 0, dropped: 0 };
  const started = Date.now();
  let seen = 0;
  for (let t = 1; t <= seconds; t++) {
    await new Promise((resolve) => setTimeout(resolve, started + t * 1000 - Date.now()));
    // New latency samples since the last read (the page keeps its last 100).
    const { latencies, serverLatencies, drawn } = await page.evaluate(() => {
      const s = (
        globalThis as unknown as {
          __vgrade: { latencies: number[]; serverLatencies: number[]; drawn: number };
        }
      ).__vgrade;
      return { latencies: s.latencies.slice(), serverLatencies: s.serverLatencies.slice(), drawn: s.drawn };
    });
    const fresh = latencies.slice(Math.max(0, latencies.length - (drawn - seen)));
    const freshServer = serverLatencies.slice(Math.max(0, serverLatencies.length - (drawn - seen)));
    seen = drawn;
    const stats = preview.stats();
    const inStart = t > 5 && t <= 15;
    const inEnd = t > seconds - 10;
    if (inStart || inEnd) {
      current.latencies.push(...fresh);
      current.serverLatencies.push(...freshServer);
      current.fps.push(stats.fps);
      current.dropping.push(stats.keepUp.dropping);
      current.rssMiB = process.memoryUsage().rss / 2 ** 20;
      current.dropped = stats.dropped;
    }
    if (t === 15 || t === seconds) {
      windows.push(current);
      current = { latencies: [], serverLatencies: [], fps: [], dropping: [], rssMiB: 0, dropped: 0 };
    }
  }
  await browser.close();
  await preview.stop();
  return { start: windows[0]!, end: windows[windows.length - 1]! };
}

function median(xs: number[]): number {
  return percentile(xs, 0.5);
}

/** One picture answer of `GET /frame`: its header, or undefined when the answer was news alone. */
async function nextPicture(url: string, after: number): Promise<Record<string, unknown> | undefined> {
  const res = await fetch(new URL(`/frame?after=${after}&viewer=bench`, url));
  const bytes = Buffer.from(await res.arrayBuffer());
  const jsonLength = bytes.readUInt32BE(0);
  if (bytes.readUInt32BE(4) === 0) return undefined;
  return JSON.parse(bytes.subarray(8, 8 + jsonLength).toString()) as Record<string, unknown>;
}

/**
 * One fresh `vgrade preview`: ms from its address on stdout to the first picture served, and to
 * the first graded one (a picture not marked `warming`).
 */
async function firstPicture(input: string, size: string): Promise<{ any: number; graded: number }> {
  const cli = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  const child = spawn(
    process.execPath,
    [cli, 'preview', '--port', '0', '--input', input, '--size', size, '--pipeline', 'neural', '--quiet'],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /vgrade preview: (http\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`vgrade preview exited with ${code}`)));
    });
    const printed = Date.now();
    let any: number | undefined;
    let after = -1;
    while (Date.now() - printed < 60_000) {
      const header = await nextPicture(url, after);
      if (!header) continue;
      any ??= Date.now() - printed;
      after = Number(header['seq']);
      if (header['warming'] !== true && header['pipeline'] === 'neural') {
        return { any, graded: Date.now() - printed };
      }
    }
    throw new Error('no graded picture within 60 s');
  } finally {
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  }
}

const seconds = Math.max(20, Number(arg('seconds', '60')));
const size = arg('size', '960x540');
const pipelines = arg('pipelines', 'neural,off').split(',');
const runs = Math.max(1, Number(arg('runs', '3')));
const input = arg('input', 'lavfi:testsrc2=size=1280x720:rate=25');
const overload = arg('overload', 'lavfi:testsrc2=size=3840x2160:rate=25');
const only = arg('only', '');

if (only === '' || only === 'first-picture') {
  console.log(
    `vgrade preview, time to the first picture after the address is printed (${input}, ${size}, neural)`,
  );
  const times: Array<{ any: number; graded: number }> = [];
  for (let run = 1; run <= runs; run++) {
    const t = await firstPicture(input, size);
    times.push(t);
    console.log(`run ${run}: first picture ${t.any} ms, first graded picture ${t.graded} ms`);
  }
  console.log(
    `median of ${runs}: first picture ${median(times.map((t) => t.any))} ms, first graded picture ${median(times.map((t) => t.graded))} ms`,
  );
  console.log('');
}

if (only === '' || only === 'latency') {
  for (const source of overload === 'none' ? [input] : [input, overload]) {
    console.log(
      `vgrade preview latency, ${source}${source === overload ? ' (overload)' : ''}, preview ${size}, ${seconds} s per pipeline`,
    );
    console.log(
      'pipeline   window  latency p50  p95 (ms)  of which server p50  fps   not shown  dropped  node RSS MiB',
    );
    for (const pipeline of pipelines) {
      const { start, end } = await measure(source, pipeline, seconds, size);
      for (const [name, w] of [
        ['start', start],
        ['end', end],
      ] as const) {
        const fps = w.fps.reduce((a, b) => a + b, 0) / Math.max(1, w.fps.length);
        const notShown = `${Math.round((100 * w.dropping.reduce((a, b) => a + b, 0)) / Math.max(1, w.dropping.length))}%`;
        console.log(
          `${pipeline.padEnd(10)} ${name.padEnd(6)}  ${percentile(w.latencies, 0.5).toFixed(0).padStart(11)}  ${percentile(w.latencies, 0.95).toFixed(0).padStart(8)}  ${percentile(w.serverLatencies, 0.5).toFixed(0).padStart(19)}  ${fps.toFixed(1).padStart(4)}  ${notShown.padStart(9)}  ${String(w.dropped).padStart(7)}  ${w.rssMiB.toFixed(1).padStart(12)}`,
        );
      }
    }
    console.log('');
  }
}
