import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { FramePool } from '../../src/frame/pool.js';
import { invert, detunesOfRecord } from '../../src/stages/invert.js';
import type { FrameRecord } from '../../src/stages/classify.js';
import { FAMILIES } from '../../src/detune/families.js';
import { applyDetunes } from '../../src/detune/apply.js';
import type { RunContext } from '../../src/stages/stage.js';

const record = (amounts: Partial<Record<string, number>>, frame = 0): FrameRecord => ({
  input: 'a.mp4',
  frame,
  pts: 0,
  top: [],
  amounts: Object.fromEntries(FAMILIES.map((f) => [f, amounts[f] ?? 0])),
});

describe('invert', () => {
  it('takes the families above the threshold, fading in around it, scaled by strength', () => {
    const d = detunesOfRecord(record({ green: 2, blue: 0.2, 'white-low': 0.5, orange: 0.8 }), 0.5, 1);
    expect(d.map((x) => x.family)).toEqual(['green', 'orange', 'white-low']);
    expect(d[0]!.amount).toBe(2); // far above: whole
    expect(d[1]!.amount).toBe(0.8); // at 3/2 threshold and above: whole
    expect(d[2]!.amount).toBeCloseTo(0.25, 6); // at the threshold: half
    expect(detunesOfRecord(record({ green: 2 }), 0.5, 0.5)).toEqual([{ family: 'green', amount: 1 }]);
  });

  it('undoes the recorded detune on the proxy, holds the last record for skipped frames, and resets at a cut', async () => {
    const pool = new FramePool(3, 4, 2, 8);
    const clean = new Uint8Array(24).map((_, i) => 60 + (i % 3) * 20 + (i >> 2));
    const frames = [0, 1, 2].map((index) => {
      const f = pool.tryAcquire()!;
      f.index = index;
      applyDetunes(clean, f.image.data as Uint8Array, [{ family: 'green', amount: 3 }]);
      return f;
    });
    frames[0]!.notes.set('classify', record({ green: 3 }));
    frames[2]!.sceneCut = true;
    const op = invert.create({ graded_proxy: true, threshold: 0.5, strength: 1 }, {} as RunContext);
    const out = await lastValueFrom(from(frames).pipe(op, toArray()));
    for (const k of [0, 1]) {
      expect(out[k]!.hasGraded).toBe(true);
      const g = out[k]!.graded.data;
      for (let i = 0; i < g.length; i++) expect(Math.abs(g[i]! - clean[i]!)).toBeLessThanOrEqual(1);
    }
    expect(out[2]!.hasGraded).toBe(false); // new shot, no record yet
    expect(out[2]!.correction).toBeUndefined();
    out.forEach((f) => f.release());
  });

  it('leaves the proxy pixels alone when no later stage reads them (graded_proxy: false)', async () => {
    const pool = new FramePool(1, 4, 2, 8);
    const f = pool.tryAcquire()!;
    f.index = 0;
    f.notes.set('classify', record({ green: 3 }));
    const op = invert.create({ graded_proxy: false, threshold: 0.5, strength: 1 }, {} as RunContext);
    const [out] = await lastValueFrom(from([f]).pipe(op, toArray()));
    expect(out!.correction).toBeDefined();
    expect(out!.hasGraded).toBe(false);
    out!.release();
  });
});
