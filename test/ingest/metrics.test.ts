import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IngestMetrics, serveMetrics } from '../../src/ingest/metrics.js';
import { SqliteQueue } from '../../src/ingest/sqliteQueue.js';
import { tempDir } from '../helpers/media.js';

describe('the ingest metrics and health endpoints', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let queue: SqliteQueue;
  let close: () => void;
  let url: string;
  let metrics: IngestMetrics;

  beforeEach(async () => {
    tmp = await tempDir('vgrade-metrics-');
    queue = new SqliteQueue(path.join(tmp.dir, 'ingest.db'));
    metrics = new IngestMetrics(queue);
    const served = await serveMetrics({ watchDir: tmp.dir, queue, metrics }, '127.0.0.1', 0);
    url = served.url;
    close = () => served.server.close();
  });
  afterEach(async () => {
    close();
    await queue.close();
    await tmp.cleanup();
  });

  it('listen on the loopback address by default', () => {
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('report jobs by state, frames and failures in the Prometheus text format', async () => {
    queue.store.add({ name: 'a.mov', size: 1, mtimeMs: 1 });
    queue.store.add({ name: 'b.mov', size: 1, mtimeMs: 1 });
    const job = queue.store.claim(60_000)!;
    queue.store.complete(job.id, { output: 'a.mov', frames: 50, seconds: 2 });
    metrics.frames(50);
    metrics.jobDone(2);
    metrics.failed(true);
    const res = await fetch(`${url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toContain('vgrade_ingest_jobs{state="queued"} 1');
    expect(text).toContain('vgrade_ingest_jobs{state="done"} 1');
    expect(text).toContain('vgrade_ingest_jobs{state="running"} 0');
    expect(text).toContain('vgrade_ingest_frames_total 50');
    expect(text).toContain('vgrade_ingest_frames_per_second 5');
    expect(text).toContain('vgrade_ingest_failed_attempts_total{final="true"} 1');
    expect(text).toContain('vgrade_ingest_job_seconds_count 1');
    expect(text).toContain('vgrade_process_cpu_seconds_total');
  });

  it('say healthy while the watch folder and the queue answer, and 503 when the folder is gone', async () => {
    const ok = await fetch(`${url}/healthz`);
    expect(ok.status).toBe(200);
    expect(await ok.json()).toMatchObject({ ok: true, watch: 'ok', queue: 'sqlite: ok' });
    await rm(tmp.dir, { recursive: true, force: true, maxRetries: 10 });
    const bad = await fetch(`${url}/healthz`);
    expect(bad.status).toBe(503);
    expect(await bad.json()).toMatchObject({ ok: false, watch: 'cannot read: ENOENT' });
  });

  it('answer 404 elsewhere', async () => {
    expect((await fetch(`${url}/`)).status).toBe(404);
  });
});
