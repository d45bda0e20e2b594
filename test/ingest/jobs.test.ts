import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { etaSeconds, throttled } from '../../src/ingest/jobs.js';

describe('throttled progress records', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 1_000_000 });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('records the first report at once, then at most one a period, the newest when due', () => {
    const written: number[] = [];
    const report = throttled((n: number) => written.push(n), 1000);
    report(1);
    report(2);
    vi.advanceTimersByTime(999);
    report(3);
    vi.advanceTimersByTime(1);
    report(4);
    report(5);
    vi.advanceTimersByTime(5000);
    report(6);
    expect(written).toEqual([1, 4, 6]);
  });

  it('records every report with a period of 0', () => {
    const written: number[] = [];
    const report = throttled((n: number) => written.push(n), 0);
    for (let i = 0; i < 5; i++) report(i);
    expect(written).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('the time left for a running job', () => {
  it('is the frames left at the speed so far', () => {
    expect(etaSeconds({ frames: 100, total: 250, fps: 50, at: 0 })).toBe(3);
    expect(etaSeconds({ frames: 260, total: 250, fps: 50, at: 0 })).toBe(0);
  });

  it('cannot be told without a total or before the first frame', () => {
    expect(etaSeconds({ frames: 100, total: null, fps: 50, at: 0 })).toBeUndefined();
    expect(etaSeconds({ frames: 0, total: 250, fps: 0, at: 0 })).toBeUndefined();
  });
});
