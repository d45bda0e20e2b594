import { describe, expect, it } from 'vitest';
import { blackBodyGains, castDivisor, kelvinOf, whiteLevel } from '../../src/detune/whiteBalance.js';

describe('blackBodyGains', () => {
  it('is about neutral at 6500 K', () => {
    for (const g of blackBodyGains(6500)) expect(g).toBeGreaterThan(0.97);
  });

  it('is warm below it: red whole, blue lowest (4500 K: about 1, 0.85, 0.73, as ffmpeg colortemperature)', () => {
    const [r, g, b] = blackBodyGains(4500);
    expect(r).toBe(1);
    expect(g).toBeCloseTo(0.853, 2);
    expect(b).toBeCloseTo(0.735, 2);
  });

  it('is cool above it: blue whole, red lowest', () => {
    const [r, g, b] = blackBodyGains(9000);
    expect(b).toBe(1);
    expect(r).toBeLessThan(g);
    expect(g).toBeLessThan(1);
  });

  it('warms steadily as the temperature falls', () => {
    let last = Infinity;
    for (let k = 15000; k >= 2500; k -= 500) {
      const [r, , b] = blackBodyGains(k);
      const warmth = Math.log(b / r);
      expect(warmth).toBeLessThan(last);
      last = warmth;
    }
  });
});

describe('castDivisor', () => {
  it('is what undoing the list’s strongest cast family divides a channel by', () => {
    expect(castDivisor([{ family: 'orange', amount: 2 }])).toBeCloseTo(1.2, 12);
    expect(
      castDivisor([
        { family: 'green', amount: 1 },
        { family: 'blue', amount: 3 },
      ]),
    ).toBeCloseTo(1.3, 12);
  });

  it('is 1 where no cast family is undone', () => {
    expect(castDivisor([{ family: 'white-low', amount: 3 }])).toBe(1);
    expect(castDivisor([])).toBe(1);
  });
});

describe('whiteLevel', () => {
  it("is the 99.5th percentile of each pixel's brightest channel, after the gains", () => {
    // 1000 pixels: 990 dark grey, 10 of them bright red (1%, above the 99.5th percentile's rank).
    const frame = new Uint8Array(3000).fill(51);
    for (let i = 0; i < 10; i++) frame[i * 3] = 255;
    expect(whiteLevel(frame)).toBeCloseTo(1, 2);
    // The red halved and green doubled: the brightest channel is green at 102 on the grey, red at
    // 127.5 on the bright pixels.
    expect(whiteLevel(frame, [0.5, 2, 1])).toBeCloseTo(0.5, 2);
    expect(whiteLevel(new Uint16Array(30).fill(65535 / 4))).toBeCloseTo(0.25, 2);
  });
});

describe('kelvinOf', () => {
  it("finds the colour temperature of a black body's cast again, to 1%, on the curve", () => {
    for (const kelvin of [2500, 3500, 4500, 5500, 7500, 9000, 15000]) {
      const [r, g, b] = blackBodyGains(kelvin);
      const found = kelvinOf([Math.log(r / g), Math.log(b / g)]);
      expect(Math.abs(found.kelvin / kelvin - 1)).toBeLessThan(0.01);
      expect(found.off).toBeLessThan(0.01);
    }
  });

  it('says how far off the curve a green or magenta cast lies', () => {
    expect(kelvinOf([-0.2, -0.2]).off).toBeGreaterThan(0.1); // green: R and B both below G
  });
});
