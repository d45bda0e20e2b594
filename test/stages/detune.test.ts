import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { detune } from '../../src/stages/detune.js';
import type { TransformContext } from '../../src/stages/stage.js';
import { FramePool } from '../../src/frame/pool.js';
import type { Depth } from '../../src/image/image.js';
import type { Frame } from '../../src/frame/frame.js';
import { applyDetunes, applyDetunes16 } from '../../src/detune/apply.js';
import { FAMILIES, parseDetuneList, type DetuneFamily } from '../../src/detune/families.js';
import { inverseDetuneTransform } from '../../src/detune/inverse.js';
import { createRng } from '../../src/detune/random.js';
import { UsageError } from '../../src/util/errors.js';
import { frameGeometry, transformContext } from '../helpers/stageContext.js';

/** detune reads only the stream's depth from its context: it picks the 8- or 16-bit kernel once. */
const contextAt = (depth: Depth): TransformContext => transformContext(frameGeometry(385, 289, depth));

/** Frames of one 385x289 pool (an odd size on purpose), each filled by `fill`. */
function frames(count: number, depth: Depth, fill: (data: Uint8Array | Uint16Array) => void): Frame[] {
  const pool = new FramePool(count, 385, 289, depth);
  return Array.from({ length: count }, (_, index) => {
    const f = pool.tryAcquire()!;
    f.index = index;
    fill(f.image.data);
    return f;
  });
}

/** Random pixels, every value possible at the depth. */
const random =
  (seed: number) =>
  (data: Uint8Array | Uint16Array): void => {
    const rng = createRng(seed);
    const max = data instanceof Uint8Array ? 256 : 65536;
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng() * max);
  };

/** Every pixel the same colour. */
const flat =
  (rgb: readonly [number, number, number]) =>
  (data: Uint8Array | Uint16Array): void => {
    for (let i = 0; i < data.length; i++) data[i] = rgb[i % 3]!;
  };

function run(input: Frame[], detunes: string, depth: Depth = 8): Promise<Frame[]> {
  return lastValueFrom(from(input).pipe(detune.create({ detunes }, contextAt(depth)), toArray()));
}

/** How many values differ between two pixel arrays of one length (a deep toEqual is slow on 333k values). */
function differing(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let n = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) n++;
  return n;
}

/** The mean absolute change from the decoded pixels to the graded ones. */
function meanChange(f: Frame): number {
  let sum = 0;
  for (let i = 0; i < f.image.data.length; i++) sum += Math.abs(f.graded.data[i]! - f.image.data[i]!);
  return sum / f.image.data.length;
}

describe('detune: the stage', () => {
  it('is a passthrough for none (the default) and the empty list; active for any detune', () => {
    expect(detune.options.detunes.default).toBe('none');
    expect(detune.isIdentity!({ detunes: 'none' })).toBe(true);
    expect(detune.isIdentity!({ detunes: '' })).toBe(true);
    expect(detune.isIdentity!({ detunes: 'green-1' })).toBe(false);
    expect(detune.isIdentity!({ detunes: 'saturation-low:0.1' })).toBe(false);
  });

  it.each(['pink-2', 'green-4', 'green-1,green-2', 'green:3.5'])(
    'refuses %s when the pipeline is compiled, with a usage error',
    (detunes) => {
      expect(() => detune.check!({ detunes })).toThrow(UsageError);
    },
  );

  it('leaves graded pixels and the continuous correction: what merge needs', () => {
    expect(detune.produces).toEqual(['graded', 'correction']);
  });

  it('passes every frame on once, in order, with its decoded pixels untouched', async () => {
    const input = frames(3, 8, random(5));
    const before = input.map((f) => Uint8Array.from(f.image.data));
    const out = await run(input, 'green-2');
    expect(out).toHaveLength(3);
    out.forEach((f, k) => expect(f).toBe(input[k]));
    expect(out.map((f) => f.index)).toEqual([0, 1, 2]);
    out.forEach((f, k) => expect(differing(f.image.data, before[k]!)).toBe(0));
  });
});

