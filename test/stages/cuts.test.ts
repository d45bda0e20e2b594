import { saveTinyClassifier, twoShotClip } from '../helpers/models.js';
import path from 'node:path';
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FramePool } from '../../src/frame/pool.js';
import { cuts, histogramSignature, signatureDistance } from '../../src/stages/cuts.js';
import { frameGeometry, transformContext } from '../helpers/stageContext.js';
import { tempDir } from '../helpers/media.js';
import { vgrade } from '../helpers/cli.js';

function flat(pool: FramePool, rgb: [number, number, number], index: number) {
  const f = pool.tryAcquire()!;
  f.index = index;
  for (let i = 0; i < f.image.data.length; i += 3) f.image.data.set(rgb, i);
  return f;
}

describe('cuts', () => {
  it('measures 0 between equal pictures and 1 between pictures whose colours do not overlap', () => {
    const pool = new FramePool(3, 8, 4, 8);
    const a = histogramSignature(flat(pool, [10, 10, 10], 0));
    const b = histogramSignature(flat(pool, [10, 10, 10], 1));
    const c = histogramSignature(flat(pool, [200, 200, 200], 2));
    expect(signatureDistance(a, b)).toBe(0);
    expect(signatureDistance(a, c)).toBeCloseTo(1, 6);
  });

  it('marks the first frame of a new shot, not a frame after a discontinuity, and counts cuts', async () => {
    const pool = new FramePool(6, 8, 4, 8);
    const frames = [
      flat(pool, [10, 10, 10], 0),
      flat(pool, [12, 10, 10], 1),
      flat(pool, [200, 200, 200], 2), // cut
      flat(pool, [200, 200, 200], 3),
      flat(pool, [10, 10, 10], 4), // after a gap: a new segment already, not a cut
      flat(pool, [10, 10, 10], 5),
    ];
    frames[4]!.discontinuity = true;
    const stats = new Map<string, number>();
    const op = cuts.create(
      { threshold: 0.3, contrast: 3, history: 10 },
      transformContext(frameGeometry(8, 4), { stats }),
    );
    const out = await lastValueFrom(from(frames).pipe(op, toArray()));
    expect(out.map((f) => f.sceneCut)).toEqual([false, false, true, false, false, false]);
    expect(stats.get('cuts')).toBe(1);
  });

  describe('on real footage', () => {
    let dir: string;
    let cleanup: () => Promise<void>;
    let clip: string;
    let model: string;
    beforeAll(async () => {
      ({ dir, cleanup } = await tempDir());
      model = await saveTinyClassifier(path.join(dir, 'classifier'));
      clip = await twoShotClip(path.join(dir, 'two-shots.mp4'));
    });
    afterAll(() => cleanup());

    it('finds the one cut in two shots of real footage, and nothing inside them', async () => {
      const r = await vgrade(['classify', clip, '--json', '--every', '100', '--model', model]);
      expect(r.code, r.stderr).toBe(0);
      const lines = r.stdout
        .toString()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      const shots = lines.filter((l) => 'shot' in l);
      expect(shots.map((s) => [s.from.frame, s.to.frame])).toEqual([
        [0, 19],
        [20, 39],
      ]);
      // Every 100th frame, and the first of each shot: a grade never starts a shot blind.
      expect(lines.filter((l) => 'frame' in l).map((l) => l.frame)).toEqual([0, 20]);
      expect(shots.map((s) => s.analysed)).toEqual([1, 1]);
    });
  });
});
