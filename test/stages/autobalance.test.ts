import { firstValueFrom, from, Observable, take, toArray, type OperatorFunction } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  applyBalance,
  autobalance,
  averageParams,
  BALANCE,
  balanceTransform,
  measureBalance,
  type BalanceParams,
} from '../../src/stages/autobalance.js';
import { FramePool } from '../../src/frame/pool.js';
import type { Frame } from '../../src/frame/frame.js';
import type { Depth, Rect } from '../../src/image/image.js';
import { defaultOptions, type OptionValues } from '../../src/stages/options.js';
import type { TransformStage } from '../../src/stages/stage.js';
import { frameGeometry, transformContext } from '../helpers/stageContext.js';

type Options = OptionValues<typeof autobalance.options>;
type Rgb = readonly [number, number, number];

const stage = autobalance as TransformStage<typeof autobalance.options>;
const DEFAULTS: Options = defaultOptions(autobalance.options);
/** The core formulas are specified without the do-no-harm dead zones (tested on their own below). */
const CORE: Options = { ...DEFAULTS, cast_tolerance: 0, black_deadzone: 0, white_deadzone: 0 };
const opts = (o: Partial<Options> = {}): Options => ({ ...CORE, ...o });

/** One frame from `pool` with every pixel set by `pixel(x, y)`; `active` defaults to the whole. */
function frameOf(pool: FramePool, pixel: (x: number, y: number) => Rgb, active?: Rect): Frame {
  const frame = pool.tryAcquire();
  if (!frame) throw new Error('pool exhausted');
  const { width, height, data } = frame.image;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const [r, g, b] = pixel(x, y);
      const i = (y * width + x) * 3;
      data[i] = r;
      data[i + 1] = g;
      data[i + 2] = b;
    }
  }
  if (active) frame.active = active;
  return frame;
}

/** A single frame in its own pool (released by the caller or left to the garbage collector). */
function single(
  width: number,
  height: number,
  depth: Depth,
  pixel: (x: number, y: number) => Rgb,
  active?: Rect,
): Frame {
  return frameOf(new FramePool(1, width, height, depth), pixel, active);
}

/** 8x4 neutral ramp: pixel k (raster order) is grey round(k * 255 / 31), so 0 at k=0 and 255 at k=31. */
const ramp8x4 = (x: number, y: number): Rgb => {
  const v = Math.round(((y * 8 + x) * 255) / 31);
  return [v, v, v];
};

/** Same 8x4 picture with green x1.3: R = B = 40 + 10 (k mod 16) in 40..190, G = 1.3 R in 52..247. */
const greenCast8x4 = (x: number, y: number): Rgb => {
  const v = 40 + 10 * ((y * 8 + x) % 16);
  return [v, (13 * v) / 10, v];
};

const bin = (value8: number): number => (value8 + 0.5) / 256; // percentile returns bin centres

function expectParams(actual: BalanceParams, expected: BalanceParams, digits = 12): void {
  actual.gains.forEach((g, c) => expect(g, `gain ${c}`).toBeCloseTo(expected.gains[c]!, digits));
  expect(actual.black, 'black').toBeCloseTo(expected.black, digits);
  expect(actual.white, 'white').toBeCloseTo(expected.white, digits);
}

function operator(o: Partial<Options> = {}): OperatorFunction<Frame, Frame> {
  // autobalance reads nothing of its context: any size does.
  return stage.create(opts(o), transformContext(frameGeometry(8, 4)));
}

/** Runs the stage over `frames`, recording each output's params and index, releasing every frame. */
async function grade(
  frames: Frame[],
  o: Partial<Options>,
): Promise<{ index: number; params: BalanceParams }[]> {
  return firstValueFrom(
    new Observable<{ index: number; params: BalanceParams }>((sub) =>
      from(frames)
        .pipe(operator(o))
        .subscribe({
          next: (f) => {
            expect(f.hasGraded).toBe(true);
            sub.next({ index: f.index, params: f.notes.get(BALANCE)! });
            f.release();
          },
          error: (e: unknown) => sub.error(e),
          complete: () => sub.complete(),
        }),
    ).pipe(toArray()),
  );
}

