import { describe, expect, it } from 'vitest';
import { FAMILIES, nearestClass } from '../../src/detune/families.js';
import {
  createRng,
  drift,
  randomCombination,
  randomContinuous,
  randomInt,
  randomSingle,
} from '../../src/detune/random.js';

const tableOrder = (families: readonly string[]) =>
  [...families].sort((a, b) => FAMILIES.indexOf(a as never) - FAMILIES.indexOf(b as never));

describe('createRng', () => {
  it('gives the same sequence for the same seed and another for another seed', () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const sa = Array.from({ length: 8 }, a);
    expect(Array.from({ length: 8 }, b)).toEqual(sa);
    expect(Array.from({ length: 8 }, c)).not.toEqual(sa);
  });

  it('draws uniformly from [0, 1)', () => {
    const rng = createRng(1);
    const n = 20000;
    const draws = Array.from({ length: n }, rng);
    expect(Math.min(...draws)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...draws)).toBeLessThan(1);
    // Mean of n uniforms: 0.5 with standard error sqrt(1/12 / n) = 0.002; allow 5 of them.
    const mean = draws.reduce((s, x) => s + x, 0) / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.01);
    // Each tenth of [0, 1) holds n / 10 = 2000 draws, standard deviation sqrt(2000 * 0.9) = 42.
    const bins = new Array<number>(10).fill(0);
    for (const x of draws) bins[Math.floor(x * 10)]!++;
    for (const count of bins) expect(Math.abs(count - 2000)).toBeLessThan(250);
  });

  it('rejects a seed that is not a 32-bit unsigned integer', () => {
    expect(() => createRng(-1)).toThrow(
      'Expected integer between 0 and 4294967295 for seed but received -1 of type number',
    );
    expect(() => createRng(1.5)).toThrow('received 1.5 of type number');
  });

  it('randomInt stays in [0, n)', () => {
    const rng = createRng(2);
    const seen = new Set(Array.from({ length: 500 }, () => randomInt(rng, 5)));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4]);
  });
});

describe('randomSingle', () => {
  it('draws each of the 24 classes about equally often, at whole levels', () => {
    const rng = createRng(3);
    const counts = new Map<string, number>();
    const n = 24000;
    let wholeLevels = 0;
    for (let i = 0; i < n; i++) {
      const d = randomSingle(rng);
      if (d.amount === 1 || d.amount === 2 || d.amount === 3) wholeLevels++;
      const label = nearestClass(d);
      counts.set(label, (counts.get(label) ?? 0) + 1);
    }
    expect(wholeLevels).toBe(n);
    expect(counts.size).toBe(24);
    expect(counts.has('none')).toBe(false);
    // Expected 1000 each, standard deviation sqrt(1000 * 23/24) = 31.
    for (const count of counts.values()) expect(Math.abs(count - 1000)).toBeLessThan(160);
  });

  it('is reproducible from the seed', () => {
    const a = createRng(9);
    const b = createRng(9);
    const c = createRng(10);
    const draw = (rng: () => number) => Array.from({ length: 20 }, () => randomSingle(rng));
    const sa = draw(a);
    expect(draw(b)).toEqual(sa);
    expect(draw(c)).not.toEqual(sa);
  });
});

describe('randomContinuous', () => {
  it('draws one family with an amount in (0, 3], not only whole levels', () => {
    const rng = createRng(4);
    const draws = Array.from({ length: 2000 }, () => randomContinuous(rng));
    const amounts = draws.map((d) => d.amount);
    expect(Math.min(...amounts)).toBeGreaterThan(0);
    expect(Math.max(...amounts)).toBeLessThanOrEqual(3);
    expect(new Set(draws.map((d) => d.family))).toEqual(new Set(FAMILIES));
    expect(amounts.filter((a) => !Number.isInteger(a)).length).toBeGreaterThan(1990);
    // Mean of uniform (0, 3] is 1.5; standard error sqrt(0.75 / 2000) = 0.019.
    const mean = amounts.reduce((s, a) => s + a, 0) / amounts.length;
    expect(Math.abs(mean - 1.5)).toBeLessThan(0.1);
  });

  it('is reproducible from the seed', () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 10 }, () => randomContinuous(rng));
    };
    expect(draw(5)).toEqual(draw(5));
    expect(draw(5)).not.toEqual(draw(6));
  });
});

describe('randomCombination', () => {
  it('draws 2 or 3 distinct families by default, in table order, amounts in (0, 3]', () => {
    const rng = createRng(5);
    const combos = Array.from({ length: 500 }, () => randomCombination(rng));
    expect(new Set(combos.map((c) => c.length))).toEqual(new Set([2, 3]));
    const malformed = combos.filter((combo) => {
      const families = combo.map((d) => d.family);
      return (
        new Set(families).size !== families.length ||
        families.join() !== tableOrder(families).join() ||
        combo.some((d) => !(d.amount > 0 && d.amount <= 3))
      );
    });
    expect(malformed).toEqual([]);
  });

  it('honours min and max, up to all eight families', () => {
    const rng = createRng(6);
    expect(randomCombination(rng, { min: 8, max: 8 }).map((d) => d.family)).toEqual([...FAMILIES]);
    const sizes = new Set(
      Array.from({ length: 300 }, () => randomCombination(rng, { min: 1, max: 4 }).length),
    );
    expect([...sizes].sort()).toEqual([1, 2, 3, 4]);
  });

  it('rejects min above max and counts outside 1..8', () => {
    const rng = createRng(7);
    expect(() => randomCombination(rng, { min: 3, max: 2 })).toThrow(
      'Expected integer between 3 and 8 for max but received 2 of type number',
    );
    expect(() => randomCombination(rng, { min: 0 })).toThrow(
      'Expected integer between 1 and 8 for min but received 0 of type number',
    );
    expect(() => randomCombination(rng, { max: 9 })).toThrow(
      'Expected integer between 2 and 8 for max but received 9 of type number',
    );
  });

  it('is reproducible from the seed', () => {
    const draw = (seed: number) => {
      const rng = createRng(seed);
      return Array.from({ length: 10 }, () => randomCombination(rng, { min: 2, max: 3 }));
    };
    expect(draw(8)).toEqual(draw(8));
    expect(draw(8)).not.toEqual(draw(9));
  });
});

