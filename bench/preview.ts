/**
 * `npm run bench:preview`: latency of `vgrade preview`, from a frame entering ffmpeg to its
 * display in a real browser (Debian's Chromium, headless, driven by playwright-core), at the start
 * and at the end of a long run, for each pipeline asked for.
 *
 * The source is `lavfi:testsrc2=size=1280x720:rate=25` (a 720p camera). Each pipeline runs for
 * --seconds; the page's own latency figures (drawn time on the server's clock minus the frame's
 * entry into ffmpeg, see src/preview/page.ts) are collected every second, and the median and 95th
 * percentile are printed for seconds 5-15 ("start") and for the last 10 seconds ("end"), with the
 * pictures shown per second, frames dropped, and Node's resident memory at both times.
 *
 * Usage: npm run bench:preview -- [--seconds 60] [--size 960x540] [--pipelines neural,off]
 */
import { chromium } from 'playwright-core';
import { resolveBinaries } from '../src/ffmpeg/binaries.js';
import { getCapabilities } from '../src/ffmpeg/capabilities.js';
import { silentLogger } from '../src/util/logger.js';
import { startPreview } from '../src/preview/preview.js';

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
  rssMiB: number;
  dropped: number;
}

async function measure(
  pipeline: string,
  seconds: number,
  size: string,
): Promise<{ start: Window; end: Window }> {
  const [width, height] = size.split('x').map(Number) as [number, number];
  const binaries = await resolveBinaries();
  const caps = await getCapabilities(binaries.ffmpeg, silentLogger);
  const preview = await startPreview({
    input: 'lavfi:testsrc2=size=1280x720:rate=25',
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
  let current: Window = { latencies: [], serverLatencies: [], fps: [], rssMiB: 0, dropped: 0 };
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
      current.rssMiB = process.memoryUsage().rss / 2 ** 20;
      current.dropped = stats.dropped;
    }
    if (t === 15 || t === seconds) {
      windows.push(current);
      current = { latencies: [], serverLatencies: [], fps: [], rssMiB: 0, dropped: 0 };
    }
  }
  await browser.close();
  await preview.stop();
  return { start: windows[0]!, end: windows[windows.length - 1]! };
}

const seconds = Math.max(20, Number(arg('seconds', '60')));
const size = arg('size', '960x540');
const pipelines = arg('pipelines', 'neural,off').split(',');
console.log(`vgrade preview latency, 720p25 lavfi source, preview ${size}, ${seconds} s per pipeline`);
console.log('pipeline   window  latency p50  p95 (ms)  of which server p50  fps   dropped  node RSS MiB');
for (const pipeline of pipelines) {
  const { start, end } = await measure(pipeline, seconds, size);
  for (const [name, w] of [
    ['start', start],
    ['end', end],
  ] as const) {
    const fps = w.fps.reduce((a, b) => a + b, 0) / Math.max(1, w.fps.length);
    console.log(
      `${pipeline.padEnd(10)} ${name.padEnd(6)}  ${percentile(w.latencies, 0.5).toFixed(0).padStart(11)}  ${percentile(w.latencies, 0.95).toFixed(0).padStart(8)}  ${percentile(w.serverLatencies, 0.5).toFixed(0).padStart(19)}  ${fps.toFixed(1).padStart(4)}  ${String(w.dropped).padStart(7)}  ${w.rssMiB.toFixed(1).padStart(12)}`,
    );
  }
}
