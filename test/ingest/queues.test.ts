import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BullQueue } from '../../src/ingest/bullQueue.js';
import type { DropJob, IngestQueue, JobProgress, JobRecord, WorkOptions } from '../../src/ingest/jobs.js';
import { SqliteQueue } from '../../src/ingest/sqliteQueue.js';
import { RuntimeFailure } from '../../src/util/errors.js';
import { tempDir } from '../helpers/media.js';
import { startRedis } from '../helpers/redis.js';

/** Polls `check` until it returns something other than undefined; generous, for a loaded machine. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs = 300_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await sleep(50);
  }
}

interface Harness {
  queue: IngestQueue;
  handled: DropJob[];
  givenUp: DropJob[];
  failures: Array<{ attempt: number; final: boolean }>;
  stop: () => Promise<void>;
}

/** Starts `queue.work` with `handle`, recording what the queue did. */
function work(
  queue: IngestQueue,
  handle: WorkOptions['handle'],
  opts: { retries: number; retryDelayMs: number },
): Harness {
  const abort = new AbortController();
  const h: Harness = { queue, handled: [], givenUp: [], failures: [], stop: async () => {} };
  const working = queue.work(
    {
      concurrency: 1,
      ...opts,
      handle: (job, signal, progress) => {
        h.handled.push(job);
        return handle(job, signal, progress);
      },
      giveUp: (job) => {
        h.givenUp.push(job);
        return Promise.resolve();
      },
      failed: (job, _reason, final) => h.failures.push({ attempt: job.attempt, final }),
    },
    abort.signal,
  );
  h.stop = async () => {
    abort.abort();
    await working;
  };
  return h;
}

const FILE = { name: 'clip.mov', size: 1234, mtimeMs: 1_700_000_000_000 };

const failWith = (err: Error) => () => Promise.reject(err);

/** Waits in the handler until the worker is told to stop. */
const waitForStop = (_job: DropJob, signal: AbortSignal): Promise<never> =>
  new Promise((_, reject) =>
    signal.addEventListener('abort', () => reject(new Error('stopped')), { once: true }),
  );

/** The queue's one job when it is in `state` (and `also` holds), else undefined: for {@link until}. */
async function onlyJob(
  queue: IngestQueue,
  state: JobRecord['state'],
  also: (job: JobRecord) => boolean = () => true,
): Promise<JobRecord | undefined> {
  const jobs = await queue.list();
  expect(jobs.length).toBeLessThanOrEqual(1);
  return jobs[0]?.state === state && also(jobs[0]) ? jobs[0] : undefined;
}

const backends: Array<{
  name: string;
  setup: () => Promise<void>;
  teardown: () => Promise<void>;
  open: (opts: { retries: number; retryDelayMs: number }) => IngestQueue;
}> = (() => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let redis: Awaited<ReturnType<typeof startRedis>>;
  let n = 0;
  return [
    {
      name: 'the embedded SQLite queue',
      setup: async () => {
        tmp = await tempDir('vgrade-queue-');
      },
      teardown: () => tmp.cleanup(),
      open: () => new SqliteQueue(path.join(tmp.dir, `q${n++}.db`), { pollMs: 20, progressMs: 0 }),
    },
    {
      name: 'the BullMQ queue on Redis',
      setup: async () => {
        redis = await startRedis();
      },
      teardown: () => redis.stop(),
      open: (opts) => new BullQueue(redis.url, `queue-test-${n++}`, { ...opts, progressMs: 0 }),
    },
  ];
})();

describe.each(backends)('$name', (backend) => {
  const running: Harness[] = [];
  const opened: IngestQueue[] = [];
  const open = (opts: { retries: number; retryDelayMs: number }): IngestQueue => {
    const queue = backend.open(opts);
    opened.push(queue);
    return queue;
  };
  beforeAll(backend.setup);
  afterAll(backend.teardown);
  afterEach(async () => {
    for (const h of running.splice(0)) await h.stop();
    for (const q of opened.splice(0)) await q.close();
  });

  it('quarantines a damaged file after its first try, whatever retries are allowed', async () => {
    const opts = { retries: 3, retryDelayMs: 10 };
    const queue = open(opts);
    await queue.add(FILE);
    const damaged = new RuntimeFailure('E_INPUT_CORRUPT', 'clip.mov is damaged: Invalid NAL unit size');
    const h = work(queue, failWith(damaged), opts);
    running.push(h);
    const job = await until('quarantine', () => onlyJob(queue, 'quarantined'));
    expect(job).toMatchObject({ attempts: 1, lastError: expect.stringMatching(/^E_INPUT_CORRUPT: /) });
    expect(h.handled).toHaveLength(1);
    expect(h.givenUp.map((j) => j.attempt)).toEqual([1]);
    expect(h.failures).toEqual([{ attempt: 1, final: true }]);
  });

  it('retries an ffmpeg that died, with backoff, until the retries are used up', async () => {
    const opts = { retries: 2, retryDelayMs: 10 };
    const queue = open(opts);
    await queue.add(FILE);
    const died = new RuntimeFailure('E_FFMPEG', 'ffmpeg (encode) was killed by SIGKILL');
    const h = work(queue, failWith(died), opts);
    running.push(h);
    const job = await until('quarantine', () => onlyJob(queue, 'quarantined'));
    expect(job).toMatchObject({ attempts: 3, lastError: expect.stringMatching(/^E_FFMPEG: /) });
    expect(h.handled.map((j) => j.attempt)).toEqual([1, 2, 3]);
    expect(h.failures.map((f) => f.final)).toEqual([false, false, true]);
    expect(h.givenUp.map((j) => j.attempt)).toEqual([3]);
  });

  it("says when a failed job's next try is due", async () => {
    const opts = { retries: 1, retryDelayMs: 600_000 };
    const queue = open(opts);
    await queue.add(FILE);
    const failedAt = Date.now();
    const h = work(queue, failWith(new RuntimeFailure('E_OUTPUT', 'no space left on device')), opts);
    running.push(h);
    const job = await until('the retry to be scheduled', () =>
      onlyJob(queue, 'queued', (j) => j.attempts === 1),
    );
    expect(job.lastError).toMatch(/^E_OUTPUT: /);
    expect(job.notBefore).toBeGreaterThanOrEqual(failedAt + 600_000);
    expect(job.notBefore).toBeLessThanOrEqual(Date.now() + 600_000);
  });

  it("records a running job's progress, and forgets it once the job is no longer running", async () => {
    const opts = { retries: 1, retryDelayMs: 10 };
    const queue = open(opts);
    await queue.add(FILE);
    let reported: JobProgress | undefined;
    const h = work(
      queue,
      (job, signal, progress) => {
        reported = { frames: 42, total: 200, fps: 21, at: Date.now() };
        progress(reported);
        return waitForStop(job, signal);
      },
      opts,
    );
    running.push(h);
    const job = await until('progress', () => onlyJob(queue, 'running', (j) => j.progress !== null));
    expect(job.progress).toEqual(reported);
    await h.stop();
    const stopped = await queue.list();
    expect(stopped).toMatchObject([{ state: 'queued', progress: null }]);
  });
});
