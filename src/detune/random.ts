/**
 * Seeded random detunes for building training sets.
 *
 * Everything here draws from an `Rng` made by `createRng(seed)`, so a data set is reproducible from
 * its seed alone: the same seed gives the same detunes on every machine (the generator uses only
 * 32-bit integer arithmetic, no platform floating point beyond one exact division).
 *
 * - `randomSingle`: one of the 24 classes (a family at a whole level 1..3), uniform over classes.
 * - `randomContinuous`: one family, amount uniform in (0, 3].
 * - `randomCombination`: min..max distinct families, each with an amount uniform in (0, 3].
 * - `drift`: a per-frame detune list for a take whose light changes slowly: every family's amount
 *   moves from a start combination to an end combination along a smoothstep, so the change per
 *   frame is small and has no jumps, and amounts stay in [0, 3].
 */
import { UsageError, describeValue } from '../util/errors.js';
import { type Detune, type DetuneFamily, FAMILIES, MAX_AMOUNT, sortDetunes } from './families.js';

/** A source of uniform numbers in [0, 1). */
export type Rng = () => number;

/**
 * mulberry32 (Tommy Ettinger's 32-bit generator): small, fast, passes PractRand to 2^32 outputs,
 * ample for picking detunes. The seed is an integer in [0, 2^32 - 1].
 */
export function createRng(seed: number): Rng {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new UsageError(
      'E_USAGE',
      `Expected integer between 0 and 4294967295 for seed but received ${describeValue(seed)}`,
    );
  }
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An integer uniform in [0, n). */
export function randomInt(rng: Rng, n: number): number {
  return Math.floor(rng() * n);
}

/** An amount uniform in (0, 3] (never 0, which would be no detune at all). */
function randomAmount(rng: Rng): number {
  return MAX_AMOUNT * (1 - rng());
}

/** One of the 24 classes, uniformly: a family at a whole level 1..3 (amount = level). */
export function randomSingle(rng: Rng): Detune {
  const index = randomInt(rng, FAMILIES.length * 3);
  return { family: FAMILIES[Math.floor(index / 3)] as DetuneFamily, amount: (index % 3) + 1 };
}

/** One family, uniformly, with an amount uniform in (0, 3]. */
export function randomContinuous(rng: Rng): Detune {
  const family = FAMILIES[randomInt(rng, FAMILIES.length)] as DetuneFamily;
  return { family, amount: randomAmount(rng) };
}

export interface CombinationOptions {
  /** Fewest families in a combination (integer, 1..8). Default 2. */
  readonly min?: number;
  /** Most families in a combination (integer, min..8). Default 3. */
  readonly max?: number;
}

function checkCount(name: string, value: number, low: number): number {
  if (!Number.isInteger(value) || value < low || value > FAMILIES.length) {
    throw new UsageError(
      'E_USAGE',
      `Expected integer between ${low} and ${FAMILIES.length} for ${name} but received ${describeValue(value)}`,
    );
  }
  return value;
}

/** `count` distinct families, uniformly (a partial Fisher-Yates shuffle), in draw order. */
function distinctFamilies(
  rng: Rng,
  count: number,
  exclude: ReadonlySet<DetuneFamily> = new Set(),
): DetuneFamily[] {
  const pool = FAMILIES.filter((family) => !exclude.has(family));
  for (let i = 0; i < count; i++) {
    const j = i + randomInt(rng, pool.length - i);
    [pool[i], pool[j]] = [pool[j]!, pool[i]!];
  }
  return pool.slice(0, count);
}

/**
 * Several distinct families at once, each with an amount uniform in (0, 3]: between `min` and `max`
 * families (uniform count), returned in table order.
 */
export function randomCombination(rng: Rng, options: CombinationOptions = {}): Detune[] {
  const min = checkCount('min', options.min ?? 2, 1);
  const max = checkCount('max', options.max ?? Math.max(3, min), min);
  const count = min + randomInt(rng, max - min + 1);
  return sortDetunes(distinctFamilies(rng, count).map((family) => ({ family, amount: randomAmount(rng) })));
}

export interface DriftOptions extends CombinationOptions {
  /**
   * Chance (0..1) that one family of the start combination fades out during the take while a family
   * it did not have fades in. Default 0.5. Otherwise the same families only change amount.
   */
  readonly swap?: number;
  /**
   * Keep the start combination for the whole take: a steady detune, for measuring the flicker a
   * grader adds. The random stream is used as for a drifting take, so a data set built with and
   * without it differs only in the runs' amounts.
   */
  readonly steady?: boolean;
}

/** 3t^2 - 2t^3: 0 at t = 0, 1 at t = 1, flat at both ends, steepest (slope 1.5) at t = 1/2. */
function smoothstep(t: number): number {
  return t * t * (3 - 2 * t);
}

/**
 * The detunes of each of `frames` frames of one take whose light changes slowly. A start
 * combination (`min`..`max` families, default 1..3) drifts to an end one with the same families at
 * new amounts; with chance `swap` one family fades out while a new one fades in. Each amount follows
 * a + (b - a) smoothstep(i / (frames - 1)), so it stays within [0, 3] and changes by at most
 * 4.5 / (frames - 1) between neighbouring frames. Families at amount 0 are left out of a frame's
 * list; lists are in table order.
 */
export function drift(rng: Rng, frames: number, options: DriftOptions = {}): Detune[][] {
  if (!Number.isInteger(frames) || frames < 0) {
    throw new UsageError(
      'E_USAGE',
      `Expected integer of at least 0 for frames but received ${describeValue(frames)}`,
    );
  }
  const swap = options.swap ?? 0.5;
  if (typeof swap !== 'number' || !(swap >= 0 && swap <= 1)) {
    throw new UsageError(
      'E_USAGE',
      `Expected number between 0 and 1 for swap but received ${describeValue(swap)}`,
    );
  }
  const start = randomCombination(rng, { min: options.min ?? 1, max: options.max ?? 3 });
  const tracks = start.map(({ family, amount }) => ({ family, from: amount, to: randomAmount(rng) }));
  if (rng() < swap && start.length < FAMILIES.length) {
    const out = tracks[randomInt(rng, tracks.length)]!;
    out.to = 0;
    const [incoming] = distinctFamilies(rng, 1, new Set(start.map((d) => d.family)));
    tracks.push({ family: incoming!, from: 0, to: randomAmount(rng) });
  }
  if (options.steady) for (const track of tracks) track.to = track.from;
  const ordered = sortDetunes(tracks.map((track) => ({ family: track.family, amount: 0, track })));
  const result: Detune[][] = [];
  for (let i = 0; i < frames; i++) {
    const s = smoothstep(frames === 1 ? 0 : i / (frames - 1));
    const list: Detune[] = [];
    for (const { family, track } of ordered) {
      const amount = Math.min(MAX_AMOUNT, Math.max(0, track.from + (track.to - track.from) * s));
      if (amount > 0) list.push({ family, amount });
    }
    result.push(list);
  }
  return result;
}
