import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { FramePool } from '../../src/frame/pool.js';
import { invert, UNDONE } from '../../src/stages/invert.js';
import { CLASSIFIER_OUTPUTS, FINDINGS } from '../../src/stages/classify.js';
import type { FrameRecord } from '../../src/stages/records.js';
import { CLASS_LABELS, FAMILIES } from '../../src/detune/families.js';
import { applyDetunes } from '../../src/detune/apply.js';
import { frameGeometry, transformContext } from '../helpers/stageContext.js';
import { blackBodyGains } from '../../src/detune/whiteBalance.js';
import { decodeRgb } from '../helpers/media.js';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { STATISTICS_LENGTH } from '../../src/models/classifier/statistics.js';

/** A record as the classify stage writes it: the top class certain at `p`, and the amounts. */
const record = (
  amounts: Partial<Record<string, number>>,
  frame = 0,
  top = 'green-3',
  p = 0.99,
): FrameRecord => ({
  input: 'a.mp4',
  frame,
  pts: 0,
  top: [{ label: top, p }],
  amounts: Object.fromEntries(FAMILIES.map((f) => [f, amounts[f] ?? 0])),
});

const defaults = {
  graded_proxy: true,
  threshold: 0.5,
  strength: 1,
  mix: 0.5,
  confidence: 0.45,
  amount_open: 3,
  several_at: 1.5,
  knees: true,
  memory: 0,
  amount_memory: 0,
  amount_spread: 0,
  white_balance: 0,
  white_tolerance: 0.1,
  white_model: 'models/white-balance.json',
  white_level: false,
  white_level_below: 1,
};