describe("detune: the exact form of docs/detunes.md's table, on every frame", () => {
  const LIST = 'green-2,contrast-high-1,saturation-low:1.5';

  it('8 bits: the graded pixels are applyDetunes of the decoded ones, value for value', async () => {
    const [f] = await run(frames(1, 8, random(1)), LIST, 8);
    const expected = new Uint8Array(f!.image.data.length);
    applyDetunes(f!.image.data as Uint8Array, expected, parseDetuneList(LIST));
    expect(f!.hasGraded).toBe(true);
    expect(f!.graded.data).toBeInstanceOf(Uint8Array);
    expect(differing(f!.graded.data, expected)).toBe(0);
  });

  it('16 bits: the 16-bit kernel is chosen for the stream, applyDetunes16 value for value', async () => {
    const [f] = await run(frames(1, 16, random(2)), LIST, 16);
    const expected = new Uint16Array(f!.image.data.length);
    applyDetunes16(f!.image.data as Uint16Array, expected, parseDetuneList(LIST));
    expect(f!.graded.data).toBeInstanceOf(Uint16Array);
    expect(differing(f!.graded.data, expected)).toBe(0);
  });
});

describe('detune: each family moves the channels its formula names, the way it says', () => {
  // One colour below mid-grey in every channel, bluer than its luma (Y = 77.19): each formula's
  // effect on it has one sign per channel. 0: unchanged, +1: up, -1: down.
  const PIXEL = [60, 80, 100] as const;
  const MOVES: Record<DetuneFamily, [number, number, number]> = {
    green: [0, 1, 0], //             G x 1.1..1.3
    blue: [0, 0, 1], //              B x 1.1..1.3
    orange: [1, 1, 0], //            R x 1.1..1.3, G x 1.04..1.12
    'black-high': [1, 1, 1], //      lifts black: x = b + (1 - b) x
    'black-low': [-1, -1, -1], //    crushes black: x = (x - b) / (1 - b)
    'white-low': [-1, -1, -1], //    x (1 - 0.30 L)
    'contrast-high': [-1, -1, -1], // away from 0.5, and every channel is below it
    'saturation-low': [1, -1, -1], // towards luma: R below it rises, G and B above it fall
  };

  it.each(
    FAMILIES.flatMap((family) => [1, 2, 3].map((level) => [`${family}-${level}`, MOVES[family]] as const)),
  )('%s moves (R, G, B) by the signs %j', async (list, signs) => {
    const [f] = await run(frames(1, 8, flat(PIXEL)), list);
    const moved = [0, 1, 2].map((c) => Math.sign(f!.graded.data[c]! - PIXEL[c]!));
    expect(moved).toEqual(signs);
  });

  it.each(FAMILIES)(
    '%s: level 1 changes a picture less than level 2, level 2 less than level 3',
    async (family) => {
      const change: number[] = [];
      for (const level of [1, 2, 3]) {
        const [f] = await run(frames(1, 8, random(9)), `${family}-${level}`);
        change.push(meanChange(f!));
      }
      expect(change[0]).toBeGreaterThan(0);
      expect(change[1]).toBeGreaterThan(change[0]!);
      expect(change[2]).toBeGreaterThan(change[1]!);
    },
  );
});

describe('detune: the correction it leaves, and its inverse', () => {
  // Mid-range colours, which no family clips at any level: the table's inverse undoes them exactly.
  const COLOURS = [
    [0.4, 0.45, 0.5],
    [0.35, 0.5, 0.42],
    [0.55, 0.4, 0.38],
  ] as const;

  it.each(FAMILIES.flatMap((family) => [1, 2, 3].map((level) => `${family}-${level}`)))(
    '%s: the inverse of the table undoes the correction on colours it did not clip',
    async (list) => {
      const [f] = await run(frames(1, 8, flat([100, 100, 100])), list);
      const undo = inverseDetuneTransform(parseDetuneList(list));
      const mid = new Float32Array(3);
      const back = new Float32Array(3);
      for (const rgb of COLOURS) {
        f!.correction!(rgb[0], rgb[1], rgb[2], mid);
        undo(mid[0]!, mid[1]!, mid[2]!, back);
        for (let c = 0; c < 3; c++) expect(back[c]).toBeCloseTo(rgb[c]!, 5);
      }
    },
  );

  it('the correction is the continuous form of the graded pixels: within half a level before rounding', async () => {
    const list = 'orange-2,white-low-1';
    const [f] = await run(frames(1, 8, random(4)), list);
    const px = new Float32Array(3);
    const { data } = f!.image;
    let worst = 0;
    for (let i = 0; i < data.length; i += 3) {
      f!.correction!(data[i]! / 255, data[i + 1]! / 255, data[i + 2]! / 255, px);
      for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(px[c]! * 255 - f!.graded.data[i + c]!));
    }
    // Two steps, each rounded to 8 bits in the exact form: at most half a level each.
    expect(worst).toBeLessThanOrEqual(1 + 1e-3);
  });
});
