import { firstValueFrom, from, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { downscale, proxyFilter } from '../../src/stages/downscale.js';
import { defaultOptions, type OptionValues } from '../../src/pipeline/options.js';
import type { FrameGeometry, RunContext, TransformStage } from '../../src/stages/stage.js';
import type { Depth } from '../../src/frame/image.js';
import type { Frame } from '../../src/frame/frame.js';
import { RuntimeFailure } from '../../src/util/errors.js';

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
      from(frames).pipe(stage.create(DEFAULTS, undefined as unknown as RunContext), toArray()),
    );
    expect(out).toEqual(frames);
    expect(out[0]).toBe(frames[0]);
  });
});

describe('proxyFilter: pad (default)', () => {
  it('1920x1080: 455x256 at x=0 (456x256 is 1.781:1, 16:9 is 1.778:1, so one column of padding)', () => {
    // scale = min(456/1920, 256/1080) = 0.237037; 1920 * 0.237037 = 455.1 -> 455; x = floor(1/2) = 0.
    expect(proxy(1920, 1080)).toEqual(
      result('scale=455:256:flags=area,pad=456:256:0:0:black', [0, 0, 455, 256]),
    );
  });

  it('1280x720 to 456x256: the same 455x256 (not exactly 16:9)', () => {
    expect(proxy(1280, 720)).toEqual(
      result('scale=455:256:flags=area,pad=456:256:0:0:black', [0, 0, 455, 256]),
    );
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

  it('source already 456x256: a plain scale', () => {
    expect(proxy(456, 256)).toEqual(result('scale=456:256:flags=area', [0, 0, 456, 256]));
  });

  it('4:3 640x480: 341x256 centred at x=57', () => {
    // scale = 256/480; 640 * 0.5333 = 341.33 -> 341; x = floor(115/2) = 57.
    expect(proxy(640, 480)).toEqual(
      result('scale=341:256:flags=area,pad=456:256:57:0:black', [57, 0, 341, 256]),
    );
  });

  it('odd 385x289: 341x256 at x=57', () => {
    // scale = 256/289 = 0.88581; 385 * 0.88581 = 341.04 -> 341.
    expect(proxy(385, 289)).toEqual(
      result('scale=341:256:flags=area,pad=456:256:57:0:black', [57, 0, 341, 256]),
    );
  });

  it('odd 1919x1079: 455x256 at x=0', () => {
    // scale = 256/1079 = 0.237257; 1919 * 0.237257 = 455.3 -> 455.
    expect(proxy(1919, 1079)).toEqual(
      result('scale=455:256:flags=area,pad=456:256:0:0:black', [0, 0, 455, 256]),
    );
  });

  it('portrait 1080x1920: 144x256 at x=156', () => {
    // scale = 256/1920 = 0.13333; 1080 * 0.13333 = 144; x = (456 - 144) / 2 = 156.
    expect(proxy(1080, 1920)).toEqual(
      result('scale=144:256:flags=area,pad=456:256:156:0:black', [156, 0, 144, 256]),
    );
  });

  it('wider than the proxy (2:1, 100x50): letterboxed top and bottom, 456x228 at y=14', () => {
    expect(proxy(100, 50)).toEqual(
      result('scale=456:228:flags=area,pad=456:256:0:14:black', [0, 14, 456, 228]),
    );
  });

  it('extreme shapes keep at least one pixel of picture', () => {
    expect(proxy(10000, 16)).toEqual(
      result('scale=456:1:flags=area,pad=456:256:0:127:black', [0, 127, 456, 1]),
    );
    expect(proxy(1, 1)).toEqual(
      result('scale=256:256:flags=area,pad=456:256:100:0:black', [100, 0, 256, 256]),
    );
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
  it('1920x1080: scale to cover (456x257), crop the middle 456x256', () => {
    // scale = max(456/1920, 256/1080) = 0.2375; 1080 * 0.2375 = 256.5 -> 257; y = floor(1/2) = 0.
    expect(proxy(1920, 1080, { fit: 'crop' })).toEqual(
      result('scale=456:257:flags=area,crop=456:256:0:0', [0, 0, 456, 256]),
    );
  });

  it('1280x720: the same as 1920x1080', () => {
    expect(proxy(1280, 720, { fit: 'crop' })).toEqual(
      result('scale=456:257:flags=area,crop=456:256:0:0', [0, 0, 456, 256]),
    );
  });

  it('640x480 and 385x289: 456x342, crop 43 rows off the top', () => {
    // 480 * 456/640 = 342; y = floor(86/2) = 43. 289 * 456/385 = 342.3 -> 342.
    for (const [w, h] of [
      [640, 480],
      [385, 289],
    ] as const) {
      expect(proxy(w, h, { fit: 'crop' })).toEqual(
        result('scale=456:342:flags=area,crop=456:256:0:43', [0, 0, 456, 256]),
      );
    }
  });

  it('1919x1079: covers at 456x256 exactly', () => {
    // scale = 456/1919 = 0.237624; 1079 * 0.237624 = 256.4 -> 256.
    expect(proxy(1919, 1079, { fit: 'crop' })).toEqual(
      result('scale=456:256:flags=area,crop=456:256:0:0', [0, 0, 456, 256]),
    );
  });

  it('portrait 1080x1920: 456x811, crop from y=277', () => {
    // scale = 456/1080 = 0.42222; 1920 * 0.42222 = 810.67 -> 811; y = floor(555/2) = 277.
    expect(proxy(1080, 1920, { fit: 'crop' })).toEqual(
      result('scale=456:811:flags=area,crop=456:256:0:277', [0, 0, 456, 256]),
    );
  });

  it('wider than the proxy (100x50): 512x256, crop 28 columns off the left', () => {
    expect(proxy(100, 50, { fit: 'crop' })).toEqual(
      result('scale=512:256:flags=area,crop=456:256:28:0', [0, 0, 456, 256]),
    );
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
