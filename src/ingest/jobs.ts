import type { DroppedFile } from './names.js';
import { VgradeError } from '../util/errors.js';
import { failureKind } from './failures.js';

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
  /** How far a running job has got, as its worker last recorded it; null in other states. */
  readonly progress: JobProgress | null;
  readonly createdAt: number;
  readonly updatedAt: number;
}

/** A running job's progress, recorded in the queue by its worker about once a second. */
export interface JobProgress {
  /** Frames graded so far. */
  readonly frames: number;
  /** Frames expected in all, when the source says. */
  readonly total: number | null;
  /** Frames per second since the job started. */
  readonly fps: number;
  /** Epoch ms when this was recorded. */
  readonly at: number;
}

/** Seconds left for a running job at its recorded speed; undefined when that cannot be told. */
export function etaSeconds(p: JobProgress): number | undefined {
  return p.total !== null && p.fps > 0 ? Math.max(0, (p.total - p.frames) / p.fps) : undefined;
}

/**
 * Wraps `record` so that it runs for the first report and then at most once every `everyMs`: a
 * grade reports every frame, the queue needs to hear about once a second.
 */
export function throttled<T>(record: (value: T) => void, everyMs: number): (value: T) => void {
  let last = -Infinity;
  return (value) => {
    const now = Date.now();
    if (now - last < everyMs) return;
    last = now;
    record(value);
  };
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
  /** Failed tries after the first before a file is quarantined (transient failures only). */
  readonly retries: number;
  /** Delay before the first retry; each further retry waits twice as long. */
  readonly retryDelayMs: number;
  /**
   * Grades one job; throws when it fails. `progress` may be called for every frame: the queue
   * records it (throttled) for `vgrade ingest status`.
   */
  readonly handle: (
    job: DropJob,
    signal: AbortSignal,
    progress: (p: JobProgress) => void,
  ) => Promise<JobOutcome>;
  /**
   * Called once a job has failed for good, before it is recorded as quarantined: after its last
   * try, or after any try when the failure is permanent ({@link failureKind}).
   */
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
  /** Where the queue is, for people: `sqlite:/srv/graded/.vgrade/ingest.db`, no passwords. */
  readonly address: string;
  add(file: DroppedFile): Promise<boolean>;
  /** Takes and grades jobs until `signal` aborts; then waits for the jobs in hand to stop. */
  work(opts: WorkOptions, signal: AbortSignal): Promise<void>;
  counts(): Promise<JobCounts>;
  list(): Promise<JobRecord[]>;
  close(): Promise<void>;
}

/** True when a failed try is its job's last: the retries are used up, or no retry can help. */
export function isFinalFailure(err: unknown, attempt: number, retries: number): boolean {
  return attempt > retries || failureKind(err) === 'permanent';
}

/** A failure's message for a job's record: our errors with their code, anything else with its type. */
export function describeFailure(err: unknown): string {
  if (err instanceof VgradeError) return `${err.code}: ${err.message}`;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}
