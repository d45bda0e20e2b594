import { firstValueFrom, from, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { downscale, proxyFilter } from '../../src/stages/downscale.js';
import { defaultOptions, type OptionValues } from '../../src/stages/options.js';
import type { FrameGeometry, TransformStage } from '../../src/stages/stage.js';
import type { Depth } from '../../src/image/image.js';
import type { Frame } from '../../src/frame/frame.js';
import { RuntimeFailure } from '../../src/util/errors.js';
import { frameGeometry, transformContext } from '../helpers/stageContext.js';

type Options = OptionValues<typeof downscale.options>;
const DEFAULTS: Options = defaultOptions(downscale.options);

function proxy(
  width: number,
  height: number,
  o: Partial<Options> = {},
  depth: Depth = 8,
): { filter: string; geometry: FrameGeometry } {
  return proxyFilter({ ...DEFAULTS, ...o }, { width, height, depth });
}

/** The expected result: a W x H frame with the picture at `active`. */
function result(
  filter: string,
  active: [number, number, number, number],
  size: [number, number] = [456, 256],
  depth: Depth = 8,
) {
  const [x, y, width, height] = active;
  return { filter, geometry: { width: size[0], height: size[1], depth, active: { x, y, width, height } } };
}

describe('downscale: options', () => {
  it('declares width, height (16..4096, 456x256), fit and scaler with their values', () => {
    expect(DEFAULTS).toEqual({ width: 456, height: 256, fit: 'pad', scaler: 'area' });
    expect(downscale.options.width).toMatchObject({ type: 'integer', min: 16, max: 4096 });
    expect(downscale.options.height).toMatchObject({ type: 'integer', min: 16, max: 4096 });
    expect(downscale.options.fit).toMatchObject({ type: 'enum', values: ['pad', 'crop', 'stretch'] });
    expect(downscale.options.scaler).toMatchObject({
      type: 'enum',
      values: ['area', 'bilinear', 'bicubic', 'lanczos'],
    });
  });

  it('runs in the decoder: decoderFilter is proxyFilter; in Node it passes frames on untouched', async () => {
    const stage = downscale as TransformStage<typeof downscale.options>;
    expect(stage.kind).toBe('transform');
    expect(stage.decoderFilter).toBe(proxyFilter);
    const frames = [{ index: 0 }, { index: 1 }] as unknown as Frame[];
    const out = await firstValueFrom(
      from(frames).pipe(stage.create(DEFAULTS, transformContext(frameGeometry(96, 54))), toArray()),
    );
    expect(out).toEqual(frames);
    expect(out[0]).toBe(frames[0]);
  });
});

/** A source size as the tables write it: `'1920x1080'`. */
const size = (source: string): [number, number] => source.split('x').map(Number) as [number, number];

describe('proxyFilter: pad (default)', () => {
  // Scaled to fit inside 456x256 with its shape kept (rounded to whole pixels, at least one),
  // then padded with black to 456x256, the picture centred (its offset rounded down).
  it.each([
    [
      '1920x1080',
      '455x256 at x=0: 1920 * 256/1080 = 455.1 -> 455 (456x256 is 1.781:1, 16:9 is 1.778:1), one column of padding',
      'scale=455:256:flags=area,pad=456:256:0:0:black',
      [0, 0, 455, 256],
    ],
    [
      '1280x720',
      'the same 455x256 (not exactly 16:9)',
      'scale=455:256:flags=area,pad=456:256:0:0:black',
      [0, 0, 455, 256],
    ],
    ['456x256', 'already the proxy size: a plain scale', 'scale=456:256:flags=area', [0, 0, 456, 256]],
    [
      '640x480',
      '4:3: 640 * 256/480 = 341.33 -> 341, centred at x = floor(115/2) = 57',
      'scale=341:256:flags=area,pad=456:256:57:0:black',
      [57, 0, 341, 256],
    ],
    [
      '385x289',
      'odd: 385 * 256/289 = 341.04 -> 341 at x=57',
      'scale=341:256:flags=area,pad=456:256:57:0:black',
      [57, 0, 341, 256],
    ],
    [
      '1919x1079',
      'odd: 1919 * 256/1079 = 455.3 -> 455 at x=0',
      'scale=455:256:flags=area,pad=456:256:0:0:black',
      [0, 0, 455, 256],
    ],
    [
      '1080x1920',
      'portrait: 1080 * 256/1920 = 144, at x = (456 - 144)/2 = 156',
      'scale=144:256:flags=area,pad=456:256:156:0:black',
      [156, 0, 144, 256],
    ],
    [
      '100x50',
      'wider than the proxy (2:1): letterboxed top and bottom, 456x228 at y=14',
      'scale=456:228:flags=area,pad=456:256:0:14:black',
      [0, 14, 456, 228],
    ],
    [
      '10000x16',
      'an extreme shape keeps one row of picture',
      'scale=456:1:flags=area,pad=456:256:0:127:black',
      [0, 127, 456, 1],
    ],
    [
      '1x1',
      'one pixel: 256x256 at x=100',
      'scale=256:256:flags=area,pad=456:256:100:0:black',
      [100, 0, 256, 256],
    ],
  ] as const)('%s: %s', (source, _, filter, active) => {
    expect(proxy(...size(source))).toEqual(result(filter, [...active]));
  });

  it('exact 16:9 into a 16:9 proxy (512x288): no pad filter, the whole frame is picture', () => {
    for (const [w, h] of [
      [1280, 720],
      [1920, 1080],
      [3840, 2160],
    ] as const) {
      expect(proxy(w, h, { width: 512, height: 288 }, 16)).toEqual(
        result('scale=512:288:flags=area', [0, 0, 512, 288], [512, 288], 16),
      );
    }
  });

  it('every source 16..2000 (step 37) in both directions: active inside the frame, centred, touching two sides', () => {
    for (let w = 16; w <= 2000; w += 37) {
      for (let h = 16; h <= 2000; h += 37) {
        const { active } = proxy(w, h).geometry;
        expect(active.x).toBeGreaterThanOrEqual(0);
        expect(active.y).toBeGreaterThanOrEqual(0);
        expect(active.x + active.width).toBeLessThanOrEqual(456);
        expect(active.y + active.height).toBeLessThanOrEqual(256);
        expect(active.width === 456 || active.height === 256).toBe(true);
        expect(Math.abs(2 * active.x + active.width - 456)).toBeLessThanOrEqual(1);
        expect(Math.abs(2 * active.y + active.height - 256)).toBeLessThanOrEqual(1);
        // The aspect ratio kept to within rounding to whole pixels.
        expect(Math.abs(active.width / active.height - w / h)).toBeLessThanOrEqual(
          (w / h) * (1 / active.height + 1 / active.width),
        );
      }
    }
  });
});

describe('proxyFilter: crop', () => {
  // Scaled to cover 456x256 with its shape kept, then the middle 456x256 cropped (its offset
  // rounded down): the whole frame is picture.
  it.each([
    [
      '1920x1080',
      'covers at 456x257 (1080 * 456/1920 = 256.5 -> 257), the middle 456x256 cropped',
      'scale=456:257:flags=area,crop=456:256:0:0',
    ],
    ['1280x720', 'the same as 1920x1080', 'scale=456:257:flags=area,crop=456:256:0:0'],
    [
      '640x480',
      '456x342 (480 * 456/640), 43 rows cropped off the top (floor(86/2))',
      'scale=456:342:flags=area,crop=456:256:0:43',
    ],
    ['385x289', 'the same 456x342 (289 * 456/385 = 342.3)', 'scale=456:342:flags=area,crop=456:256:0:43'],
    [
      '1919x1079',
      'covers at 456x256 exactly (1079 * 456/1919 = 256.4)',
      'scale=456:256:flags=area,crop=456:256:0:0',
    ],
    [
      '1080x1920',
      'portrait: 456x811 (1920 * 456/1080 = 810.67), cropped from y = floor(555/2) = 277',
      'scale=456:811:flags=area,crop=456:256:0:277',
    ],
    [
      '100x50',
      'wider than the proxy: 512x256, 28 columns cropped off the left',
      'scale=512:256:flags=area,crop=456:256:28:0',
    ],
  ] as const)('%s: %s', (source, _, filter) => {
    expect(proxy(...size(source), { fit: 'crop' })).toEqual(result(filter, [0, 0, 456, 256]));
  });
});

describe('proxyFilter: stretch', () => {
  for (const [w, h] of [
    [1920, 1080],
    [1280, 720],
    [640, 480],
    [385, 289],
    [1919, 1079],
    [1080, 1920],
  ] as const) {
    it(`${w}x${h}: scale=456:256, the whole frame is picture`, () => {
      expect(proxy(w, h, { fit: 'stretch' })).toEqual(result('scale=456:256:flags=area', [0, 0, 456, 256]));
    });
  }
});

describe('proxyFilter: scaler, size and depth', () => {
  it('the scaler option becomes the flags of every scale', () => {
    expect(proxy(640, 480, { scaler: 'lanczos' }).filter).toBe(
      'scale=341:256:flags=lanczos,pad=456:256:57:0:black',
    );
    expect(proxy(640, 480, { scaler: 'bicubic', fit: 'crop' }).filter).toBe(
      'scale=456:342:flags=bicubic,crop=456:256:0:43',
    );
    expect(proxy(640, 480, { scaler: 'bilinear', fit: 'stretch' }).filter).toBe(
      'scale=456:256:flags=bilinear',
    );
  });

  it('another proxy size, odd (455x257), and the depth passed through', () => {
    expect(proxy(1920, 1080, { width: 455, height: 257 }, 16)).toEqual(
      result('scale=455:256:flags=area,pad=455:257:0:0:black', [0, 0, 455, 256], [455, 257], 16),
    );
    expect(proxy(385, 289, { width: 16, height: 16, fit: 'crop' }, 16)).toEqual(
      result('scale=21:16:flags=area,crop=16:16:2:0', [0, 0, 16, 16], [16, 16], 16),
    );
  });

  it('a source without pixels is refused', () => {
    for (const [w, h] of [
      [0, 10],
      [10, 0],
    ] as const) {
      let err: unknown;
      try {
        proxy(w, h);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(RuntimeFailure);
      expect(err).toMatchObject({
        code: 'E_INPUT_NOT_MEDIA',
        exitCode: 1,
        message: `Cannot downscale a ${w}x${h} source`,
      });
    }
  });
});