describe('invert', () => {
  it('leaves a frame alone when the classifier cannot read it (all classes about equally likely), as an explicit no-change that blend can average across', async () => {
    const pool = new FramePool(1, 4, 2, 8);
    const f = pool.tryAcquire()!;
    f.index = 0;
    f.notes.set(FINDINGS, record({ green: 3 }));
    f.notes.set(CLASSIFIER_OUTPUTS, {
      probs: new Float32Array(CLASS_LABELS.length).fill(1 / CLASS_LABELS.length),
      amounts: Float32Array.from(FAMILIES, (fam) => (fam === 'green' ? 3 : 0)),
    });
    const [out] = await lastValueFrom(
      from([f]).pipe(invert.create(defaults, transformContext(frameGeometry(4, 2))), toArray()),
    );
    const px = new Float32Array(3);
    for (const c of [
      [0, 0, 0],
      [0.2, 0.5, 0.9],
      [1, 1, 1],
    ] as const) {
      out!.correction!(c[0], c[1], c[2], px);
      expect([...px]).toEqual([...Float32Array.from(c)]);
    }
    expect(out!.hasGraded).toBe(false);
    out!.release();
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
    frames[0]!.notes.set(FINDINGS, record({ green: 3 }));
    frames[2]!.sceneCut = true;
    const op = invert.create(defaults, transformContext(frameGeometry(4, 2)));
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
    f.notes.set(FINDINGS, record({ green: 3 }));
    const op = invert.create({ ...defaults, graded_proxy: false }, transformContext(frameGeometry(4, 2)));
    const [out] = await lastValueFrom(from([f]).pipe(op, toArray()));
    expect(out!.correction).toBeDefined();
    expect(out!.hasGraded).toBe(false);
    out!.release();
  });

  it('with memory, pools the gate through the shot: a reading the classifier cannot make, after sure ones, is still partly corrected, and a cut starts afresh', async () => {
    const pool = new FramePool(4, 4, 2, 8);
    const unsure = {
      probs: new Float32Array(CLASS_LABELS.length).fill(1 / CLASS_LABELS.length),
      amounts: Float32Array.from(FAMILIES, (fam) => (fam === 'green' ? 2 : 0)),
    };
    const frames = [0, 1, 2, 3].map((index) => {
      const f = pool.tryAcquire()!;
      f.index = index;
      f.notes.set(FINDINGS, record({ green: 2 }, index, 'green-2'));
      if (index >= 2) f.notes.set(CLASSIFIER_OUTPUTS, unsure);
      return f;
    });
    frames[3]!.sceneCut = true;
    const op = invert.create({ ...defaults, memory: 48 }, transformContext(frameGeometry(4, 2)));
    const out = await lastValueFrom(from(frames).pipe(op, toArray()));
    const undone = (k: number) => out[k]!.notes.get(UNDONE)?.[0]?.amount ?? 0;
    expect(undone(0)).toBeGreaterThan(1.9);
    // Two sure readings before it (gates 1, 1, then its own 0): about two thirds of the gate stays
    // open, on the frame's own expected amount (0.5 x 0.24 from the flat posterior + 0.5 x 2).
    const k = Math.exp(-1 / 48);
    expect(undone(2)).toBeCloseTo(((k * k + k) / (k * k + k + 1)) * (0.5 * 0.24 + 0.5 * 2), 4);
    // The same reading at the start of a shot: nothing undone.
    expect(out[3]!.notes.get(UNDONE)).toBeUndefined();
    out.forEach((f) => f.release());
  });

  it('with amount_memory, pools the amounts undone through the shot on each new reading, and a cut starts afresh', async () => {
    const pool = new FramePool(6, 4, 2, 8);
    const readings = [2, 2, 3, 3, 1];
    const frames = readings.map((green, index) => {
      const f = pool.tryAcquire()!;
      f.index = index;
      // Frame 3 is skipped by the classifier: it holds frame 2's reading and the pooled amount.
      if (index !== 3) f.notes.set(FINDINGS, record({ green }, index, `green-${green}`));
      return f;
    });
    frames[4]!.sceneCut = true;
    const op = invert.create({ ...defaults, amount_memory: 12 }, transformContext(frameGeometry(4, 2)));
    const out = await lastValueFrom(from(frames).pipe(op, toArray()));
    const undone = (k: number) => out[k]!.notes.get(UNDONE)?.find((d) => d.family === 'green')?.amount ?? 0;
    const own = [0, 1, 2, 4].map((k) => undone(k));
    const alone = invert.create(defaults, transformContext(frameGeometry(4, 2)));
    const f = pool.tryAcquire()!;
    f.notes.set(FINDINGS, record({ green: 3 }, 0, 'green-3'));
    const [single] = await lastValueFrom(from([f]).pipe(alone, toArray()));
    const three = single!.notes.get(UNDONE)![0]!.amount;
    expect(own[0]).toBeCloseTo(undone(1), 6);
    // Frame 2: its own amount pooled with the two before it, weighted exp(-age / 12).
    const k = Math.exp(-1 / 12);
    expect(undone(2)).toBeCloseTo((k * k * own[0]! + k * own[0]! + three) / (k * k + k + 1), 4);
    expect(undone(2)).toBeLessThan(three);
    expect(undone(3)).toBe(undone(2));
    // After the cut, frame 4's own reading alone.
    expect(undone(4)).toBeLessThan(own[0]!);
    out.forEach((fr) => fr.release());
    single!.release();
  });

  it('with amount_spread, follows a reading far from the earlier ones (a drift) and averages those near it (a jitter)', async () => {
    const run = async (readings: Partial<Record<string, number>>[]) => {
      const pool = new FramePool(readings.length, 4, 2, 8);
      const frames = readings.map((amounts, index) => {
        const f = pool.tryAcquire()!;
        f.index = index;
        f.notes.set(FINDINGS, record(amounts, index, 'green-2'));
        return f;
      });
      const op = invert.create(
        { ...defaults, amount_memory: 8, amount_spread: 0.2 },
        transformContext(frameGeometry(4, 2)),
      );
      const out = await lastValueFrom(from(frames).pipe(op, toArray()));
      const last = out
        .at(-1)!
        .notes.get(UNDONE)!
        .find((d) => d.family === 'green')!.amount;
      out.forEach((f) => f.release());
      return last;
    };
    const alone = await run([{ green: 3 }]);
    // Two readings of 2 before it: a reading of 3 is a level away (half a level undone), so it is followed.
    expect(await run([{ green: 2 }, { green: 2 }, { green: 3 }])).toBeCloseTo(alone, 2);
    // Readings of 2.9 and 3.1 before it: all three pooled, about 3 again but not its own alone.
    const jitter = await run([{ green: 2.9 }, { green: 3.1 }, { green: 3 }]);
    expect(jitter).not.toBeCloseTo(alone, 6);
    expect(Math.abs(jitter - alone)).toBeLessThan(0.05);
  });

  describe('with the white balance (the shipped reader)', () => {
    const unreadable = {
      probs: new Float32Array(CLASS_LABELS.length).fill(1 / CLASS_LABELS.length),
      amounts: new Float32Array(FAMILIES.length),
    };
    const white = {
      ...defaults,
      white_balance: 1,
      white_tolerance: 0.1,
      white_model: 'models/white-balance.json',
    };

    /** Frame 40 of the sample clip at the proxy size, each channel scaled by `gains`, graded alone. */
    async function graded(gains: readonly number[], outputs = unreadable, options = white) {
      const [clean] = await decodeRgb('samples/cockatoo.mp4', 456, 256, [
        '-vf',
        'select=eq(n\\,40),scale=456:256',
        '-frames:v',
        '1',
      ]);
      const pool = new FramePool(1, 456, 256, 8);
      const f = pool.tryAcquire()!;
      f.index = 0;
      f.image.data.set(Uint8Array.from(clean!, (v, i) => Math.min(255, Math.round(v * gains[i % 3]!))));
      f.notes.set(FINDINGS, record({}, 0, 'none', 0.04));
      f.notes.set(CLASSIFIER_OUTPUTS, outputs);
      const op = invert.create(options, transformContext(frameGeometry(456, 256)));
      const [out] = await lastValueFrom(from([f]).pipe(op, toArray()));
      return out!;
    }

    it('takes a white balance off that no family undoes (4500 K), where the classifier cannot read the frame', async () => {
      const gains = blackBodyGains(4500);
      const out = await graded(gains);
      // A grey lit at 4500 K (ln B/R = -0.31) comes back much nearer grey: the cast beyond the
      // tolerance (0.1 of a read of length about 0.22) is taken off, raising blue and green only.
      const px = new Float32Array(3);
      out.correction!(0.5 * gains[0], 0.5 * gains[1], 0.5 * gains[2], px);
      const before = Math.log(gains[2] / gains[0]);
      const after = Math.log(px[2]! / px[0]!);
      expect(before).toBeLessThan(-0.3);
      expect(after).toBeLessThan(0);
      expect(after).toBeGreaterThan(before / 2);
      expect(px[0]).toBeCloseTo(0.5, 5);
      expect(out.hasGraded).toBe(true);
      out.release();
    });

    it('leaves the clean frame alone (its read is within the tolerance)', async () => {
      const out = await graded([1, 1, 1]);
      const px = new Float32Array(3);
      out.correction!(0.2, 0.5, 0.9, px);
      expect([...px]).toEqual([...Float32Array.from([0.2, 0.5, 0.9])]);
      out.release();
    });
    it('with white_level, gives back the level that undoing a cast family took, where the frame looks like a white balance off', async () => {
      // The classifier sure of orange-2 on a 4500 K frame: undoing it divides R by 1.2.
      const sure = {
        probs: Float32Array.from(CLASS_LABELS, (label) => (label === 'orange-2' ? 1 : 0)),
        amounts: Float32Array.from(FAMILIES, (fam) => (fam === 'orange' ? 2 : 0)),
      };
      const gains = blackBodyGains(4500);
      const redOf = async (level: boolean) => {
        const out = await graded(gains, sure, { ...white, white_level: level });
        const px = new Float32Array(3);
        out.correction!(0.5 * gains[0], 0.5 * gains[1], 0.5 * gains[2], px);
        out.release();
        return px[0]!;
      };
      expect(await redOf(false)).toBeLessThan(0.45);
      expect(await redOf(true)).toBeGreaterThan(0.47);
    });
    const readerDirs: string[] = [];
    afterAll(() => Promise.all(readerDirs.map((dir) => rm(dir, { recursive: true, force: true }))));
    /** A reader that reads no cast left, and an exposure read of a family share of `share`. */
    async function readerWithShare(share: number): Promise<string> {
      const dir = await mkdtemp(path.join(tmpdir(), 'vgrade-level-'));
      readerDirs.push(dir);
      const n = STATISTICS_LENGTH;
      const read = (outputs: number, bias: number[]) => ({
        inputs: 'statistics',
        mean: new Array<number>(n).fill(0),
        std: new Array<number>(n).fill(1),
        weights: Array.from({ length: n }, () => new Array<number>(outputs).fill(0)),
        bias,
      });
      const model = path.join(dir, 'reader.json');
      const exposure = { ...read(1, [0.18 * share]), family: 0.18, whiteBalance: 0 };
      await writeFile(model, JSON.stringify({ readers: [read(2, [0, 0])], exposure }));
      return model;
    }
    const sureBlue3 = {
      probs: Float32Array.from(CLASS_LABELS, (label) => (label === 'blue-3' ? 1 : 0)),
      amounts: Float32Array.from(FAMILIES, (fam) => (fam === 'blue' ? 3 : 0)),
    };
    /** What the grade makes of a pixel (0.4, 0.5, 0.6 x 1.3) of the frame scaled by `gains`. */
    async function levelOf(gains: readonly number[], share: number, below = 1): Promise<number[]> {
      const model = await readerWithShare(share);
      const options = { ...white, white_model: model, white_level: true, white_level_below: below };
      const out = await graded(gains, sureBlue3, options);
      const px = new Float32Array(3);
      out.correction!(0.4, 0.5, 0.6 * 1.3, px);
      out.release();
      return [...px];
    }

    it("with white_level, never raises a frame above the input's white level, however sure the exposure read is of a white balance", async () => {
      // A real blue-3 (B x 1.3) that an exposure read takes for a white balance: giving back the
      // level the division took would brighten the whole frame by 1.3. The sample frame's whites
      // reach full scale, so there is no room above them: nothing is given back.
      const px = await levelOf([1, 1, 1.3], 0);
      expect(px[0]).toBeCloseTo(0.4, 3);
      expect(px[1]).toBeCloseTo(0.5, 3);
      expect(px[2]).toBeCloseTo(0.6, 3);
    });

    it('with white_level, gives back the level only as far as the exposure read is clear: nothing at a family share of white_level_below or more', async () => {
      // The frame dimmed to 0.7 first, so that its white level leaves room for the level given back.
      const dim = [0.7, 0.7, 0.7 * 1.3];
      const red = async (share: number, below: number) => (await levelOf(dim, share, below))[0]!;
      expect(await red(0, 0.3)).toBeCloseTo(0.4 * 1.3, 2); // clear: all of it
      expect(await red(0.5, 1)).toBeCloseTo(0.4 * Math.pow(1.3, 0.5), 2); // (1 - share) of it
      expect(await red(0.5, 0.3)).toBeCloseTo(0.4, 3); // unclear: none
    });
    it('pools the reads through the shot: a clean frame after a warm one keeps part of its correction, and a cut starts afresh', async () => {
      const [clean] = await decodeRgb('samples/cockatoo.mp4', 456, 256, [
        '-vf',
        'select=eq(n\\,40),scale=456:256',
        '-frames:v',
        '1',
      ]);
      const warmGains = blackBodyGains(3500);
      const pool = new FramePool(3, 456, 256, 8);
      // Frames 8 apart: the stage reads the white balance at most every 8 frames in a shot.
      const frames = [0, 8, 16].map((index) => {
        const f = pool.tryAcquire()!;
        f.index = index;
        const g = index === 0 ? warmGains : [1, 1, 1];
        f.image.data.set(Uint8Array.from(clean!, (v, i) => Math.min(255, Math.round(v * g[i % 3]!))));
        f.notes.set(FINDINGS, record({}, index, 'none', 0.04));
        f.notes.set(CLASSIFIER_OUTPUTS, unreadable);
        return f;
      });
      frames[2]!.sceneCut = true;
      const run = async (memory: number) => {
        const op = invert.create({ ...white, memory }, transformContext(frameGeometry(456, 256)));
        const out = await lastValueFrom(from(frames).pipe(op, toArray()));
        const px = new Float32Array(3);
        return out.map((f) => {
          f.correction!(0.5, 0.5, 0.5, px);
          return Math.log(px[2]! / px[0]!);
        });
      };
      const [warm, after, cut] = await run(48);
      expect(warm).toBeGreaterThan(0.2); // the warm frame's blue raised a lot
      expect(after).toBeGreaterThan(0.02); // the clean frame after it, in the same shot: part of it
      expect(after).toBeLessThan(warm!);
      expect(cut).toBe(0); // after a cut: its own read, within the tolerance
      const [, alone] = await run(0);
      expect(alone).toBe(0);
      frames.forEach((f) => f.release());
    });
  });
});