describe('autobalance: options table', () => {
  it('declares type, default and bounds of every option', () => {
    expect(
      Object.fromEntries(Object.entries(autobalance.options).map(([k, s]) => [k, { ...s, help: undefined }])),
    ).toEqual({
      radius: { type: 'integer', default: 12, min: 0, max: 120, help: undefined },
      balance: { type: 'number', default: 0.8, min: 0, max: 1, help: undefined },
      levels: { type: 'number', default: 1, min: 0, max: 1, help: undefined },
      max_gain: { type: 'number', default: 1.5, min: 1, max: 4, help: undefined },
      black_percentile: { type: 'number', default: 0.5, min: 0, max: 20, help: undefined },
      white_percentile: { type: 'number', default: 99.5, min: 80, max: 100, help: undefined },
      max_black: { type: 'number', default: 0.2, min: 0, max: 0.5, help: undefined },
      min_white: { type: 'number', default: 0.6, min: 0.3, max: 1, help: undefined },
      cast_tolerance: { type: 'number', default: 0.05, min: 0, max: 0.5, help: undefined },
      black_deadzone: { type: 'number', default: 0.06, min: 0, max: 0.2, help: undefined },
      white_deadzone: { type: 'number', default: 0.25, min: 0, max: 0.4, help: undefined },
      step: { type: 'integer', default: 2, min: 1, max: 16, help: undefined },
    });
  });

  it('context: lookahead = radius, no lookbehind; produces graded and correction', () => {
    expect(autobalance.context!(opts({ radius: 0 }))).toEqual({ lookbehind: 0, lookahead: 0 });
    expect(autobalance.context!(opts({ radius: 7 }))).toEqual({ lookbehind: 0, lookahead: 7 });
    expect(autobalance.produces).toEqual(['graded', 'correction']);
    expect(autobalance.kind).toBe('transform');
  });

  it('isIdentity exactly when balance = 0 and levels = 0', () => {
    expect(stage.isIdentity!(opts({ balance: 0, levels: 0 }))).toBe(true);
    expect(stage.isIdentity!(opts({ balance: 0, levels: 0, radius: 50, step: 4 }))).toBe(true);
    expect(stage.isIdentity!(opts({ balance: 0 }))).toBe(false);
    expect(stage.isIdentity!(opts({ levels: 0 }))).toBe(false);
    expect(stage.isIdentity!(opts({ balance: 0.01, levels: 0 }))).toBe(false);
    expect(stage.isIdentity!(DEFAULTS)).toBe(false);
  });
});

