import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { defer, firstValueFrom, from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { match, matchOperator, MATCH, referenceFrom } from '../../src/stages/match.js';
import { FramePool } from '../../src/frame/pool.js';
import type { Frame } from '../../src/frame/frame.js';
import { allocImage, type Depth, type RgbImage } from '../../src/image/image.js';
import type { ColourTransform } from '../../src/correction/lut3d.js';
import { defaultOptions, type OptionValues } from '../../src/stages/options.js';
import type { TransformContext, TransformStage } from '../../src/stages/stage.js';
import { encodePng } from '../../src/image/png.js';
import { resolveBinaries } from '../../src/ffmpeg/binaries.js';
import { UsageError } from '../../src/util/errors.js';
import { tempDir } from '../helpers/media.js';
import { frameGeometry, transformContext } from '../helpers/stageContext.js';

type Options = OptionValues<typeof match.options>;
const stage = match as TransformStage<typeof match.options>;
const DEFAULTS: Options = defaultOptions(match.options);
const opts = (o: Partial<Options> = {}): Options => ({ ...DEFAULTS, ...o });
type Rgb = [number, number, number];

/** A natural-looking scene (x, y in 0..1): sky, foliage and ground, with a fixed texture. */
function scene(x: number, y: number): Rgb {
  const n = (((x * 7919 + y * 104729) * 1000) % 13) / 13 - 0.5; // texture in [-0.5, 0.5)
  if (y < 0.4) return [0.62 + 0.2 * y + 0.04 * n, 0.68 + 0.2 * y + 0.04 * n, 0.78 + 0.1 * y + 0.04 * n];
  if (x < 0.5) return [0.2 + 0.15 * x + 0.05 * n, 0.42 + 0.2 * (y - 0.4) + 0.05 * n, 0.16 + 0.03 * n];
  return [0.48 + 0.1 * y + 0.05 * n, 0.36 + 0.1 * y + 0.05 * n, 0.24 + 0.05 * x + 0.03 * n];
}

/** Fills an image of the given depth from `pixel` (normalised colours, clipped and rounded). */
function paint(image: RgbImage, pixel: (x: number, y: number) => Rgb): void {
  const max = image.depth === 8 ? 255 : 65535;
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < image.width; x++) {
      const c = pixel(x / image.width, y / image.height);
      for (let k = 0; k < 3; k++)
        image.data[(y * image.width + x) * 3 + k] = Math.round(Math.min(1, Math.max(0, c[k]!)) * max);
    }
  }
}

const green = (x: number, y: number): Rgb => {
  const [r, g, b] = scene(x, y);
  return [r, g * 1.25, b];
};
const blue = (x: number, y: number): Rgb => {
  const [r, g, b] = scene(x, y);
  return [r, g, b * 1.3];
};

function frames(
  pool: FramePool,
  pictures: Array<(x: number, y: number) => Rgb>,
  cutAt: number[] = [],
): Frame[] {
  return pictures.map((pixel, index) => {
    const f = pool.tryAcquire()!;
    paint(f.image, pixel);
    f.index = index;
    f.sceneCut = cutAt.includes(index);
    return f;
  });
}

function reference(width: number, height: number) {
  const image = allocImage(width, height, 8);
  paint(image, scene);
  return referenceFrom([image], DEFAULTS.step);
}

/** The correction each frame leaves, applied to one colour, in frame order; releases every frame. */
async function corrections(input: Frame[], o: Partial<Options>, colour: Rgb, w = 96, h = 54): Promise<Rgb[]> {
  const out = await lastValueFrom(from(input).pipe(matchOperator(reference(w, h), opts(o)), toArray()));
  return out.map((f) => {
    const px = new Float32Array(3);
    f.correction!(colour[0], colour[1], colour[2], px);
    f.release();
    return [px[0]!, px[1]!, px[2]!];
  });
}

