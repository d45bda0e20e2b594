import {
  DelayedError,
  Queue,
  UnrecoverableError,
  Worker,
  type Job,
  type JobType,
  type RedisOptions,
} from 'bullmq';
import type { DroppedFile } from './names.js';
import { jobIdFor } from './names.js';
import type {
  IngestQueue,
  JobCounts,
  JobOutcome,
  JobProgress,
  JobRecord,
  JobState,
  WorkOptions,
} from './jobs.js';
import { describeFailure, throttled } from './jobs.js';
import { failureKind } from './failures.js';
import { Interrupted, RuntimeFailure, UsageError } from '../util/errors.js';

/** Redis connection settings from `redis://[:password@]host[:port][/db]` (or `rediss://`). */
export function redisConnection(url: string): RedisOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError('E_USAGE', `--queue ${url} is not a URL; write redis://HOST:PORT`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new UsageError('E_USAGE', `--queue ${url}: only redis:// and rediss:// queues are supported`);
  }
  return {
    host: u.hostname || '127.0.0.1',
    port: u.port ? Number(u.port) : 6379,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's workers block on Redis; ioredis must not give up on those commands.
    maxRetriesPerRequest: null,
    connectTimeout: 5000,
  };
}

type DropData = DroppedFile;

export interface BullQueueOptions {
  /** Failed tries after the first, and the first retry's delay: set on each job when it is added. */
  readonly retries: number;
  readonly retryDelayMs: number;
  /** How long a worker's hold on a job lasts without renewal; a killed worker's job returns after it. */
  readonly lockMs?: number;
  /** How often a running job's progress is written to Redis. */
  readonly progressMs?: number;
}

/** A job's progress as this module stores it with BullMQ's `updateProgress`, when it is one. */
function asProgress(value: unknown): JobProgress | null {
  if (typeof value !== 'object' || value === null) return null;
  const p = value as Partial<JobProgress>;
  return typeof p.frames === 'number' && typeof p.at === 'number'
    ? { frames: p.frames, total: p.total ?? null, fps: p.fps ?? 0, at: p.at }
    : null;
}

/**
 * BullMQ's job states as ours, in the order `list` reads them: each state before the states its
 * jobs move to (a retry goes from active back to delayed, so delayed is read again last). A job
 * that moves once while the states are read is then seen at least once, and its latest state wins.
 */
const STATES: Array<[JobType, JobState]> = [
  ['delayed', 'queued'],
  ['waiting', 'queued'],
  ['prioritized', 'queued'],
  ['active', 'running'],
  ['completed', 'done'],
  ['failed', 'quarantined'],
  ['delayed', 'queued'],
];

/**
 * The farm's queue: BullMQ on Redis. Every machine runs the same `vgrade ingest` against the same
 * (shared) folders and the same Redis; a job's id comes from the file, so two scanners add it
 * once, and BullMQ's locks hand each job to one worker. A worker killed mid-job loses its lock,
 * and BullMQ's stalled-job check gives the job to another after `lockMs`. Retries and their
 * exponential backoff are BullMQ's; a job failed for good is a quarantined file, and a permanent
 * failure ({@link failureKind}) is thrown as BullMQ's `UnrecoverableError`, which is never retried.
 */
export class BullQueue implements IngestQueue {
  readonly kind = 'redis';
  readonly address: string;
  private readonly queue: Queue<DropData, JobOutcome>;
  private readonly connection: RedisOptions;
  /** Redis has answered once: from then on, connection trouble is waited out. */
  private reached = false;

  constructor(
    url: string,
    readonly name: string,
    private readonly opts: BullQueueOptions,
  ) {
    this.connection = {
      ...redisConnection(url),
      // ioredis reconnects with BullMQ's delays (1 s growing to 20 s) for as long as it takes, which
      // carries a farm through a broker's restart; until Redis has answered once, it gives up.
      retryStrategy: (times: number) =>
        this.reached ? Math.max(Math.min(Math.exp(times), 20_000), 1000) : null,
    };
    this.queue = new Queue<DropData, JobOutcome>(name, { connection: this.connection });
    const { host, port, db } = this.connection;
    this.address = `redis://${host}:${port}${db ? `/${db}` : ''} ${name}`;
  }

  /**
   * Waits until Redis answers, or fails naming its address. Once it has answered, connection
   * trouble is waited out (see the constructor); before that, a refusal, an unknown host or no
   * answer within the connect timeout is final, so a command given a wrong address says so at
   * once instead of waiting in silence.
   */
  async connect(): Promise<void> {
    const { host, port } = this.connection;
    try {
      await this.queue.waitUntilReady();
      this.reached = true;
    } catch (err) {
      await this.queue.close().catch(() => {});
      throw new RuntimeFailure(
        'E_QUEUE',
        `Cannot reach Redis at ${host}:${port} (--queue): ${(err as Error).message}`,
        { cause: err },
      );
    }
  }

