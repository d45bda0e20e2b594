import { describe, expect, it } from 'vitest';
import { REFRESH, TriangularMean, type Values } from '../../src/util/triangularMean.js';

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