describe('match: options table', () => {
  it('declares type, default and bounds of every option', () => {
    expect(
      Object.fromEntries(Object.entries(match.options).map(([k, s]) => [k, { ...s, help: undefined }])),
    ).toEqual({
      reference: { type: 'string', default: '', help: undefined },
      method: { type: 'enum', values: ['reinhard', 'robust', 'curves'], default: 'curves', help: undefined },
      strength: { type: 'number', default: 1, min: 0, max: 1.5, help: undefined },
      radius: { type: 'integer', default: 12, min: 0, max: 120, help: undefined },
      step: { type: 'integer', default: 4, min: 1, max: 16, help: undefined },
      iterations: { type: 'integer', default: 3, min: 0, max: 10, help: undefined },
      max_slope: { type: 'number', default: 4, min: 1, max: 16, help: undefined },
      max_saturation: { type: 'number', default: 3, min: 1, max: 5, help: undefined },
      max_scale: { type: 'number', default: 2.5, min: 1, max: 10, help: undefined },
      max_shift: { type: 'number', default: 30, min: 0, max: 100, help: undefined },
      min_similarity: { type: 'number', default: 0.75, min: 0, max: 1, help: undefined },
      full_similarity: { type: 'number', default: 0.85, min: 0, max: 1, help: undefined },
      graded_proxy: { type: 'boolean', default: false, help: undefined },
    });
  });

  it('holds radius frames ahead, produces an exact correction, and is a passthrough at strength 0', () => {
    expect(match.context!(opts({ radius: 5 }))).toEqual({ lookbehind: 0, lookahead: 5 });
    expect(match.produces).toEqual(['graded', 'correction']);
    expect(stage.isIdentity!(opts({ strength: 0, reference: 'x.png' }))).toBe(true);
    expect(stage.isIdentity!(opts({ reference: 'x.png' }))).toBe(false);
  });

  it('refuses a similarity ramp that ends before it starts', () => {
    expect(() => match.check!(opts({ min_similarity: 0.8, full_similarity: 0.5 }))).toThrow(
      /full_similarity \(0.5\) must be 0 or at least min_similarity \(0.8\)/,
    );
    expect(() => match.check!(opts({ min_similarity: 0.8, full_similarity: 0 }))).not.toThrow();
  });
});

describe('matchOperator', () => {
  it('undoes a cast the shot has and the reference has not: a grey of the scene comes back', async () => {
    const pool = new FramePool(20, 96, 54, 8);
    // The foliage's mid grey-green as the cast shot shows it, and as it was.
    const [r, g, b] = scene(0.25, 0.7);
    const out = await corrections(frames(pool, Array(6).fill(green)), {}, [r, g * 1.25, b]);
    for (const c of out) {
      expect(Math.abs(c[1] - g)).toBeLessThan(0.02);
      expect(Math.abs(c[0] - r)).toBeLessThan(0.02);
    }
    expect(pool.inUse).toBe(0);
  });

  it('never averages across a cut: each shot gets its own correction', async () => {
    const pool = new FramePool(30, 96, 54, 8);
    const grey: Rgb = [0.5, 0.5, 0.5];
    const out = await corrections(
      frames(pool, [...Array(5).fill(green), ...Array(5).fill(blue)], [5]),
      {},
      grey,
    );
    // Green shot: green pulled down, blue alone; blue shot: blue pulled down, green alone.
    expect(out[4]![1]).toBeLessThan(0.45);
    expect(Math.abs(out[4]![2] - 0.5)).toBeLessThan(0.02);
    expect(out[5]![2]).toBeLessThan(0.45);
    expect(Math.abs(out[5]![1] - 0.5)).toBeLessThan(0.02);
  });

  it('averages the corrections over the radius within a shot, and scales them by strength', async () => {
    const pool = new FramePool(30, 96, 54, 8);
    const grey: Rgb = [0.5, 0.5, 0.5];
    // A clean frame among cast ones: with radius 0 it is left alone, with radius 2 it shares their mean.
    const pics = [green, green, scene, green, green];
    const alone = await corrections(frames(pool, pics), { radius: 0 }, grey);
    const averaged = await corrections(frames(pool, pics), { radius: 2 }, grey);
    expect(Math.abs(alone[2]![1] - 0.5)).toBeLessThan(0.01);
    expect(averaged[2]![1]).toBeLessThan(0.47);
    const full = await corrections(frames(pool, [green]), {}, grey);
    const half = await corrections(frames(pool, [green]), { strength: 0.5 }, grey);
    expect(half[0]![1]).toBeCloseTo(0.5 + 0.5 * (full[0]![1] - 0.5), 2);
    expect(pool.inUse).toBe(0);
  });

  it("after another grader, composes the match after that grader's correction, which stays where the match does nothing", async () => {
    const pool = new FramePool(8, 96, 54, 8);
    // A green shot, and a grader before the match that undoes the green.
    const undo: ColourTransform = (r, g, b, out) => {
      out[0] = r;
      out[1] = g / 1.25;
      out[2] = b;
    };
    const [r, g, b] = scene(0.25, 0.7);
    const after = async (ref: ReturnType<typeof reference>): Promise<Float32Array> => {
      const [f] = frames(pool, [green]);
      f!.correction = undo;
      const out = await firstValueFrom(from([f!]).pipe(matchOperator(ref, opts())));
      const px = new Float32Array(3);
      out.correction!(r, g * 1.25, b, px);
      out.release();
      return px;
    };
    // Matched to the clean scene: the graded frame is already right, and stays so.
    expect(Math.abs((await after(reference(96, 54)))[1]! - g)).toBeLessThan(0.02);
    // A reference of other content: the match leaves the frame alone, the grader's work stays.
    const image = allocImage(96, 54, 8);
    paint(image, (x, y) => (y < 0.5 ? [0.1, 0.1, 0.35 + 0.3 * x] : [0.6, 0.15, 0.2]));
    expect((await after(referenceFrom([image], DEFAULTS.step)))[1]).toBeCloseTo(g, 5);
  });

  it('after a grader that left graded pixels only, grades those further and leaves merge to fit', async () => {
    const pool = new FramePool(4, 96, 54, 8);
    const [f] = frames(pool, [scene]);
    paint(f!.graded, green);
    f!.hasGraded = true;
    const out = await firstValueFrom(from([f!]).pipe(matchOperator(reference(96, 54), opts())));
    expect(out.correction).toBeUndefined();
    const i = (Math.round(54 * 0.7) * 96 + Math.round(96 * 0.25)) * 3;
    expect(Math.abs(out.graded.data[i + 1]! - out.image.data[i + 1]!)).toBeLessThanOrEqual(4);
    out.release();
  });

  it.each([8, 16] as Depth[])(
    'works on %s-bit frames of odd size (385x289), and grades the proxy when asked',
    async (depth) => {
      const pool = new FramePool(4, 385, 289, depth);
      const [f] = frames(pool, [green]);
      const out = await firstValueFrom(
        from([f!]).pipe(matchOperator(reference(385, 289), opts({ graded_proxy: true }))),
      );
      expect(out.hasGraded).toBe(true);
      expect(out.notes.get(MATCH)!.similarity).toBeGreaterThan(opts().full_similarity);
      // The proxy is graded as the correction says: the foliage's green comes back down.
      const max = depth === 8 ? 255 : 65535;
      const i = (Math.round(289 * 0.7) * 385 + Math.round(385 * 0.25)) * 3;
      const before = out.image.data[i + 1]! / max;
      const after = out.graded.data[i + 1]! / max;
      expect(after).toBeLessThan(before - 0.05);
      out.release();
    },
  );
});