  async add(file: DroppedFile): Promise<boolean> {
    const jobId = jobIdFor(file);
    if (await this.queue.getJob(jobId)) return false;
    await this.queue.add(
      'grade',
      { name: file.name, size: file.size, mtimeMs: file.mtimeMs },
      {
        jobId,
        attempts: this.opts.retries + 1,
        backoff: { type: 'exponential', delay: this.opts.retryDelayMs },
        // Kept so a scanner that sees the file again (a race with its move to done) adds nothing.
        removeOnComplete: { age: 7 * 24 * 3600 },
        removeOnFail: { age: 30 * 24 * 3600 },
      },
    );
    return true;
  }

  async work(opts: WorkOptions, signal: AbortSignal): Promise<void> {
    const stop = new AbortController();
    const worker = new Worker<DropData, JobOutcome>(
      this.name,
      async (job: Job<DropData, JobOutcome>, token?: string) => {
        const drop = { id: job.id!, ...job.data, attempt: job.attemptsMade + 1 };
        const progress = throttled((p: JobProgress) => {
          job.updateProgress({ ...p }).catch(() => {}); // for people; never fails the grade
        }, this.opts.progressMs ?? 1000);
        try {
          return await opts.handle(drop, stop.signal, progress);
        } catch (err) {
          if (err instanceof Interrupted || stop.signal.aborted) {
            // Stopped by us, not failed: straight back to the queue, the try not counted.
            await job.moveToDelayed(Date.now(), token);
            throw new DelayedError();
          }
          const reason = describeFailure(err);
          const permanent = failureKind(err) === 'permanent';
          const final = permanent || drop.attempt >= (job.opts.attempts ?? 1);
          opts.failed?.(drop, reason, final);
          if (final) await opts.giveUp(drop, reason);
          // The job's record keeps `reason` (code and message), as the embedded queue's does.
          throw permanent ? new UnrecoverableError(reason) : new Error(reason, { cause: err });
        }
      },
      {
        connection: this.connection,
        concurrency: opts.concurrency,
        lockDuration: this.opts.lockMs ?? 30_000,
        stalledInterval: Math.max(1000, Math.floor((this.opts.lockMs ?? 30_000) / 2)),
        // A stalled job (its worker died, or was too busy to renew its lock) is a transient
        // failure: it gets as many second chances as any other, not BullMQ's default of one.
        maxStalledCount: this.opts.retries + 1,
      },
    );
    worker.on('error', () => {}); // connection trouble: ioredis reconnects; counts() reports it
    await new Promise<void>((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
    stop.abort();
    await worker.close();
  }

  async counts(): Promise<JobCounts> {
    const c = await this.queue.getJobCounts(
      'waiting',
      'prioritized',
      'delayed',
      'active',
      'completed',
      'failed',
    );
    return {
      queued: (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0),
      retrying: c.delayed ?? 0,
      running: c.active ?? 0,
      done: c.completed ?? 0,
      quarantined: c.failed ?? 0,
    };
  }

  async list(): Promise<JobRecord[]> {
    const records = new Map<string, JobRecord>();
    const client = await this.queue.client;
    for (const [type, state] of STATES) {
      for (const job of await this.queue.getJobs([type], 0, 9999)) {
        if (!job?.id) continue;
        // A delayed job's due time is its score in the delayed set, in ms times 0x1000.
        const score = type === 'delayed' ? await client.zscore(this.queue.keys.delayed!, job.id) : null;
        const progress = state === 'running' ? asProgress(job.progress) : null;
        records.set(job.id, {
          id: job.id,
          name: job.data.name,
          size: job.data.size,
          mtimeMs: job.data.mtimeMs,
          state,
          attempts: job.attemptsMade + (state === 'running' ? 1 : 0),
          notBefore: score !== null ? Math.floor(Number(score) / 0x1000) : job.timestamp + (job.delay ?? 0),
          lastError: job.failedReason || null,
          output: job.returnvalue?.output ?? null,
          frames: job.returnvalue?.frames ?? null,
          // Recorded in this try, not left over from an earlier one.
          progress: progress && progress.at >= (job.processedOn ?? 0) ? progress : null,
          createdAt: job.timestamp,
          updatedAt: job.finishedOn ?? job.processedOn ?? job.timestamp,
        });
      }
    }
    return [...records.values()].sort((a, b) => a.createdAt - b.createdAt);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
