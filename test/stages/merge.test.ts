import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { merge } from '../../src/stages/merge.js';
import { DEFAULT_STREAM_FORMAT } from '../../src/stages/stage.js';
import { FramePool } from '../../src/frame/pool.js';
import type { Frame } from '../../src/frame/frame.js';
import { defaultOptions, resolveOptions, type OptionValues } from '../../src/stages/options.js';
import { identityLut, sampleLut, type ColourTransform, type Lut3d } from '../../src/correction/lut3d.js';
import { createRng } from '../../src/detune/random.js';
import { UsageError } from '../../src/util/errors.js';
import { frameGeometry, transformContext } from '../helpers/stageContext.js';

type Options = OptionValues<typeof merge.options>;
const DEFAULTS: Options = defaultOptions(merge.options);
/** merge reads nothing of its context (the LUT level comes from its own option): any size does. */
const CONTEXT = transformContext(frameGeometry(64, 48));

/** Runs frames through merge and returns them as it passes them on. */
function run(frames: Frame[], options: Partial<Options> = {}): Promise<Frame[]> {
  return lastValueFrom(from(frames).pipe(merge.create({ ...DEFAULTS, ...options }, CONTEXT), toArray()));
}

/** A frame of a fresh 64x48 8-bit pool, pixels of random colours. */
function frame(seed = 1, size: [number, number] = [64, 48]): Frame {
  const f = new FramePool(1, size[0], size[1], 8).tryAcquire()!;
  const rng = createRng(seed);
  const data = f.image.data;
  for (let i = 0; i < data.length; i++) data[i] = Math.floor(rng() * 256);
  return f;
}

/** A colour grade that is affine in RGB (a gain matrix and an offset), inside [0, 1]. */
const affine: ColourTransform = (r, g, b, out) => {
  out[0] = 0.05 + 0.8 * r + 0.1 * g;
  out[1] = 0.9 * g + 0.05 * b;
  out[2] = 0.02 + 0.1 * r + 0.85 * b;
};

/** A smooth curve on every channel: a gentle S and a lift, the kind of grade a correction makes. */
const curve: ColourTransform = (r, g, b, out) => {
  const s = (x: number): number => x + 0.15 * x * (1 - x) * (x - 0.5) * 4 + 0.03 * (1 - x);
  out[0] = s(r);
  out[1] = s(g) * 0.95;
  out[2] = s(b);
};

/** The largest difference, over `points` random colours, between the LUT and `transform`. */
function worstError(lut: Lut3d, transform: ColourTransform, points = 2000): number {
  const rng = createRng(7);
  const got = new Float32Array(3);
  const want = new Float32Array(3);
  let worst = 0;
  for (let k = 0; k < points; k++) {
    const [r, g, b] = [rng(), rng(), rng()];
    sampleLut(lut, r, g, b, got);
    transform(r, g, b, want);
    for (let c = 0; c < 3; c++) worst = Math.max(worst, Math.abs(got[c]! - want[c]!));
  }
  return worst;
}

describe('merge: options and format', () => {
  it('declares hald_level 2..8 (6: 36^3), fit_size 3..65 (17) and shrink 0..1000 (4)', () => {
    expect(DEFAULTS).toEqual({ hald_level: 6, fit_size: 17, shrink: 4 });
    expect(merge.options.hald_level).toMatchObject({ type: 'integer', min: 2, max: 8 });
    expect(merge.options.fit_size).toMatchObject({ type: 'integer', min: 3, max: 65 });
    expect(merge.options.shrink).toMatchObject({ type: 'number', min: 0, max: 1000 });
  });

  it.each([1, 9, 6.5])('refuses hald_level %s, naming the option and its range', (level) => {
    const resolve = (): unknown =>
      resolveOptions(merge.options, { hald_level: level }, 'stages[3].merge', () => 'p.yaml:7:19');
    expect(resolve).toThrow(UsageError);
    expect(resolve).toThrow(
      `Expected integer between 2 and 8 for stages[3].merge.hald_level (p.yaml:7:19) but received ${level}`,
    );
  });

  it.each([2, 4, 6, 8])(
    'negotiates hald_level %i as the stream format: encode sends LUTs of that level',
    (level) => {
      expect(merge.negotiate!({ ...DEFAULTS, hald_level: level }, DEFAULT_STREAM_FORMAT)).toEqual({
        ...DEFAULT_STREAM_FORMAT,
        haldLevel: level,
      });
    },
  );

  it('needs graded frames before it and leaves per-frame LUTs after it', () => {
    expect(merge.requires).toEqual(['graded']);
    expect(merge.produces).toEqual(['lut']);
  });
});