describe('match stage with a reference file', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    const image = allocImage(160, 90, 8);
    paint(image, scene);
    await writeFile(path.join(dir, 'look.png'), encodePng(160, 90, image.data as Uint8Array));
    await writeFile(path.join(dir, 'broken.png'), 'not a picture\n');
  });
  afterAll(() => cleanup());

  async function stageContext(): Promise<TransformContext> {
    return transformContext(frameGeometry(96, 54), { binaries: await resolveBinaries(), label: 'shot.mp4' });
  }

  it('reads the reference once it starts, with ffmpeg at the proxy size, and matches to it', async () => {
    const pool = new FramePool(8, 96, 54, 8);
    const op = stage.create(opts({ reference: path.join(dir, 'look.png') }), await stageContext());
    const out = await lastValueFrom(from(frames(pool, [green, green])).pipe(op, toArray()));
    const px = new Float32Array(3);
    const [r, g, b] = scene(0.25, 0.7);
    out[0]!.correction!(r, g * 1.25, b, px);
    expect(Math.abs(px[1]! - g)).toBeLessThan(0.03);
    out.forEach((f) => f.release());
    expect(pool.inUse).toBe(0);
  });

  it('needs a reference', async () => {
    const ctx = await stageContext();
    expect(() => stage.create(opts(), ctx)).toThrow(UsageError);
  });

  it('fails the stream with a usage error naming a reference that cannot be read, before reading frames', async () => {
    const pool = new FramePool(4, 96, 54, 8);
    const input = frames(pool, [green]);
    const op = stage.create(opts({ reference: path.join(dir, 'broken.png') }), await stageContext());
    let read = false;
    const source = defer(() => {
      read = true;
      return from(input);
    });
    const err = await lastValueFrom(source.pipe(op)).catch((e: unknown) => e);
    expect(read).toBe(false);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toContain(
      `Cannot read the reference ${path.join(dir, 'broken.png')}`,
    );
    input.forEach((f) => f.release());
  });
});