describe('measureBalance', () => {
  it("a neutral grey ramp 0..255: gains 1, black and white the end bins' centres", () => {
    // 32 samples (step 1). Black at rank 32 * 0.5% = 0.16: the first bin holding more than 0.16
    // samples is bin 0 (value 0), centre 0.5/256 = 1/512. White at rank 32 * 99.5% = 31.84: the
    // 32nd sample, value 255, centre 255.5/256 = 511/512. Every channel equal: gains grey/mean = 1.
    // So the correction is (x - 1/512) / (510/512): identity to within half a bin, and exactly
    // identity after 8-bit rounding (checked below).
    const frame = single(8, 4, 8, ramp8x4);
    const p = measureBalance(frame, opts({ step: 1 }));
    expectParams(p, { gains: [1, 1, 1], black: 1 / 512, white: 511 / 512 });
    expect(p.black).toBe(0.001953125);
    expect(p.white).toBe(0.998046875);

    applyBalance(frame, p);
    expect(Array.from(frame.graded.data)).toEqual(Array.from(frame.image.data));
  });

  it('the ramp at the default step 2 samples pixels (0,0), (2,0) ... (6,2): black bin 0, white bin 181', () => {
    // Sampled k = 0,2,4,6, 16,18,20,22: values 0, 16, 33, 49, 132, 148, 165, 181. 8 samples, so
    // black is the smallest (bin 0) and white the largest (bin 181).
    const p = measureBalance(single(8, 4, 8, ramp8x4), CORE);
    expectParams(p, { gains: [1, 1, 1], black: bin(0), white: bin(181) });
  });

  it('green x1.3: g_R = g_B = 1.1^balance, g_G = (1.1/1.3)^balance; black/white from the scaled end bins', () => {
    // All 32 samples are mid-tones (7.65 < value < 247.35). mean_R = mean_B = 115/255,
    // mean_G = 149.5/255, grey = (115 + 149.5 + 115) / 3 / 255 = 126.5/255 = 1.1 * 115/255.
    // Gains: grey/mean = 1.1 (R, B) and 1.1/1.3 = 11/13 (G), inside [1/1.5, 1.5], to the power 0.8.
    // Black = min over channels of gain * lowest bin centre: R 1.1^0.8 * 40.5/256 = 0.1707376...
    //   beats G (11/13)^0.8 * 52.5/256 = 0.1794233...
    // White = max of gain * highest bin centre: G (11/13)^0.8 * 247.5/256 = 0.8458526...
    //   beats R 1.1^0.8 * 190.5/256 = 0.8030991...
    const p = measureBalance(single(8, 4, 8, greenCast8x4), opts({ step: 1 }));
    const gRB = Math.pow(1.1, 0.8);
    const gG = Math.pow(11 / 13, 0.8);
    expectParams(p, { gains: [gRB, gG, gRB], black: gRB * bin(40), white: gG * bin(247) });
    expect(p.gains[1]).toBeLessThan(1);
    expect(p.gains[0]).toBeGreaterThan(1);
    expect(p.gains[0]).toBe(p.gains[2]);
    expect(p.black).toBeCloseTo(0.1707376, 7);
    expect(p.white).toBeCloseTo(0.8458526, 7);
  });

  it('balance 1 is full grey world; balance 0 leaves the gains at 1', () => {
    // Full gains change which channel sets the points: black G (11/13) * 52.5/256 = 0.1735276
    // (R gives 0.1740234), white R 1.1 * 190.5/256 = 0.8185547 (G gives 0.8180589).
    const full = measureBalance(single(8, 4, 8, greenCast8x4), opts({ step: 1, balance: 1 }));
    expectParams(full, { gains: [1.1, 11 / 13, 1.1], black: (11 / 13) * bin(52), white: 1.1 * bin(190) });
    const none = measureBalance(single(8, 4, 8, greenCast8x4), opts({ step: 1, balance: 0 }));
    expectParams(none, { gains: [1, 1, 1], black: bin(40), white: bin(247) });
  });

  it('levels scales black and white towards identity; levels 0 gives 0 and 1', () => {
    const half = measureBalance(single(8, 4, 8, greenCast8x4), opts({ step: 1, balance: 1, levels: 0.5 }));
    expectParams(half, {
      gains: [1.1, 11 / 13, 1.1],
      black: 0.5 * (11 / 13) * bin(52),
      white: 1 + (1.1 * bin(190) - 1) * 0.5,
    });
    const off = measureBalance(single(8, 4, 8, greenCast8x4), opts({ step: 1, levels: 0 }));
    expect([off.black, off.white]).toEqual([0, 1]);
  });

  it('gains are limited to [1/max_gain, max_gain] before the power', () => {
    // Uniform (40, 200, 40): grey = 93.33; grey/mean = 2.333 (R, B) -> 1.5, 0.4667 (G) -> 1/1.5.
    const p = measureBalance(
      single(8, 4, 8, () => [40, 200, 40]),
      opts({ step: 1, balance: 1 }),
    );
    expect(p.gains[0]).toBe(1.5);
    expect(p.gains[1]).toBeCloseTo(1 / 1.5, 14);
    expect(p.gains[2]).toBe(1.5);
    const wide = measureBalance(
      single(8, 4, 8, () => [40, 200, 40]),
      opts({ step: 1, balance: 1, max_gain: 4 }),
    );
    // Black (7/3) * 40.5/256 = 0.369 is over max_black: 0.2. White max(0.369, 0.365) is under
    // min_white: 0.6.
    expectParams(wide, { gains: [280 / 120, 280 / 600, 280 / 120], black: 0.2, white: 0.6 }, 10);
  });

  it('without mid-tones (fewer than 1% of samples) the means come from every sample', () => {
    // Uniform (250, 200, 100): max 0.98 >= 0.97, so no pixel is a mid-tone. Means over all
    // samples: grey = 550/3/255; grey/mean: R 0.7333, G 0.9167, B 1.8333 -> 1.5.
    const p = measureBalance(
      single(8, 4, 8, () => [250, 200, 100]),
      opts({ step: 1, balance: 1 }),
    );
    expect(p.gains[0]).toBeCloseTo(550 / 3 / 250, 12);
    expect(p.gains[1]).toBeCloseTo(550 / 3 / 200, 12);
    expect(p.gains[2]).toBe(1.5);
  });

  it('a flat picture: black capped at max_black, white at least min_white, and at least 0.05 apart', () => {
    const grey = (): Rgb => [128, 128, 128];
    // bin(128) = 0.50195: black -> max_black 0.2, white -> min_white 0.6.
    expectParams(measureBalance(single(8, 4, 8, grey), opts({ step: 1 })), {
      gains: [1, 1, 1],
      black: 0.2,
      white: 0.6,
    });
    // max_black 0.5, min_white 0.3: black 0.5, white 0.50195, closer than 0.05, so white = 0.55.
    expectParams(measureBalance(single(8, 4, 8, grey), opts({ step: 1, max_black: 0.5, min_white: 0.3 })), {
      gains: [1, 1, 1],
      black: 0.5,
      white: 0.55,
    });
  });

  it('black-point lift b + (1 - b) x with b = 0.12: black within one bin of 0.12', () => {
    // Lifted ramp: round(255 * (0.12 + 0.88 k/31)); the darkest is round(30.6) = 31, bin centre
    // 31.5/256 = 0.123046875, 0.003 from 0.12 (one bin is 1/256 = 0.0039).
    const lifted = (x: number, y: number): Rgb => {
      const v = Math.round(255 * (0.12 + (0.88 * (y * 8 + x)) / 31));
      return [v, v, v];
    };
    const p = measureBalance(single(8, 4, 8, lifted), opts({ step: 1 }));
    expect(p.black).toBe(31.5 / 256);
    expect(Math.abs(p.black - 0.12)).toBeLessThanOrEqual(1 / 256);
    expect(p.white).toBe(255.5 / 256);
    expectParams(p, { gains: [1, 1, 1], black: 31.5 / 256, white: 255.5 / 256 });
  });

  it('ignores padding outside frame.active (pure red there): the same params as the picture alone', () => {
    // The 8x4 pictures placed at (3, 1) inside 13x7 frames whose padding is pure red.
    for (const [picture, o] of [
      [ramp8x4, opts({ step: 1 })],
      [ramp8x4, CORE],
      [greenCast8x4, opts({ step: 1 })],
      [greenCast8x4, opts({ step: 3 })],
    ] as const) {
      const alone = measureBalance(single(8, 4, 8, picture), o);
      const active = { x: 3, y: 1, width: 8, height: 4 };
      const padded = single(
        13,
        7,
        8,
        (x, y) => (x >= 3 && x < 11 && y >= 1 && y < 5 ? picture(x - 3, y - 1) : [255, 0, 0]),
        active,
      );
      expect(measureBalance(padded, o)).toEqual(alone);
    }
  });

  it('odd size 385x289 at step 2: every sampled pixel counted, the last row and column included', () => {
    // Left columns (x < 192) R = B = 40, G = 52; the rest R = B = 180, G = 234: G = 1.3 R everywhere,
    // so the gains are those of the 8x4 cast. Sampled: 193 x 145 = 27985 pixels, 96 dark columns
    // (13920 samples) and 97 bright (14065). Black at rank 139.9 falls in the dark bins, white at
    // rank 27845.1 in the bright ones.
    const halves = (x: number): Rgb => (x < 192 ? [40, 52, 40] : [180, 234, 180]);
    const gRB = Math.pow(1.1, 0.8);
    const gG = Math.pow(11 / 13, 0.8);
    const p = measureBalance(single(385, 289, 8, halves), CORE);
    expectParams(p, { gains: [gRB, gG, gRB], black: gRB * bin(40), white: gG * bin(234) });
    // black_percentile 0 takes the darkest sample: a darker pixel (still G = 1.3 R) at (384, 288)
    // is sampled (both even); one at (383, 287) is not.
    const o = opts({ black_percentile: 0 });
    const dark =
      (at: [number, number]) =>
      (x: number, y: number): Rgb =>
        x === at[0] && y === at[1] ? [20, 26, 20] : halves(x);
    expect(measureBalance(single(385, 289, 8, dark([383, 287])), o).black).toBeCloseTo(gRB * bin(40), 12);
    expect(measureBalance(single(385, 289, 8, dark([384, 288])), o).black).toBeCloseTo(gRB * bin(20), 12);
  });

  it('16-bit frames measure like 8-bit ones (v * 257 falls in bin v)', () => {
    const deep = (x: number, y: number): Rgb => greenCast8x4(x, y).map((v) => v * 257) as unknown as Rgb;
    expectParams(
      measureBalance(single(8, 4, 16, deep), opts({ step: 1 })),
      measureBalance(single(8, 4, 8, greenCast8x4), opts({ step: 1 })),
    );
  });
});

