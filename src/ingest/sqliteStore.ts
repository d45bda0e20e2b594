import os from 'node:os';
import Database from 'better-sqlite3';
import type { DroppedFile } from './names.js';
import { jobIdFor } from './names.js';
import type { JobCounts, JobOutcome, JobProgress, JobRecord, JobState } from './jobs.js';

interface Row {
  id: string;
  name: string;
  size: number;
  mtime_ms: number;
  state: JobState;
  attempts: number;
  not_before: number;
  last_error: string | null;
  output: string | null;
  frames: number | null;
  progress_frames: number | null;
  progress_total: number | null;
  progress_fps: number | null;
  progress_at: number | null;
  created_at: number;
  updated_at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS jobs (
  id          TEXT PRIMARY KEY,
  name        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  mtime_ms    INTEGER NOT NULL,
  state       TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'quarantined')),
  attempts    INTEGER NOT NULL DEFAULT 0,
  not_before  INTEGER NOT NULL DEFAULT 0,
  owner       TEXT,
  lease_until INTEGER,
  last_error  TEXT,
  output      TEXT,
  frames      INTEGER,
  seconds     REAL,
  created_at  INTEGER NOT NULL,
  updated_at  INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (state, not_before, created_at);
`;

/**
 * Changes to the schema above, in order; `PRAGMA user_version` counts those applied. A database
 * made by an older vgrade is brought up to date when opened; never edit a step once released.
 */
const MIGRATIONS: readonly string[] = [
  // 1: a running job's progress, for `vgrade ingest status`.
  `ALTER TABLE jobs ADD COLUMN progress_frames INTEGER;
   ALTER TABLE jobs ADD COLUMN progress_total INTEGER;
   ALTER TABLE jobs ADD COLUMN progress_fps REAL;
   ALTER TABLE jobs ADD COLUMN progress_at INTEGER;`,
];

/** `host:pid` of this process: who holds a running job. */
export function ownerName(pid = process.pid): string {
  return `${os.hostname()}:${pid}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function toRecord(r: Row): JobRecord {
  return {
    id: r.id,
    name: r.name,
    size: r.size,
    mtimeMs: r.mtime_ms,
    state: r.state,
    attempts: r.attempts,
    notBefore: r.not_before,
    lastError: r.last_error,
    output: r.output,
    frames: r.frames,
    progress:
      r.state === 'running' && r.progress_frames !== null
        ? {
            frames: r.progress_frames,
            total: r.progress_total,
            fps: r.progress_fps ?? 0,
            at: r.progress_at ?? r.updated_at,
          }
        : null,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/**
 * The ingest's jobs in an embedded SQLite database (WAL, synchronous=FULL: a job marked done
 * stays done through a power cut). Every change is one transaction; a job is claimed under
 * `BEGIN IMMEDIATE` with a lease, so several processes may share one database and no job is
 * started twice. A holder that died (`kill -9`, a crash) is found by its expired lease, or at once
 * when it was a process on this machine that no longer exists.
 */
export class SqliteJobStore {
  private readonly db: Database.Database;
  readonly owner: string;

  constructor(file: string, owner = ownerName()) {
    this.owner = owner;
    this.db = new Database(file, { timeout: 10_000 });
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.exec(SCHEMA);
    this.migrate();
  }

  /** Applies the {@link MIGRATIONS} this database lacks, in one transaction with other openers. */
  private migrate(): void {
    const version = (): number => this.db.pragma('user_version', { simple: true }) as number;
    if (version() >= MIGRATIONS.length) return;
    this.db
      .transaction(() => {
        for (let v = version(); v < MIGRATIONS.length; v++) this.db.exec(MIGRATIONS[v]!);
        this.db.pragma(`user_version = ${MIGRATIONS.length}`);
      })
      .immediate();
  }

  /** Adds a job for a dropped file unless one exists for this version of it; true when added. */
  add(file: DroppedFile, now = Date.now()): boolean {
    const info = this.db
      .prepare(
        `INSERT OR IGNORE INTO jobs (id, name, size, mtime_ms, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'queued', ?, ?)`,
      )
      .run(jobIdFor(file), file.name, file.size, Math.round(file.mtimeMs), now, now);
    return info.changes === 1;
  }

  /** Takes the oldest ready job for this process, counting the attempt; undefined when none. */
  claim(leaseMs: number, now = Date.now()): JobRecord | undefined {
    const take = this.db.transaction((): Row | undefined => {
      const row = this.db
        .prepare(
          `SELECT id FROM jobs WHERE state = 'queued' AND not_before <= ?
           ORDER BY created_at, id LIMIT 1`,
        )
        .get(now) as { id: string } | undefined;
      if (!row) return undefined;
      return this.db
        .prepare(
          `UPDATE jobs SET state = 'running', attempts = attempts + 1, owner = ?, lease_until = ?,
             progress_frames = NULL, progress_total = NULL, progress_fps = NULL, progress_at = NULL,
             updated_at = ? WHERE id = ? RETURNING *`,
        )
        .get(this.owner, now + leaseMs, now, row.id) as Row;
    });
    const row = take.immediate();
    return row ? toRecord(row) : undefined;
  }

  /** Extends the lease of jobs this process holds. */
  renew(id: string, leaseMs: number, now = Date.now()): void {
    this.db
      .prepare(`UPDATE jobs SET lease_until = ? WHERE id = ? AND owner = ? AND state = 'running'`)
      .run(now + leaseMs, id, this.owner);
  }

  /** Records how far a job this process holds has got. */
  progress(id: string, p: JobProgress): void {
    this.db
      .prepare(
        `UPDATE jobs SET progress_frames = ?, progress_total = ?, progress_fps = ?, progress_at = ?
         WHERE id = ? AND owner = ? AND state = 'running'`,
      )
      .run(p.frames, p.total, p.fps, Math.round(p.at), id, this.owner);
  }

  complete(id: string, outcome: JobOutcome, now = Date.now()): void {
    this.db
      .prepare(
        `UPDATE jobs SET state = 'done', output = ?, frames = ?, seconds = ?, last_error = NULL,
           owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND owner = ?`,
      )
      .run(outcome.output, outcome.frames, outcome.seconds, now, id, this.owner);
  }

  /** A failed attempt: back to the queue after `retryInMs`, or quarantined when that is undefined. */
  fail(id: string, error: string, retryInMs: number | undefined, now = Date.now()): void {
    this.db
      .prepare(
        `UPDATE jobs SET state = ?, not_before = ?, last_error = ?, owner = NULL, lease_until = NULL,
           updated_at = ? WHERE id = ? AND owner = ?`,
      )
      .run(
        retryInMs === undefined ? 'quarantined' : 'queued',
        now + (retryInMs ?? 0),
        error,
        now,
        id,
        this.owner,
      );
  }

  /** A job this process stopped (shutdown): queued again at once, the try not counted. */
  release(id: string, now = Date.now()): void {
    this.db
      .prepare(
        `UPDATE jobs SET state = 'queued', attempts = MAX(attempts - 1, 0), not_before = 0,
           owner = NULL, lease_until = NULL, updated_at = ? WHERE id = ? AND owner = ?`,
      )
      .run(now, id, this.owner);
  }

  /**
   * Puts back in the queue the running jobs whose holder is gone: its lease expired, or it was a
   * process on this machine that no longer runs. Returns the jobs put back.
   */
  recover(now = Date.now()): JobRecord[] {
    const host = os.hostname();
    const running = this.db.prepare(`SELECT * FROM jobs WHERE state = 'running'`).all() as Array<
      Row & { owner: string | null; lease_until: number | null }
    >;
    const lost = running.filter((r) => {
      if (r.owner === this.owner) return false;
      if ((r.lease_until ?? 0) < now) return true;
      const [h, pid] = (r.owner ?? '').split(':');
      return h === host && pid !== undefined && !isAlive(Number(pid));
    });
    const requeue = this.db.prepare(
      `UPDATE jobs SET state = 'queued', owner = NULL, lease_until = NULL, not_before = 0,
         last_error = COALESCE(last_error, 'interrupted: its worker stopped'), updated_at = ?
       WHERE id = ? AND state = 'running' AND owner IS ?`,
    );
    this.db.transaction(() => {
      for (const r of lost) requeue.run(now, r.id, r.owner);
    })();
    return lost.map((r) => toRecord({ ...r, state: 'queued' }));
  }

  get(id: string): JobRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM jobs WHERE id = ?`).get(id) as Row | undefined;
    return row ? toRecord(row) : undefined;
  }

  list(): JobRecord[] {
    return (this.db.prepare(`SELECT * FROM jobs ORDER BY created_at, id`).all() as Row[]).map(toRecord);
  }

  counts(): JobCounts {
    const rows = this.db
      .prepare(
        `SELECT state, attempts > 0 AND state = 'queued' AS retrying, COUNT(*) AS n FROM jobs
         GROUP BY state, retrying`,
      )
      .all() as Array<{ state: JobState; retrying: number; n: number }>;
    const counts = { queued: 0, retrying: 0, running: 0, done: 0, quarantined: 0 };
    for (const r of rows) {
      counts[r.state] += r.n;
      if (r.retrying) counts.retrying += r.n;
    }
    return counts;
  }

  close(): void {
    this.db.close();
  }
}
