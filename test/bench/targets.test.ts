import { describe, expect, it } from 'vitest';
import { judgeTargets, median, renderTargets, type TargetFigures } from '../../bench/targets.js';

/** Figures that meet every target; each test spoils one. */
function passing(): TargetFigures {
  return {
    veryfast1080: { frames: 250, oursFps: [24, 25, 26], theirsFps: [27, 28, 29], ratios: [0.86, 0.9, 0.88] },
    medium1080: { frames: 250, oursFps: [10, 11, 12], theirsFps: [11, 12, 13], ratios: [0.91, 0.95, 0.92] },
    medium720: { frames: 250, oursFps: [26, 27, 28], theirsFps: [30, 31, 32], ratios: [0.85, 0.87, 0.86] },
    rss1080: { ours: [540, 550, 545], oursName: 'ffmpeg', theirs: [536, 530, 538] },
    tree2160: {
      preset: 'ultrafast',
      shortSeconds: 10,
      longSeconds: 60,
      shortMiB: 1200,
      longMiB: 1250,
      aloneMiB: 700,
    },
    startup: { ours: [0.7, 0.75, 0.9], theirs: [0.2, 0.2, 0.2] },
  };
}

const met = (f: TargetFigures): boolean[] => judgeTargets(f).map((r) => r.met);

describe('judgeTargets', () => {
  it('says each of the six targets is met by figures that meet it', () => {
    expect(met(passing())).toEqual([true, true, true, true, true, true]);
  });

  it('judges throughput by the median of the per-pair ratios', () => {
    const f = passing();
    f.veryfast1080.ratios = [0.95, 0.84, 0.8];
    f.medium1080.ratios = [0.89, 0.95, 0.85];
    expect(met(f).slice(0, 2)).toEqual([false, false]);
  });

  it('takes 0.9x ffmpeg alone at 720p only where ffmpeg alone is below 25 fps', () => {
    const f = passing();
    f.medium720 = { frames: 250, oursFps: [20, 20, 20], theirsFps: [21, 21, 21], ratios: [0.95, 0.95, 0.95] };
    expect(met(f)[2]).toBe(true);
    f.medium720 = { frames: 250, oursFps: [20, 20, 20], theirsFps: [21, 21, 21], ratios: [0.85, 0.85, 0.85] };
    expect(met(f)[2]).toBe(false);
    f.medium720 = { frames: 250, oursFps: [24, 24, 24], theirsFps: [26, 26, 26], ratios: [0.92, 0.92, 0.92] };
    expect(met(f)[2]).toBe(false);
  });

  it('compares the largest process at 1080p with ffmpeg alone, medians of both', () => {
    const f = passing();
    f.rss1080 = { ours: [676, 600, 680], oursName: 'ffmpeg', theirs: [536, 536, 536] };
    const row = judgeTargets(f)[3]!;
    expect(row.met).toBe(false);
    expect(row.measured).toBe('1.26x (676 MiB, ffmpeg, vs 536)');
  });

  it('wants the 2160p tree flat with the footage and under 2 GiB', () => {
    const f = passing();
    f.tree2160 = { ...f.tree2160, shortMiB: 1000, longMiB: 1200 };
    expect(met(f)[4]).toBe(false);
    f.tree2160 = { ...f.tree2160, shortMiB: 2000, longMiB: 2050 };
    expect(met(f)[4]).toBe(false);
  });

  it('judges start-up by the median 2-frame grade', () => {
    const f = passing();
    f.startup.ours = [0.79, 1.1, 1.2];
    expect(met(f)[5]).toBe(false);
  });
});

describe('renderTargets', () => {
  it('prints a Markdown table with the measured figure, the target and whether it is met', () => {
    const text = renderTargets(judgeTargets(passing()));
    const lines = text.split('\n');
    expect(lines[0]).toBe('| what | measured | target | met |');
    expect(lines).toHaveLength(8);
    expect(lines[7]).toBe(
      '| start-up to first frame (2-frame grade, 1080p): seconds | 0.75 s (ffmpeg alone 0.20 s) | <= 0.8 s | yes |',
    );
  });
});

describe('median', () => {
  it('takes the middle value, or the mean of the two middle ones', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