describe('averageParams, balanceTransform, applyBalance', () => {
  const a: BalanceParams = { gains: [1.2, 0.9, 1.0], black: 0.1, white: 0.9 };
  const b: BalanceParams = { gains: [0.8, 1.1, 1.3], black: 0.0, white: 1.0 };
  const c: BalanceParams = { gains: [1.0, 1.0, 0.7], black: 0.05, white: 0.8 };

  it('averageParams averages every field', () => {
    expectParams(averageParams([a, b, c]), { gains: [1.0, 1.0, 1.0], black: 0.05, white: 0.9 }, 14);
    expect(averageParams([a])).toEqual(a);
  });

  it('balanceTransform: out = clip((g x - black) / (white - black))', () => {
    const out = new Float32Array(3);
    balanceTransform(a)(0.5, 0.5, 0.5, out);
    expect(out[0]).toBeCloseTo((1.2 * 0.5 - 0.1) / 0.8, 6);
    expect(out[1]).toBeCloseTo((0.9 * 0.5 - 0.1) / 0.8, 6);
    expect(out[2]).toBeCloseTo((0.5 - 0.1) / 0.8, 6);
    balanceTransform(a)(0, 1, 0.05, out);
    expect(Array.from(out)).toEqual([0, 1, 0]);
  });

  for (const depth of [8, 16] as const) {
    it(`applyBalance (${depth}-bit, 385x289) writes graded = round(balanceTransform per pixel x max)`, () => {
      const max = depth === 8 ? 255 : 65535;
      let seed = 12345;
      const rnd = (): number => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % (max + 1);
      const frame = single(385, 289, depth, () => [rnd(), rnd(), rnd()]);
      frame.graded.data.fill(7);
      applyBalance(frame, a);
      expect(frame.hasGraded).toBe(true);
      const t = balanceTransform(a);
      // The transform evaluated in double precision (a Float64Array for `out`) and rounded: exact.
      const out64 = new Float64Array(3);
      // In a Float32Array (as merge samples it into the LUT): a value on an exact .5 tie (a = round
      // numbers makes many) may round the other way, so within one code value.
      const out32 = new Float32Array(3);
      const src = frame.image.data;
      let mismatches = 0;
      let worst32 = 0;
      for (let i = 0; i < src.length; i += 3) {
        t(src[i]! / max, src[i + 1]! / max, src[i + 2]! / max, out64 as unknown as Float32Array);
        t(src[i]! / max, src[i + 1]! / max, src[i + 2]! / max, out32);
        for (let c = 0; c < 3; c++) {
          const got = frame.graded.data[i + c]!;
          if (got !== Math.round(out64[c]! * max)) mismatches++;
          worst32 = Math.max(worst32, Math.abs(got - Math.round(out32[c]! * max)));
        }
      }
      expect(mismatches).toBe(0);
      expect(worst32).toBeLessThanOrEqual(1);
    });
  }

  it('applyBalance with identity params copies the picture exactly', () => {
    const frame = single(385, 289, 8, (x, y) => [(x * 7) % 256, (y * 3) % 256, (x + y) % 256]);
    applyBalance(frame, { gains: [1, 1, 1], black: 0, white: 1 });
    expect(Buffer.from(frame.graded.data).equals(Buffer.from(frame.image.data))).toBe(true);
  });
});

