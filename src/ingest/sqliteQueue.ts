import { setTimeout as sleep } from 'node:timers/promises';
import type { DroppedFile } from './names.js';
import {
  backoffMs,
  describeFailure,
  isFinalFailure,
  throttled,
  type IngestQueue,
  type JobCounts,
  type JobProgress,
  type JobRecord,
  type WorkOptions,
} from './jobs.js';
import { SqliteJobStore } from './sqliteStore.js';
import { Interrupted } from '../util/errors.js';

export interface SqliteQueueOptions {
  /** How long a claimed job stays ours without a renewal; renewed every third of it. */
  readonly leaseMs?: number;
  /** How often to look for ready jobs when none finished meanwhile. */
  readonly pollMs?: number;
  /** How often a running job's progress is written (one small UPDATE each time). */
  readonly progressMs?: number;
}

/** The embedded queue: jobs in a SQLite file, taken by this process under a lease. */
export class SqliteQueue implements IngestQueue {
  readonly kind = 'sqlite';
  readonly address: string;
  readonly store: SqliteJobStore;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly progressMs: number;

  constructor(file: string, opts: SqliteQueueOptions = {}) {
    this.address = `sqlite:${file}`;
    this.store = new SqliteJobStore(file);
    this.leaseMs = opts.leaseMs ?? 60_000;
    this.pollMs = opts.pollMs ?? 500;
    this.progressMs = opts.progressMs ?? 1000;
  }

  add(file: DroppedFile): Promise<boolean> {
    return Promise.resolve(this.store.add(file));
  }

  counts(): Promise<JobCounts> {
    return Promise.resolve(this.store.counts());
  }

  list(): Promise<JobRecord[]> {
    return Promise.resolve(this.store.list());
  }

  async work(opts: WorkOptions, signal: AbortSignal): Promise<void> {
    const inHand = new Set<Promise<void>>();
    while (!signal.aborted) {
      this.store.recover();
      while (inHand.size < opts.concurrency) {
        const record = this.store.claim(this.leaseMs);
        if (!record) break;
        const running: Promise<void> = this.runOne(record, opts, signal)
          .catch((err: unknown) => opts.trouble?.({ ...record, attempt: record.attempts }, err))
          .finally(() => inHand.delete(running));
        inHand.add(running);
      }
      await Promise.race([sleep(this.pollMs, undefined, { signal }).catch(() => {}), ...inHand]);
    }
    await Promise.allSettled(inHand);
  }

  private async runOne(record: JobRecord, opts: WorkOptions, signal: AbortSignal): Promise<void> {
    const job = {
      id: record.id,
      name: record.name,
      size: record.size,
      mtimeMs: record.mtimeMs,
      attempt: record.attempts,
    };
    const renew = setInterval(() => this.store.renew(job.id, this.leaseMs), this.leaseMs / 3);
    try {
      const progress = throttled((p: JobProgress) => {
        try {
          this.store.progress(job.id, p);
        } catch {
          // Progress is for people; a busy or unwritable database must not fail the grade.
        }
      }, this.progressMs);
      const outcome = await opts.handle(job, signal, progress);
      this.store.complete(job.id, outcome);
    } catch (err) {
      if (err instanceof Interrupted || signal.aborted) {
        // Stopped by us, not failed: back to the queue without counting the try.
        this.store.release(job.id);
        return;
      }
      const reason = describeFailure(err);
      const final = isFinalFailure(err, job.attempt, opts.retries);
      opts.failed?.(job, reason, final);
      if (final) {
        await opts.giveUp(job, reason);
        this.store.fail(job.id, reason, undefined);
      } else {
        this.store.fail(job.id, reason, backoffMs(job.attempt, opts.retryDelayMs));
      }
    } finally {
      clearInterval(renew);
    }
  }

  close(): Promise<void> {
    this.store.close();
    return Promise.resolve();
  }
}
