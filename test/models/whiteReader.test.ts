import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blackBodyGains, castGains, withGains } from '../../src/detune/whiteBalance.js';
import { loadWhiteReader, whiteReaderFrom } from '../../src/models/whiteReader.js';
import { STATISTICS_LENGTH } from '../../src/models/classifier/statistics.js';
import { CUES_LENGTH } from '../../src/color/illuminantCues.js';
import { compileDetunes } from '../../src/detune/apply.js';
import { IDENTITY, inverseDetuneTransform } from '../../src/detune/inverse.js';
import { allocLut, fillLut } from '../../src/correction/lut3d.js';
import { resolveModelFile } from '../../src/models/modelFolder.js';
import { decodeRgb } from '../helpers/media.js';

const SHIPPED = resolveModelFile('models/white-balance.json');

/** Frame 40 of the sample clip at the proxy's size, and the same frame with each channel scaled. */
async function sampleFrame(): Promise<Uint8Array> {
  const [frame] = await decodeRgb('samples/cockatoo.mp4', 456, 256, [
    '-vf',
    'select=eq(n\\,40),scale=456:256',
    '-frames:v',
    '1',
  ]);
  return new Uint8Array(frame!);
}

const cast = (frame: Uint8Array, gains: readonly number[]): Uint8Array =>
  Uint8Array.from(frame, (v, i) => Math.min(255, Math.round(v * gains[i % 3]!)));

describe('castGains', () => {
  it('leaves a read within the tolerance alone', () => {
    expect(castGains([0.05, -0.06], 0.1, 1)).toEqual([1, 1, 1]);
  });

  it('takes a read of length n beyond the tolerance t off down to t^2 / n, raising channels only (the smallest gain 1)', () => {
    // A warm read of length 0.2, a tolerance of 0.1: 0.15 of it is taken off, 0.05 left.
    const read: [number, number] = [0.12, -0.16];
    const [r, g, b] = castGains(read, 0.1, 1);
    expect(Math.min(r, g, b)).toBeCloseTo(1, 12);
    expect(Math.log(r / g)).toBeCloseTo(-read[0] * 0.75, 12);
    expect(Math.log(b / g)).toBeCloseTo(-read[1] * 0.75, 12);
  });

  it('leaves less of a cast the stronger it is read (a residual of t / 2 at 2t, t / 3 at 3t)', () => {
    const left = (n: number) => {
      const [r, g] = castGains([n, 0], 0.08, 1);
      return n + Math.log(r / g);
    };
    expect(left(0.16)).toBeCloseTo(0.04, 12);
    expect(left(0.24)).toBeCloseTo(0.08 / 3, 12);
    expect(left(0.08)).toBeCloseTo(0.08, 12);
  });

  it('with no tolerance and whole strength, undoes a black body exactly', () => {
    const [r, g, b] = blackBodyGains(4500);
    const gains = castGains([Math.log(r / g), Math.log(b / g)], 0, 1);
    const back = [r * gains[0], g * gains[1], b * gains[2]];
    for (const v of back) expect(v).toBeCloseTo(1, 9);
  });

  it('does nothing at strength 0', () => {
    expect(castGains([0.3, -0.3], 0, 0)).toEqual([1, 1, 1]);
  });
});

describe('withGains', () => {
  it('scales the transform’s output and clips at 1, its LUT lattice the same as point by point', () => {
    const inverse = inverseDetuneTransform([{ family: 'orange', amount: 2 }]);
    const balanced = withGains(inverse, [1, 1.1, 1.3]);
    const a = new Float32Array(3);
    const b = new Float32Array(3);
    inverse(0.6, 0.5, 0.9, a);
    balanced(0.6, 0.5, 0.9, b);
    expect(b[0]).toBeCloseTo(a[0]!, 6);
    expect(b[1]).toBeCloseTo(a[1]! * 1.1, 6);
    expect(b[2]).toBe(1);
    const fast = fillLut(9, balanced, allocLut(9));
    const slow = fillLut(9, (r, g, bl, out) => balanced(r, g, bl, out), allocLut(9));
    expect([...fast.data]).toEqual([...slow.data]);
  });

  it('keeps white white whatever the gains (they only raise channels)', () => {
    const out = new Float32Array(3);
    withGains(IDENTITY, [1, 1.2, 1.4])(1, 1, 1, out);
    expect([...out]).toEqual([1, 1, 1]);
  });
});