describe('autobalance stage operator', () => {
  /** Three 8x4 frames with different casts. */
  const casts: ((x: number, y: number) => Rgb)[] = [
    greenCast8x4,
    (x, y) => {
      const [r, g, b] = greenCast8x4(x, y);
      return [g, b, r]; // red cast
    },
    (x, y) => {
      const v = ramp8x4(x, y)[0];
      return [v, v, Math.min(255, Math.round(v * 0.7))]; // yellow cast
    },
  ];

  function threeFrames(
    pool: FramePool,
    cut: Partial<Record<number, 'sceneCut' | 'discontinuity'>> = {},
  ): Frame[] {
    return casts.map((pixel, index) => {
      const f = frameOf(pool, pixel);
      f.index = index;
      if (cut[index]) f[cut[index]] = true;
      return f;
    });
  }

  it('radius 1: each frame gets the average over ±1 frame (fewer at the ends); the pool is empty after', async () => {
    const pool = new FramePool(3, 8, 4, 8);
    const frames = threeFrames(pool);
    const m = frames.map((f) => measureBalance(f, CORE));
    const out = await grade(frames, { radius: 1 });
    expect(out.map((o) => o.index)).toEqual([0, 1, 2]);
    expect(out[0]!.params).toEqual(averageParams([m[0]!, m[1]!]));
    expect(out[1]!.params).toEqual(averageParams([m[0]!, m[1]!, m[2]!]));
    expect(out[2]!.params).toEqual(averageParams([m[1]!, m[2]!]));
    // Written out for the middle frame.
    for (let c = 0; c < 3; c++) {
      expect(out[1]!.params.gains[c]).toBeCloseTo(
        (m[0]!.gains[c]! + m[1]!.gains[c]! + m[2]!.gains[c]!) / 3,
        12,
      );
    }
    expect(out[1]!.params.black).toBeCloseTo((m[0]!.black + m[1]!.black + m[2]!.black) / 3, 12);
    expect(pool.inUse).toBe(0);
  });

  it('a scene cut starts a new segment: params never mix across it', async () => {
    const pool = new FramePool(3, 8, 4, 8);
    const frames = threeFrames(pool, { 1: 'sceneCut' });
    const m = frames.map((f) => measureBalance(f, CORE));
    const out = await grade(frames, { radius: 1 });
    expect(out.map((o) => o.params)).toEqual([
      averageParams([m[0]!]),
      averageParams([m[1]!, m[2]!]),
      averageParams([m[1]!, m[2]!]),
    ]);
    expect(pool.inUse).toBe(0);
  });

  it('a discontinuity starts a new segment too', async () => {
    const pool = new FramePool(3, 8, 4, 8);
    const frames = threeFrames(pool, { 2: 'discontinuity' });
    const m = frames.map((f) => measureBalance(f, CORE));
    const out = await grade(frames, { radius: 2 });
    expect(out.map((o) => o.params)).toEqual([
      averageParams([m[0]!, m[1]!]),
      averageParams([m[0]!, m[1]!]),
      averageParams([m[2]!]),
    ]);
    expect(pool.inUse).toBe(0);
  });

  it('a window longer than the stream: every frame gets the average of all three', async () => {
    const pool = new FramePool(3, 8, 4, 8);
    const frames = threeFrames(pool);
    const m = frames.map((f) => measureBalance(f, CORE));
    const out = await grade(frames, { radius: 12 });
    const all = averageParams(m);
    out.forEach((o) => expectParams(o.params, all, 14));
    expect(pool.inUse).toBe(0);
  });

  it('radius 0: each frame its own measurement; graded and correction set from those params', async () => {
    const pool = new FramePool(3, 8, 4, 8);
    const frames = threeFrames(pool);
    const m = frames.map((f) => measureBalance(f, CORE));
    const seen: { graded: number[]; corr: number[]; expected: number[] }[] = [];
    await new Promise<void>((resolve, reject) =>
      from(frames)
        .pipe(operator({ radius: 0 }))
        .subscribe({
          next: (f) => {
            const params = m[f.index]!;
            const check = pool.tryAcquire() ?? single(8, 4, 8, () => [0, 0, 0]);
            (check.image.data as Uint8Array).set(f.image.data);
            applyBalance(check, params);
            const corr = new Float32Array(3);
            const want = new Float32Array(3);
            f.correction!(0.3, 0.5, 0.7, corr);
            balanceTransform(params)(0.3, 0.5, 0.7, want);
            seen.push({
              graded: Array.from(f.graded.data),
              corr: Array.from(corr),
              expected: Array.from(check.graded.data),
            });
            expect(Array.from(corr)).toEqual(Array.from(want));
            check.release();
            f.release();
          },
          error: reject,
          complete: resolve,
        }),
    );
    expect(seen).toHaveLength(3);
    for (const s of seen) expect(s.graded).toEqual(s.expected);
    expect(pool.inUse).toBe(0);
  });

  it('identity options (balance 0, levels 0): graded equals the picture', async () => {
    const pool = new FramePool(3, 8, 4, 8);
    const frames = threeFrames(pool);
    const pictures = frames.map((f) => Array.from(f.image.data));
    const graded: number[][] = [];
    await new Promise<void>((resolve, reject) =>
      from(frames)
        .pipe(operator({ balance: 0, levels: 0, radius: 1 }))
        .subscribe({
          next: (f) => {
            expect(f.notes.get(BALANCE)).toEqual({ gains: [1, 1, 1], black: 0, white: 1 });
            graded.push(Array.from(f.graded.data));
            f.release();
          },
          error: reject,
          complete: resolve,
        }),
    );
    expect(graded).toEqual(pictures);
    expect(pool.inUse).toBe(0);
  });

  it('empty stream: completes with nothing', async () => {
    expect(await firstValueFrom(from([] as Frame[]).pipe(operator(), toArray()))).toEqual([]);
  });

  it('early unsubscribe releases the frames it holds', async () => {
    const pool = new FramePool(4, 8, 4, 8);
    let made = 0;
    const source = new Observable<Frame>((sub) => {
      for (let i = 0; i < 10 && !sub.closed; i++) {
        const f = frameOf(pool, casts[i % 3]!);
        f.index = i;
        made++;
        sub.next(f);
      }
      sub.complete();
    });
    const first = await firstValueFrom(source.pipe(operator({ radius: 2 }), take(1)));
    expect(first.index).toBe(0);
    first.release();
    expect(made).toBe(3);
    expect(pool.inUse).toBe(0);
  });

  it('an error upstream passes through and the held frames go back to the pool', async () => {
    const pool = new FramePool(3, 8, 4, 8);
    const source = new Observable<Frame>((sub) => {
      sub.next(frameOf(pool, casts[0]!));
      sub.next(frameOf(pool, casts[1]!));
      sub.error(new Error('decoder died'));
    });
    const got: number[] = [];
    await expect(
      new Promise<void>((resolve, reject) =>
        source.pipe(operator({ radius: 2 })).subscribe({
          next: (f) => (got.push(f.index), f.release()),
          error: reject,
          complete: resolve,
        }),
      ),
    ).rejects.toThrow('decoder died');
    expect(got).toEqual([]);
    expect(pool.inUse).toBe(0);
  });
});