describe('drift', () => {
  /** Amount of every family on every frame, 0 where absent. */
  const amountsPerFrame = (frames: ReturnType<typeof drift>) =>
    frames.map((list) => FAMILIES.map((family) => list.find((d) => d.family === family)?.amount ?? 0));

  it('gives one list per frame, in table order, amounts in (0, 3]', () => {
    const frames = drift(createRng(10), 120);
    expect(frames).toHaveLength(120);
    const malformed = frames.filter((list) => {
      const families = list.map((d) => d.family);
      return (
        new Set(families).size !== families.length ||
        families.join() !== tableOrder(families).join() ||
        list.some((d) => !(d.amount > 0 && d.amount <= 3))
      );
    });
    expect(malformed).toEqual([]);
  });

  it('changes amounts slowly: at most 3 * 1.5 / (N - 1) per frame (smoothstep slope is at most 1.5)', () => {
    const n = 50;
    let largest = 0;
    for (let seed = 0; seed < 20; seed++) {
      const amounts = amountsPerFrame(drift(createRng(seed), n));
      for (let i = 1; i < n; i++) {
        for (let f = 0; f < FAMILIES.length; f++) {
          largest = Math.max(largest, Math.abs(amounts[i]![f]! - amounts[i - 1]![f]!));
        }
      }
    }
    expect(largest).toBeLessThanOrEqual(4.5 / (n - 1) + 1e-12);
    expect(largest).toBeGreaterThan(0);
  });

  it('starts and ends flat (smoothstep), and the light does change over the take', () => {
    let changed = 0;
    for (let seed = 0; seed < 20; seed++) {
      const n = 101;
      const amounts = amountsPerFrame(drift(createRng(seed), n));
      // smoothstep(0.01) = 3e-4 - 2e-6 = 2.98e-4, so the first step moves at most 3 * 2.98e-4 < 1e-3.
      for (let f = 0; f < 8; f++) {
        expect(Math.abs(amounts[1]![f]! - amounts[0]![f]!)).toBeLessThan(1e-3);
        expect(Math.abs(amounts[n - 1]![f]! - amounts[n - 2]![f]!)).toBeLessThan(1e-3);
      }
      const total = amounts[0]!.reduce((s, a, f) => s + Math.abs(a - amounts[n - 1]![f]!), 0);
      if (total > 0.1) changed++;
    }
    expect(changed).toBeGreaterThanOrEqual(18);
  });

  it('with swap 1 fades exactly one family out while another fades in; with swap 0 keeps the families', () => {
    for (let seed = 0; seed < 40; seed++) {
      const frames = drift(createRng(seed), 30, { swap: 1 });
      const first = new Set(frames[0]!.map((d) => d.family));
      const last = new Set(frames[29]!.map((d) => d.family));
      expect([...last].filter((f) => !first.has(f))).toHaveLength(1);
      expect([...first].filter((f) => !last.has(f))).toHaveLength(1);
      const still = drift(createRng(seed), 30, { swap: 0 });
      expect(still[29]!.map((d) => d.family)).toEqual(still[0]!.map((d) => d.family));
    }
  });

  it("steady: keeps the first frame's detunes for the whole take, drawing the same random numbers", () => {
    for (let seed = 0; seed < 20; seed++) {
      const rng = createRng(seed);
      const steady = drift(rng, 30, { steady: true });
      expect(new Set(steady.map((list) => JSON.stringify(list))).size).toBe(1);
      const drifting = createRng(seed);
      expect(drift(drifting, 30)[0]).toEqual(steady[0]);
      expect(rng()).toBe(drifting()); // what comes after is the same as after a drifting take
    }
  });

  it('handles zero and one frame', () => {
    expect(drift(createRng(1), 0)).toEqual([]);
    const one = drift(createRng(1), 1);
    expect(one).toHaveLength(1);
    expect(one[0]!.length).toBeGreaterThanOrEqual(1);
  });

  it('is reproducible from the seed', () => {
    expect(drift(createRng(12), 40)).toEqual(drift(createRng(12), 40));
    expect(drift(createRng(12), 40)).not.toEqual(drift(createRng(13), 40));
  });

  it('rejects a bad frame count or swap chance', () => {
    expect(() => drift(createRng(1), -1)).toThrow(
      'Expected integer of at least 0 for frames but received -1 of type number',
    );
    expect(() => drift(createRng(1), 10, { swap: 2 })).toThrow(
      'Expected number between 0 and 1 for swap but received 2 of type number',
    );
  });
});