describe('whiteReaderFrom', () => {
  /** A read that ignores the frame and always gives `bias`. */
  const constant = (inputs: 'statistics' | 'statistics+cues', bias: [number, number]) => {
    const n = STATISTICS_LENGTH + (inputs === 'statistics' ? 0 : CUES_LENGTH);
    return {
      inputs,
      mean: new Array<number>(n).fill(0),
      std: new Array<number>(n).fill(1),
      weights: Array.from({ length: n }, () => [0, 0]),
      bias,
    };
  };

  it('gives the shorter of its reads: a cast is read only as far as every read reads it', () => {
    const frame = new Uint8Array(8 * 4 * 3).fill(128);
    const reader = whiteReaderFrom({
      readers: [constant('statistics', [0.2, -0.2]), constant('statistics+cues', [0.05, -0.1])],
    });
    expect(reader.read(frame, 8)).toEqual([0.05, -0.1]);
  });

  it('scales its exposure read between the means it keeps: 0 at a white balance’s, 1 at a family’s', () => {
    const frame = new Uint8Array(8 * 4 * 3).fill(128);
    const exposure = (read: number) => ({
      ...constant('statistics', [0, 0]),
      weights: Array.from({ length: STATISTICS_LENGTH }, () => [0]),
      bias: [read],
      family: 0.13,
      whiteBalance: 0.05,
    });
    const share = (read: number) =>
      whiteReaderFrom({ readers: [constant('statistics', [0, 0])], exposure: exposure(read) }).familyShare(
        frame,
        8,
      );
    expect(share(0.09)).toBeCloseTo(0.5, 12);
    expect(share(0.01)).toBe(0);
    expect(share(0.2)).toBe(1);
    expect(
      whiteReaderFrom({ readers: [constant('statistics', [0, 0])] }).familyShare(frame, 8),
    ).toBeUndefined();
    expect(() =>
      whiteReaderFrom({
        readers: [constant('statistics', [0, 0])],
        exposure: { ...exposure(0), family: 0.05, whiteBalance: 0.13 },
      }),
    ).toThrow(/families above white balances/);
  });

  it('reads a 16-bit frame as the same frame in 8 bits', async () => {
    const frame = await sampleFrame();
    const deep = Uint16Array.from(frame, (v) => v * 257);
    const reader = loadWhiteReader(SHIPPED);
    const [a, b] = reader.read(frame, 456);
    const [c, d] = reader.read(deep, 456);
    expect(c).toBeCloseTo(a, 6);
    expect(d).toBeCloseTo(b, 6);
  });
});

describe('the shipped white-balance reader', () => {
  it('reads the clean sample frame as within its tolerance (0.1)', async () => {
    const read = loadWhiteReader(SHIPPED).read(await sampleFrame(), 456);
    expect(Math.hypot(...read)).toBeLessThan(0.1);
  });

  it.each([3500, 4500, 9000, 12000])(
    'reads the sample frame at %i K as that cast, within 0.04 on each ratio',
    async (kelvin) => {
      const gains = blackBodyGains(kelvin);
      const read = loadWhiteReader(SHIPPED).read(cast(await sampleFrame(), gains), 456);
      expect(Math.abs(read[0] - Math.log(gains[0] / gains[1]))).toBeLessThan(0.04);
      expect(Math.abs(read[1] - Math.log(gains[2] / gains[1]))).toBeLessThan(0.04);
    },
  );

  it('tells a cast family on the sample frame (orange-2: R and G raised) from a white balance of the same hue (4500 K: G and B lowered)', async () => {
    const reader = loadWhiteReader(SHIPPED);
    const frame = await sampleFrame();
    const orange = new Uint8Array(frame.length);
    compileDetunes([{ family: 'orange', amount: 2 }])(frame, orange);
    expect(reader.familyShare(orange, 456)).toBeGreaterThan(0.5);
    expect(reader.familyShare(cast(frame, blackBodyGains(4500)), 456)).toBeLessThan(0.5);
  });

  it('refuses a file that is not a reader, saying so', async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'vgrade-white-'));
    try {
      const file = path.join(dir, 'reader.json');
      await writeFile(
        file,
        JSON.stringify({
          readers: [{ inputs: 'statistics', mean: [1, 2], std: [1, 1], weights: [], bias: [0, 0] }],
        }),
      );
      expect(() => loadWhiteReader(file)).toThrow(/is not a white-balance reader/);
      expect(() => loadWhiteReader(path.join(dir, 'missing.json'))).toThrow(/No white-balance reader at/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