describe('autobalance: do no harm', () => {
  const pool = new FramePool(1, 8, 4, 8);
  const uniform = (rgb: Rgb): Frame => frameOf(pool, () => rgb);

  it('a cast within cast_tolerance is left alone; beyond it only the excess is corrected', () => {
    // Mid-tone means (0.4, 0.44, 0.4): grey 0.41333; green's gain 0.41333/0.44 = 0.93939 is a 6.5%
    // deviation, inside a 10% tolerance: no gains at all.
    const f = uniform([102, 112, 102]);
    const inside = measureBalance(f, opts({ cast_tolerance: 0.1, balance: 1 }));
    expect(inside.gains).toEqual([1, 1, 1]);
    // With a 2% tolerance the log gain ln(0.93939) = -0.06252 keeps -0.06252 + ln(1.02) = -0.04272.
    const beyond = measureBalance(f, opts({ cast_tolerance: 0.02, balance: 1 }));
    expect(beyond.gains[1]).toBeCloseTo(Math.exp(Math.log((102 + 112 + 102) / 3 / 112) + Math.log(1.02)), 12);
    f.release();
  });

  it('black and white dead zones: only the excess black is removed and only the excess shortfall stretched', () => {
    // A dark flat frame at 20 (bin centre 20.5/256 = 0.080078): black moves to it without a dead
    // zone, to 0.080078 - 0.06 = 0.020078 with one.
    const dark = uniform([20, 20, 20]);
    expect(measureBalance(dark, opts()).black).toBeCloseTo(20.5 / 256, 12);
    expect(measureBalance(dark, opts({ black_deadzone: 0.06 })).black).toBeCloseTo(20.5 / 256 - 0.06, 12);
    dark.release();
    // A dim flat frame at 179 (0.701172): white moves to it without a dead zone; with 0.25 the
    // white point is 0.951172, so the picture is stretched by 5% instead of 43%.
    const dim = uniform([179, 179, 179]);
    expect(measureBalance(dim, opts()).white).toBeCloseTo(179.5 / 256, 12);
    expect(measureBalance(dim, opts({ white_deadzone: 0.25 })).white).toBeCloseTo(179.5 / 256 + 0.25, 12);
    dim.release();
  });
});
