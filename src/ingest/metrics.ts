import http from 'node:http';
import { access } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { IngestQueue } from './jobs.js';

/** Frames graded by this process, kept as (time, count) for a rate over the last seconds. */
class FrameRate {
  private readonly samples: Array<[number, number]> = [];
  constructor(private readonly windowMs = 10_000) {}
  add(frames: number, now = Date.now()): void {
    this.samples.push([now, frames]);
    this.trim(now);
  }
  perSecond(now = Date.now()): number {
    this.trim(now);
    const frames = this.samples.reduce((n, [, f]) => n + f, 0);
    return frames / (this.windowMs / 1000);
  }
  private trim(now: number): void {
    while (this.samples.length && this.samples[0]![0] < now - this.windowMs) this.samples.shift();
  }
}

/**
 * The ingest's Prometheus metrics: jobs by state (read from the queue at each scrape, so every
 * worker of a farm reports the same queue), frames graded and frames per second by this process,
 * failed tries, job durations, and Node's process metrics.
 */
export class IngestMetrics {
  readonly registry = new Registry();
  private readonly rate = new FrameRate();
  private readonly framesTotal: Counter;
  private readonly failures: Counter;
  private readonly durations: Histogram;
  lastScanAt: number | undefined;

  constructor(queue: IngestQueue) {
    const rate = this.rate;
    collectDefaultMetrics({ register: this.registry, prefix: 'vgrade_' });
    new Gauge({
      name: 'vgrade_ingest_jobs',
      help: 'Jobs in the queue by state (queued includes retrying)',
      labelNames: ['state'],
      registers: [this.registry],
      async collect() {
        const c = await queue.counts();
        for (const state of ['queued', 'retrying', 'running', 'done', 'quarantined'] as const) {
          this.set({ state }, c[state]);
        }
      },
    });
    this.framesTotal = new Counter({
      name: 'vgrade_ingest_frames_total',
      help: 'Frames graded by this process',
      registers: [this.registry],
    });
    new Gauge({
      name: 'vgrade_ingest_frames_per_second',
      help: 'Frames graded per second by this process, over the last 10 s',
      registers: [this.registry],
      collect() {
        this.set(rate.perSecond());
      },
    });
    this.failures = new Counter({
      name: 'vgrade_ingest_failed_attempts_total',
      help: 'Tries that failed (a retry follows, or the file is quarantined)',
      labelNames: ['final'],
      registers: [this.registry],
    });
    this.durations = new Histogram({
      name: 'vgrade_ingest_job_seconds',
      help: 'Seconds to grade one file, for jobs done by this process',
      buckets: [1, 5, 15, 60, 300, 900, 3600, 14400],
      registers: [this.registry],
    });
  }

  frames(n: number): void {
    if (n <= 0) return;
    this.framesTotal.inc(n);
    this.rate.add(n);
  }

  failed(final: boolean): void {
    this.failures.inc({ final: String(final) });
  }

  jobDone(seconds: number): void {
    this.durations.observe(seconds);
  }
}

export interface HealthSource {
  readonly watchDir: string;
  readonly queue: IngestQueue;
  readonly metrics: IngestMetrics;
}

/**
 * `GET /metrics` (Prometheus text format) and `GET /healthz`: 200 when the watch folder can be
 * read and the queue answers within 2 s, else 503, with a JSON body saying which.
 */
export async function serveMetrics(
  source: HealthSource,
  host: string,
  port: number,
): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
      } else if (url.pathname === '/metrics') {
        const body = await source.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': source.metrics.registry.contentType }).end(body);
      } else if (url.pathname === '/healthz' || url.pathname === '/health') {
        const health = await checkHealth(source);
        res
          .writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' })
          .end(`${JSON.stringify(health)}\n`);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: try /metrics or /healthz\n');
      }
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`${(err as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { server, url: `http://${shown}:${address.port}` };
}

async function checkHealth(source: HealthSource): Promise<{
  ok: boolean;
  watch: string;
  queue: string;
  lastScan: string | null;
}> {
  const watch = await access(source.watchDir).then(
    () => 'ok',
    (err: NodeJS.ErrnoException) => `cannot read: ${err.code ?? err.message}`,
  );
  const queue = await Promise.race([
    source.queue.counts().then(
      () => 'ok',
      (err: Error) => `unreachable: ${err.message}`,
    ),
    new Promise<string>((resolve) => setTimeout(() => resolve('no answer within 2 s'), 2000).unref()),
  ]);
  const lastScan = source.metrics.lastScanAt;
  return {
    ok: watch === 'ok' && queue === 'ok',
    watch,
    queue: `${source.queue.kind}: ${queue}`,
    lastScan: lastScan === undefined ? null : new Date(lastScan).toISOString(),
  };
}
