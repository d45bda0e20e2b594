import type { DroppedFile } from './names.js';
import { VgradeError } from '../util/errors.js';

/** Where a job stands. A job waiting to be retried is `queued` with `attempts > 0` and an error. */
export type JobState = 'queued' | 'running' | 'done' | 'quarantined';

export interface JobRecord extends DroppedFile {
  readonly id: string;
  readonly state: JobState;
  readonly attempts: number;
  /** Epoch ms before which a queued job is not started (backoff after a failure). */
  readonly notBefore: number;
  readonly lastError: string | null;
  /** The graded master's path, once done. */
  readonly output: string | null;
  readonly frames: number | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

export interface JobCounts {
  readonly queued: number;
  /** Queued jobs that failed at least once and wait for their next try. */
  readonly retrying: number;
  readonly running: number;
  readonly done: number;
  readonly quarantined: number;
}

/** What a finished job reports back to its queue. */
export interface JobOutcome {
  readonly output: string;
  readonly frames: number;
  readonly seconds: number;
}

/** Retry delay after the n-th failed attempt (1-based): base, 2x base, 4x base... at most an hour. */
export function backoffMs(attempt: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempt - 1), 3_600_000);
}

/** One try at one job, as a queue hands it to its handler. */
export interface DropJob extends DroppedFile {
  readonly id: string;
  /** 1 for the first try. */
  readonly attempt: number;
}

export interface WorkOptions {
  /** Jobs graded at once by this process. */
  readonly concurrency: number;
  /** Failed tries after the first before a file is quarantined. */
  readonly retries: number;
  /** Delay before the first retry; each further retry waits twice as long. */
  readonly retryDelayMs: number;
  /** Grades one job; throws when it fails. */
  readonly handle: (job: DropJob, signal: AbortSignal) => Promise<JobOutcome>;
  /** Called once a job has failed its last try, before it is recorded as quarantined. */
  readonly giveUp: (job: DropJob, reason: string) => Promise<void>;
  /** Called after every failed try, for metrics and logs. */
  readonly failed?: (job: DropJob, reason: string, final: boolean) => void;
  /** Called when recording a job's outcome itself failed (the job stays for its lease to expire). */
  readonly trouble?: (job: DropJob, err: unknown) => void;
}

/**
 * Where jobs wait and who takes them: SQLite on this machine ({@link SqliteQueue}), or BullMQ on
 * Redis for a farm ({@link BullQueue}). Adding is idempotent: a job's id comes from the file's
 * name, size and modification time, so two scanners that see the same file add one job.
 */
export interface IngestQueue {
  readonly kind: 'sqlite' | 'redis';
  add(file: DroppedFile): Promise<boolean>;
  /** Takes and grades jobs until `signal` aborts; then waits for the jobs in hand to stop. */
  work(opts: WorkOptions, signal: AbortSignal): Promise<void>;
  counts(): Promise<JobCounts>;
  list(): Promise<JobRecord[]>;
  close(): Promise<void>;
}

/** A failure's message for a job's record: our errors with their code, anything else with its type. */
export function describeFailure(err: unknown): string {
  if (err instanceof VgradeError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
