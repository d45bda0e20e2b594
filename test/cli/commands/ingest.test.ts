import { describe, expect, it } from 'vitest';
import { describeJob, startLine } from '../../../src/cli/commands/ingest.js';
import type { JobRecord } from '../../../src/ingest/jobs.js';

const NOW = new Date(2024, 4, 1, 14, 2, 27).getTime();

const job = (over: Partial<JobRecord>): JobRecord => ({
  id: 'abc',
  name: 'long.mp4',
  size: 1,
  mtimeMs: 0,
  state: 'queued',
  attempts: 0,
  notBefore: 0,
  lastError: null,
  output: null,
  frames: null,
  progress: null,
  createdAt: 0,
  updatedAt: 0,
  ...over,
});

describe('vgrade ingest status rows', () => {
  it("show a running job's frames, speed and time left", () => {
    const row = describeJob(
      job({ state: 'running', attempts: 1, progress: { frames: 120, total: 200, fps: 40, at: NOW - 500 } }),
      NOW,
    );
    expect(row).toBe('running       1  long.mp4  120/200 frames, 40.0 fps, ETA 0:02');
  });

  it('show frames and speed alone when the total is unknown, and say when the record is old', () => {
    const row = describeJob(
      job({
        state: 'running',
        attempts: 1,
        progress: { frames: 120, total: null, fps: 12.34, at: NOW - 75_000 },
      }),
      NOW,
    );
    expect(row).toBe('running       1  long.mp4  120 frames, 12.3 fps, as of 1:15 ago');
  });

  it('show a running job with no progress yet as starting', () => {
    expect(describeJob(job({ state: 'running', attempts: 1 }), NOW)).toMatch(/long\.mp4 {2}starting$/);
  });

  it("show a failed job's next try, when it is due and why it failed", () => {
    const row = describeJob(
      job({
        attempts: 2,
        notBefore: NOW + 45_000,
        lastError: 'E_FFMPEG: ffmpeg (encode) was killed by SIGKILL',
      }),
      NOW,
    );
    expect(row).toBe(
      'retrying      2  long.mp4  next try 14:03:12 (in 0:45); E_FFMPEG: ffmpeg (encode) was killed by SIGKILL',
    );
    expect(describeJob(job({ attempts: 1, notBefore: NOW - 1, lastError: 'E_OUTPUT: x' }), NOW)).toContain(
      'next try now; E_OUTPUT: x',
    );
  });

  it('show done and quarantined jobs as before', () => {
    expect(describeJob(job({ state: 'done', attempts: 1, output: '/o/long.mp4', frames: 25 }), NOW)).toBe(
      'done          1  long.mp4  -> /o/long.mp4 (25 frames)',
    );
    expect(
      describeJob(job({ state: 'quarantined', attempts: 1, lastError: 'E_INPUT_CORRUPT: x' }), NOW),
    ).toBe('quarantined   1  long.mp4  E_INPUT_CORRUPT: x');
  });
});

describe('the line an ingest starts with', () => {
  it('says what it watches, where it writes, its queue and its metrics', () => {
    expect(
      startLine({
        scan: true,
        watch: '/srv/drop',
        out: '/srv/graded',
        queue: 'sqlite:/srv/graded/.vgrade/ingest.db',
        metrics: 'http://127.0.0.1:9464/metrics',
      }),
    ).toBe(
      'vgrade ingest: watching /srv/drop -> /srv/graded (queue sqlite:/srv/graded/.vgrade/ingest.db, metrics http://127.0.0.1:9464/metrics)',
    );
    expect(
      startLine({
        scan: false,
        watch: '/a',
        out: '/b',
        queue: 'redis://broker:6379 vgrade-ingest',
        metrics: undefined,
      }),
    ).toBe(
      'vgrade ingest: grading files of /a -> /b (not scanning, queue redis://broker:6379 vgrade-ingest, metrics off)',
    );
  });
});