describe('merge: a frame with an exact correction', () => {
  it.each([2, 4, 6, 8])(
    'hald_level %i: a LUT of level^2 points per axis, held by the frame',
    async (level) => {
      const f = frame();
      f.correction = affine;
      const [out] = await run([f], { hald_level: level });
      expect(out!.lut!.size).toBe(level * level);
      expect(out!.lut!.data).toHaveLength((level * level) ** 3 * 3);
      // The frame's own storage, reused with the frame: no LUT allocated per frame.
      expect(out!.lut).toBe(out!.lutStorage(level * level));
    },
  );

  it('the identity gives the identity LUT', async () => {
    const f = frame();
    f.correction = (r, g, b, out) => {
      out[0] = r;
      out[1] = g;
      out[2] = b;
    };
    const [out] = await run([f]);
    expect([...out!.lut!.data]).toEqual([...identityLut(36).data]);
  });

  it('a grade affine in RGB is reproduced everywhere in the cube (tetrahedral interpolation is exact on it)', async () => {
    const f = frame();
    f.correction = affine;
    const [out] = await run([f], { hald_level: 2 });
    expect(worstError(out!.lut!, affine)).toBeLessThan(1e-6);
  });

  it('a curved grade is reproduced within 1/1000 at level 6, and more closely on a finer lattice', async () => {
    const errors: number[] = [];
    for (const level of [3, 6, 8]) {
      const f = frame();
      f.correction = curve;
      const [out] = await run([f], { hald_level: level });
      errors.push(worstError(out!.lut!, curve));
    }
    expect(errors[1]).toBeLessThan(1e-3);
    expect(errors[0]).toBeGreaterThan(errors[1]!);
    expect(errors[1]).toBeGreaterThan(errors[2]!);
  });

  it('the correction wins over graded pixels when a stage leaves both (detune does)', async () => {
    const f = frame();
    f.correction = affine;
    f.graded.data.fill(255);
    f.hasGraded = true;
    const [out] = await run([f], { hald_level: 3 });
    expect(worstError(out!.lut!, affine)).toBeLessThan(1e-6);
  });
});

describe('merge: a frame with graded pixels only', () => {
  /** Grades `f` with `transform` into its graded pixels, rounded to 8 bits as a grader writes them. */
  function grade(f: Frame, transform: ColourTransform, rect = f.active): void {
    const px = new Float32Array(3);
    const { width } = f.image;
    for (let y = rect.y; y < rect.y + rect.height; y++) {
      for (let x = rect.x; x < rect.x + rect.width; x++) {
        const i = (y * width + x) * 3;
        const src = f.image.data;
        transform(src[i]! / 255, src[i + 1]! / 255, src[i + 2]! / 255, px);
        for (let c = 0; c < 3; c++) f.graded.data[i + c] = Math.round(Math.min(1, Math.max(0, px[c]!)) * 255);
      }
    }
    f.hasGraded = true;
  }

  it('fits a LUT that reproduces the grade within 2 levels of 8 bits, at the Hald level asked', async () => {
    const f = frame(3, [96, 64]);
    grade(f, affine);
    const [out] = await run([f], { hald_level: 4 });
    expect(out!.lut!.size).toBe(16);
    expect(worstError(out!.lut!, affine)).toBeLessThan(2 / 255);
  });

  it('fits the picture only: padding outside the active area, graded to anything, does not move the LUT', async () => {
    const padded = frame(3, [96, 64]);
    const plain = frame(3, [96, 64]);
    const picture = { x: 0, y: 8, width: 96, height: 48 };
    for (const f of [padded, plain]) {
      f.active = picture;
      grade(f, affine, picture);
    }
    // Black bars above and below the picture, "graded" to white: nothing a fit should learn.
    for (const y of [...Array(8).keys(), ...Array.from({ length: 8 }, (_, k) => 56 + k)]) {
      padded.image.data.fill(0, y * 96 * 3, (y + 1) * 96 * 3);
      padded.graded.data.fill(255, y * 96 * 3, (y + 1) * 96 * 3);
    }
    const [a] = await run([padded], { hald_level: 3 });
    const [b] = await run([plain], { hald_level: 3 });
    expect([...a!.lut!.data]).toEqual([...b!.lut!.data]);
    expect(worstError(a!.lut!, affine)).toBeLessThan(2 / 255);
  });
});

describe('merge: a frame with nothing to carry', () => {
  it('passes the frame on without a LUT, even one a reused frame held before', async () => {
    const f = frame();
    f.lut = identityLut(4);
    const [out] = await run([f]);
    expect(out).toBe(f);
    expect(out!.lut).toBeUndefined();
  });

  it('passes every frame on once, in order, each with its own LUT or none', async () => {
    const pool = new FramePool(4, 16, 16, 8);
    const frames = [0, 1, 2, 3].map((index) => {
      const f = pool.tryAcquire()!;
      f.index = index;
      if (index % 2 === 0) f.correction = affine;
      return f;
    });
    const out = await run(frames, { hald_level: 2 });
    expect(out.map((f) => [f.index, f.lut?.size])).toEqual([
      [0, 4],
      [1, undefined],
      [2, 4],
      [3, undefined],
    ]);
    expect(new Set(out.map((f) => f.lut)).size).toBe(3); // two LUTs of their own, and none
  });
});
