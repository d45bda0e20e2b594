import { from, lastValueFrom, map, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { FramePool } from '../../src/frame/pool.js';
import type { Frame } from '../../src/frame/frame.js';
import { blend, blendOperator, REFRESH, TriangularMean, type Values } from '../../src/stages/blend.js';

/** Frames whose LUT (size 2: 24 values) is filled with one number each, and whose graded pixels too. */
function frames(
  values: number[],
  cuts: number[] = [],
  pool = new FramePool(values.length, 4, 2, 8),
): Frame[] {
  return values.map((v, index) => {
    const f = pool.tryAcquire()!;
    f.index = index;
    f.sceneCut = cuts.includes(index);
    const lut = f.lutStorage(2);
    lut.data.fill(v / 100);
    f.lut = lut;
    f.graded.data.fill(v);
    f.hasGraded = true;
    return f;
  });
}

async function run(input: Frame[], mode: 'correction' | 'pixels', radius: number, causal = false) {
  return lastValueFrom(
    from(input).pipe(
      blendOperator(mode, radius, causal),
      map((f) => {
        const out = { index: f.index, lut: (f.lut?.data[0] ?? NaN) * 100, pixel: f.graded.data[0]! };
        f.release();
        return out;
      }),
      toArray(),
    ),
  );
}

describe('blend', () => {
  it('correction: each LUT becomes the triangular-weighted mean over +-radius (shorter at the ends)', async () => {
    const out = await run(frames([0, 30, 60, 90]), 'correction', 1);
    // weights: self 2, neighbours 1
    expect(out.map((o) => o.lut)).toEqual([
      expect.closeTo((0 * 2 + 30) / 3, 4),
      expect.closeTo((0 + 30 * 2 + 60) / 4, 4),
      expect.closeTo((30 + 60 * 2 + 90) / 4, 4),
      expect.closeTo((60 + 90 * 2) / 3, 4),
    ]);
    // The pixels are untouched in this mode.
    expect(out.map((o) => o.pixel)).toEqual([0, 30, 60, 90]);
  });

  it('causal: only earlier frames count, so each frame leaves as soon as it arrives', async () => {
    const out = await run(frames([0, 30, 60, 90]), 'correction', 1, true);
    // weights: self 2, the frame before 1; nothing from later frames
    expect(out.map((o) => o.lut)).toEqual([
      expect.closeTo(0, 4),
      expect.closeTo((0 + 30 * 2) / 3, 4),
      expect.closeTo((30 + 60 * 2) / 3, 4),
      expect.closeTo((60 + 90 * 2) / 3, 4),
    ]);
    expect(blend.context!({ mode: 'correction', radius: 6, causal: true })).toEqual({
      lookbehind: 0,
      lookahead: 0,
    });
  });

  it('uses the originals of earlier frames, not their blended values', async () => {
    const out = await run(frames([0, 0, 90, 0, 0]), 'correction', 2);
    // frame 4 sees frames 2 (weight 1), 3 (weight 2) and itself (weight 3): 90 / 6 = 15.
    expect(out[4]!.lut).toBeCloseTo(15, 4);
    expect(out[2]!.lut).toBeCloseTo((90 * 3) / (1 + 2 + 3 + 2 + 1), 4);
  });

  it('never blends across a cut', async () => {
    const out = await run(frames([10, 10, 80, 80], [2]), 'correction', 3);
    expect(out.map((o) => Math.round(o.lut))).toEqual([10, 10, 80, 80]);
  });

  it('treats a frame with no correction as a gap: nothing is blended across it', async () => {
    const input = frames([10, 20, 0, 70, 80]);
    input[2]!.lut = undefined;
    const out = await run(input, 'correction', 2);
    // frame 1 sees frame 0 (weight 2) and itself (3), not frame 3 beyond the gap; frame 3 starts afresh
    expect(out[1]!.lut).toBeCloseTo((10 * 2 + 20 * 3) / 5, 4);
    expect(out[3]!.lut).toBeCloseTo((70 * 3 + 80 * 2) / 5, 4);
    expect(out[4]!.lut).toBeCloseTo((70 * 2 + 80 * 3) / 5, 4);
  });

  it('matches the definition over a long shot at the default radius', async () => {
    const values = Array.from({ length: 40 }, (_, i) => (i * 37) % 101);
    const out = await run(frames(values), 'correction', 6);
    out.forEach((o, c) => {
      let sum = 0;
      let total = 0;
      for (let k = -6; k <= 6; k++) {
        if (c + k < 0 || c + k >= values.length) continue;
        sum += values[c + k]! * (7 - Math.abs(k));
        total += 7 - Math.abs(k);
      }
      expect(o.lut).toBeCloseTo(sum / total, 3);
    });
  });

  it("pixels: the paper's frame blending, rounded to the frame's depth; the LUT is untouched", async () => {
    const out = await run(frames([0, 30, 61]), 'pixels', 1);
    expect(out.map((o) => o.pixel)).toEqual([10, Math.round((0 + 60 + 61) / 4), Math.round((30 + 122) / 3)]);
    expect(out.map((o) => Math.round(o.lut))).toEqual([0, 30, 61]);
  });

  it('releases every frame: the pool is whole again afterwards, and radius 0 is a passthrough', async () => {
    const pool = new FramePool(5, 4, 2, 8);
    await run(frames([1, 2, 3, 4, 5], [], pool), 'correction', 2);
    expect(pool.inUse).toBe(0);
    expect(blend.isIdentity!({ mode: 'correction', radius: 0, causal: false })).toBe(true);
    expect(blend.context!({ mode: 'correction', radius: 4, causal: false })).toEqual({
      lookbehind: 0,
      lookahead: 4,
    });
  });
});

/** The definition: sum the window afresh, weights radius + 1 - |offset|, items outside the shot absent. */
function directMean(items: readonly Values[], c: number, radius: number): number[] {
  const n = items[0]!.length;
  const out = new Array<number>(n).fill(0);
  let total = 0;
  for (let k = -radius; k <= radius; k++) {
    const item = items[c + k];
    if (!item) continue;
    const w = radius + 1 - Math.abs(k);
    total += w;
    for (let i = 0; i < n; i++) out[i]! += item[i]! * w;
  }
  return out.map((v) => v / total);
}

/** Runs the running mean over one shot as the blend stage calls it (history of radius + 2). */
function runningMeans(items: readonly Values[], radius: number, make: (n: number) => Values): Values[] {
  const running = new TriangularMean(radius);
  const out: Values[] = [];
  items.forEach((own, c) => {
    const behind = items.slice(Math.max(0, c - radius - 2), c);
    const ahead = items.slice(c + 1, c + 1 + radius);
    const target = make(own.length);
    running.meanInto(target, own, behind, ahead);
    out.push(target);
  });
  return out;
}

function randomItems(
  count: number,
  size: number,
  seed: number,
  make: (n: number) => Values,
  scale: number,
): Values[] {
  let s = seed;
  const next = (): number => (s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  return Array.from({ length: count }, () => {
    const v = make(size);
    for (let i = 0; i < size; i++) v[i] = scale === 1 ? next() : Math.floor(next() * scale);
    return v;
  });
}

describe('TriangularMean', () => {
  it('equals the window summed afresh, for every radius and shot length, ends included', () => {
    for (const radius of [1, 2, 3, 6, 9]) {
      for (const count of [2, 3, radius + 1, 2 * radius + 3, 40]) {
        const items = randomItems(count, 5, radius * 100 + count, (n) => new Float32Array(n), 1);
        const got = runningMeans(items, radius, (n) => new Float32Array(n));
        got.forEach((g, c) => {
          const want = directMean(items, c, radius);
          want.forEach((w, i) => expect(g[i]).toBeCloseTo(w, 5));
        });
      }
    }
  });

  it('rounds integer pixels as the direct mean would', () => {
    const items = randomItems(30, 7, 3, (n) => new Uint8Array(n), 256);
    const got = runningMeans(items, 4, (n) => new Uint8Array(n));
    got.forEach((g, c) => expect([...g]).toEqual(directMean(items, c, 4).map(Math.round)));
    const deep = randomItems(30, 7, 4, (n) => new Uint16Array(n), 65536);
    const got16 = runningMeans(deep, 2, (n) => new Uint16Array(n));
    got16.forEach((g, c) => expect([...g]).toEqual(directMean(deep, c, 2).map(Math.round)));
  });

  it('stays exact over a long shot (the sums are refreshed, so rounding does not build up)', () => {
    const count = REFRESH * 2 + 17;
    const items = randomItems(count, 3, 9, (n) => new Float32Array(n), 1);
    const got = runningMeans(items, 6, (n) => new Float32Array(n));
    for (const c of [REFRESH - 1, REFRESH, REFRESH + 1, count - 1]) {
      directMean(items, c, 6).forEach((w, i) => expect(got[c]![i]).toBeCloseTo(w, 6));
    }
  });

  it('starts afresh after reset (a cut): nothing of the last shot carries over', () => {
    const running = new TriangularMean(2);
    const a = [new Float32Array([10]), new Float32Array([10]), new Float32Array([10])];
    const out = new Float32Array(1);
    running.meanInto(out, a[0]!, [], a.slice(1));
    running.meanInto(out, a[1]!, a.slice(0, 1), a.slice(2));
    running.reset();
    const b = [new Float32Array([40]), new Float32Array([70])];
    running.meanInto(out, b[0]!, [], b.slice(1));
    expect(out[0]).toBeCloseTo((40 * 3 + 70 * 2) / 5, 5);
  });

  it('refuses to advance without the previous item (a caller that skipped reset)', () => {
    const running = new TriangularMean(1);
    const out = new Float32Array(1);
    running.meanInto(out, new Float32Array([1]), [], [new Float32Array([2])]);
    expect(() => running.meanInto(out, new Float32Array([2]), [], [])).toThrow(/previous/);
  });
});
