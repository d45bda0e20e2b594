import { describe, expect, it } from 'vitest';
import {
  CHANNEL_PERCENTILES,
  frameStatistics,
  STATISTICS_LENGTH,
} from '../../src/models/classifier/statistics.js';
import { compileDetunes } from '../../src/detune/apply.js';
import { syntheticReferences } from './fixtures.js';

const P = CHANNEL_PERCENTILES.length;
/** Where each channel's block (percentiles, four clipped shares, mean, deviation) starts. */
const channel = (c: number): number => c * (P + 6);
const median = (c: number): number => channel(c) + CHANNEL_PERCENTILES.indexOf(50);
const mean = (c: number): number => channel(c) + P + 4;
const deviation = (c: number): number => channel(c) + P + 5;
const sharesAtOne = (c: number): number => channel(c) + P + 2;

function flat(width: number, height: number, rgb: [number, number, number]): Uint8Array {
  const f = new Uint8Array(width * height * 3);
  for (let i = 0; i < f.length; i += 3) f.set(rgb, i);
  return f;
}

describe("a frame's colour statistics", () => {
  it('are 131 values, the percentiles of a flat frame all at its value and no spread', () => {
    const s = frameStatistics(flat(8, 4, [51, 102, 204]));
    expect(STATISTICS_LENGTH).toBe(131);
    expect(s).toHaveLength(STATISTICS_LENGTH);
    for (const [c, v] of [51, 102, 204].entries()) {
      for (let k = 0; k < P; k++) expect(s[channel(c) + k]).toBeCloseTo(v / 255, 2);
      expect(s[mean(c)]).toBeCloseTo(v / 255, 5);
      expect(s[deviation(c)]).toBeCloseTo(0, 5);
    }
  });

  it('see a green cast in the green channel and the brightest pixels in the clipped share', () => {
    const clean = syntheticReferences(1, 64, 36, 4, 1).frames[0]!;
    const green = new Uint8Array(clean.length);
    compileDetunes([{ family: 'green', amount: 3 }])(clean, green);
    const a = frameStatistics(clean);
    const b = frameStatistics(green);
    expect(b[median(1)]! - a[median(1)]!).toBeGreaterThan(0.05);
    expect(Math.abs(b[median(0)]! - a[median(0)]!)).toBeLessThan(0.01);
    const bright = flat(4, 4, [200, 230, 200]);
    const clipped = new Uint8Array(bright.length);
    compileDetunes([{ family: 'green', amount: 3 }])(bright, clipped);
    expect(frameStatistics(bright)[sharesAtOne(1)]).toBe(0);
    expect(frameStatistics(clipped)[sharesAtOne(1)]).toBe(1);
  });

  it('do not change when the frame is mirrored, and read rgb48 as rgb24', () => {
    const width = 64;
    const height = 36;
    const frame = syntheticReferences(1, width, height, 5, 1).frames[0]!;
    const mirrored = new Uint8Array(frame.length);
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        mirrored.set(
          frame.subarray((y * width + x) * 3, (y * width + x) * 3 + 3),
          (y * width + width - 1 - x) * 3,
        );
    expect(frameStatistics(mirrored)).toEqual(frameStatistics(frame));
    const deep = Uint16Array.from(frame, (v) => v * 257);
    const s8 = frameStatistics(frame);
    const s16 = frameStatistics(deep);
    for (let k = 0; k < STATISTICS_LENGTH; k++) expect(s16[k]).toBeCloseTo(s8[k]!, 5);
  });
});
