import { spawnSync } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqliteJobStore, ownerName } from '../../src/ingest/sqliteStore.js';
import { backoffMs } from '../../src/ingest/jobs.js';
import { tempDir } from '../helpers/media.js';

const file = (name: string, size = 100) => ({ name, size, mtimeMs: 1_700_000_000_000 });

describe('the embedded job store', () => {
  let dir: { dir: string; cleanup: () => Promise<void> };
  let db: string;
  const open: SqliteJobStore[] = [];
  const store = (owner?: string): SqliteJobStore => {
    const s = new SqliteJobStore(db, owner);
    open.push(s);
    return s;
  };

  beforeEach(async () => {
    dir = await tempDir('vgrade-store-');
    db = path.join(dir.dir, 'ingest.db');
  });
  afterEach(async () => {
    for (const s of open.splice(0)) s.close();
    await dir.cleanup();
  });

  it('adds one job per version of a file, however often it is seen', () => {
    const s = store();
    expect(s.add(file('a.mov'))).toBe(true);
    expect(s.add(file('a.mov'))).toBe(false);
    expect(s.add(file('a.mov', 200))).toBe(true);
    expect(s.list()).toHaveLength(2);
  });

  it('hands out the oldest ready job, counting the try', () => {
    const s = store();
    s.add(file('first.mov'), 1000);
    s.add(file('second.mov'), 2000);
    const job = s.claim(60_000, 3000)!;
    expect(job.name).toBe('first.mov');
    expect(job.state).toBe('running');
    expect(job.attempts).toBe(1);
    expect(s.claim(60_000, 3000)!.name).toBe('second.mov');
    expect(s.claim(60_000, 3000)).toBeUndefined();
  });

  it('never gives one job to two processes sharing the database', () => {
    const a = store('host:1');
    const b = store('host:2');
    for (let i = 0; i < 20; i++) a.add(file(`f${i}.mov`));
    const taken: string[] = [];
    for (let i = 0; i < 30; i++) {
      const job = (i % 2 ? a : b).claim(60_000);
      if (job) taken.push(job.id);
    }
    expect(taken).toHaveLength(20);
    expect(new Set(taken).size).toBe(20);
  });

  it('keeps what it recorded: done stays done when reopened', () => {
    const s = store();
    s.add(file('a.mov'));
    const job = s.claim(60_000)!;
    s.complete(job.id, { output: '/out/a.mov', frames: 12, seconds: 1.5 });
    s.close();
    open.pop();
    const again = store();
    expect(again.get(job.id)).toMatchObject({ state: 'done', output: '/out/a.mov', frames: 12, attempts: 1 });
  });

  it('retries a failed job only after its backoff, then quarantines it', () => {
    const s = store();
    s.add(file('bad.mov'), 0);
    const job = s.claim(60_000, 1000)!;
    s.fail(job.id, 'E_INPUT_NOT_MEDIA: no', 5000, 1000);
    expect(s.counts()).toMatchObject({ queued: 1, retrying: 1, running: 0 });
    expect(s.claim(60_000, 5999)).toBeUndefined();
    const second = s.claim(60_000, 6000)!;
    expect(second.attempts).toBe(2);
    s.fail(second.id, 'E_INPUT_NOT_MEDIA: still no', undefined, 6000);
    expect(s.get(job.id)).toMatchObject({ state: 'quarantined', lastError: 'E_INPUT_NOT_MEDIA: still no' });
    expect(s.counts()).toMatchObject({ queued: 0, quarantined: 1 });
  });

  it('puts back a job whose holder let its lease expire', () => {
    const gone = store('elsewhere:1');
    gone.add(file('a.mov'), 0);
    gone.claim(10_000, 0);
    const s = store('elsewhere:2');
    expect(s.recover(5_000)).toHaveLength(0);
    expect(s.recover(10_001).map((j) => j.name)).toEqual(['a.mov']);
    expect(s.claim(10_000, 10_002)!.attempts).toBe(2);
  });

  it('puts back at once a job held by a process of this machine that no longer runs', () => {
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!;
    const gone = store(ownerName(dead));
    gone.add(file('a.mov'));
    gone.claim(600_000);
    expect(
      store()
        .recover()
        .map((j) => j.name),
    ).toEqual(['a.mov']);
  });

  it('leaves alone a job held by a live process', () => {
    const other = store(ownerName(process.ppid));
    other.add(file('a.mov'));
    other.claim(600_000);
    expect(store().recover()).toHaveLength(0);
  });

  it("keeps a running job's progress, for this try only", () => {
    const s = store();
    s.add(file('a.mov'));
    const job = s.claim(60_000)!;
    expect(s.get(job.id)!.progress).toBeNull();
    s.progress(job.id, { frames: 120, total: 200, fps: 45.5, at: 1_700_000_000_123 });
    expect(s.get(job.id)!.progress).toEqual({ frames: 120, total: 200, fps: 45.5, at: 1_700_000_000_123 });
    // Another process cannot write over it.
    store('elsewhere:1').progress(job.id, { frames: 1, total: null, fps: 1, at: 0 });
    expect(s.get(job.id)!.progress!.frames).toBe(120);
    s.fail(job.id, 'E_FFMPEG: died', 0);
    expect(s.get(job.id)!.progress).toBeNull();
    const again = s.claim(60_000)!;
    expect(again.progress).toBeNull();
    s.progress(job.id, { frames: 7, total: null, fps: 3, at: 5 });
    expect(s.get(job.id)!.progress).toEqual({ frames: 7, total: null, fps: 3, at: 5 });
  });

  it('opens a database made before progress was recorded, and brings it up to date', () => {
    // The schema as vgrade 0.x released it, with a job in it.
    const old = new Database(db);
    old.exec(`CREATE TABLE jobs (
      id TEXT PRIMARY KEY, name TEXT NOT NULL, size INTEGER NOT NULL, mtime_ms INTEGER NOT NULL,
      state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'quarantined')),
      attempts INTEGER NOT NULL DEFAULT 0, not_before INTEGER NOT NULL DEFAULT 0, owner TEXT,
      lease_until INTEGER, last_error TEXT, output TEXT, frames INTEGER, seconds REAL,
      created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE INDEX jobs_ready ON jobs (state, not_before, created_at);
      INSERT INTO jobs (id, name, size, mtime_ms, state, created_at, updated_at)
        VALUES ('old', 'old.mov', 1, 1, 'queued', 1, 1);`);
    old.close();

    const [a, b] = [store('host:1'), store('host:2')]; // the second finds it migrated
    expect(a.list()).toMatchObject([{ id: 'old', name: 'old.mov', state: 'queued', progress: null }]);
    const job = a.claim(60_000)!;
    a.progress(job.id, { frames: 3, total: 10, fps: 2, at: 9 });
    expect(b.get('old')!.progress).toEqual({ frames: 3, total: 10, fps: 2, at: 9 });
    a.close();
    b.close();
    open.length = 0;
    const check = new Database(db, { readonly: true });
    expect(check.pragma('user_version', { simple: true })).toBe(1);
    check.close();
    expect(store().get('old')).toMatchObject({ state: 'running', attempts: 1 });
  });

  it('returns a job stopped on shutdown to the queue without counting the try', () => {
    const s = store();
    s.add(file('a.mov'));
    const job = s.claim(60_000)!;
    s.release(job.id);
    expect(s.get(job.id)).toMatchObject({ state: 'queued', attempts: 0 });
  });
});

describe('retry backoff', () => {
  it('doubles from the base delay and stops at an hour', () => {
    expect([1, 2, 3, 4].map((n) => backoffMs(n, 30_000))).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(backoffMs(30, 30_000)).toBe(3_600_000);
  });
});
