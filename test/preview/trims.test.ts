import { describe, expect, it } from 'vitest';
import { applyCdl } from '../../src/correction/interchange.js';
import { fillLut, identityLut, sampleLut, scaleLut } from '../../src/correction/lut3d.js';
import {
  composeLook,
  IDENTITY_TRIMS,
  TRIMS_ONLY_SIZE,
  trimsCdl,
  updateTrims,
  type Trims,
} from '../../src/preview/trims.js';

/** A correction that is far from linear: red squared, green inverted, blue lifted. */
const correction = fillLut(9, (r, g, b, out) => {
  out[0] = r * r;
  out[1] = 1 - g;
  out[2] = Math.min(1, b + 0.2);
});

const trims = (t: Partial<Trims>): Trims => ({ ...IDENTITY_TRIMS, ...t });

/** The look at lattice point (r, g, b) of a LUT of size n. */
const at = (lut: { size: number; data: Float32Array }, r: number, g: number, b: number) => {
  const i = ((b * lut.size + g) * lut.size + r) * 3;
  return Array.from(lut.data.subarray(i, i + 3));
};

describe('trims over the automatic grade', () => {
  it('leave the correction as it is at their identity, and make no look without one', () => {
    expect(composeLook(correction, IDENTITY_TRIMS)).toBe(correction);
    expect(composeLook(undefined, IDENTITY_TRIMS)).toBeUndefined();
    // Strength alone does nothing without a correction.
    expect(composeLook(undefined, trims({ strength: 0.5 }))).toBeUndefined();
  });

  it('scale the correction by strength as --strength does', () => {
    const look = composeLook(correction, trims({ strength: 0.5 }))!;
    expect(Array.from(look.data)).toEqual(Array.from(scaleLut(correction, 0.5).data));
    expect(Array.from(composeLook(correction, trims({ strength: 0 }))!.data)).toEqual(
      Array.from(identityLut(9).data),
    );
  });

  it('apply their CDL after the correction, at the correction lattice', () => {
    const t = trims({
      slope: [1.2, 0.9, 1],
      offset: [0.02, 0, -0.03],
      power: [1, 1.3, 0.8],
      saturation: 0.7,
    });
    const look = composeLook(correction, t)!;
    expect(look.size).toBe(9);
    const cdl = trimsCdl(t);
    const px = new Float32Array(3);
    for (const [r, g, b] of [
      [0, 0, 0],
      [8, 8, 8],
      [2, 5, 7],
      [6, 1, 3],
    ] as const) {
      const input = [r / 8, g / 8, b / 8];
      sampleLut(correction, input[0]!, input[1]!, input[2]!, px);
      const expected = applyCdl(cdl, Array.from(px));
      at(look, r, g, b).forEach((v, c) => expect(v).toBeCloseTo(expected[c]!, 6));
      // And not before it: the CDL then the correction is another look.
      const wrongOrder = new Float32Array(3);
      const graded = applyCdl(cdl, input);
      sampleLut(correction, graded[0]!, graded[1]!, graded[2]!, wrongOrder);
      if (r === 2)
        expect(Math.max(...at(look, r, g, b).map((v, c) => Math.abs(v - wrongOrder[c]!)))).toBeGreaterThan(
          0.05,
        );
    }
  });

  it('scale first, then the CDL', () => {
    const t = trims({ strength: 0.5, offset: [0.1, 0.1, 0.1] });
    const look = composeLook(correction, t)!;
    const scaled = scaleLut(correction, 0.5);
    const expected = applyCdl(trimsCdl(t), at(scaled, 4, 4, 4));
    at(look, 4, 4, 4).forEach((v, c) => expect(v).toBeCloseTo(expected[c]!, 6));
    // The other way round (CDL on the correction, then scaled) is another look.
    const other = scaleLut(composeLook(correction, trims({ offset: [0.1, 0.1, 0.1] }))!, 0.5);
    expect(Math.abs(at(other, 4, 4, 4)[2]! - expected[2]!)).toBeGreaterThan(0.02);
  });

  it('make the whole look under off: the CDL alone, at a 33-point lattice', () => {
    const t = trims({ slope: [1.5, 1, 1], saturation: 0 });
    const look = composeLook(undefined, t)!;
    expect(look.size).toBe(TRIMS_ONLY_SIZE);
    const n = TRIMS_ONLY_SIZE - 1;
    at(look, 16, 8, 24).forEach((v, c) =>
      expect(v).toBeCloseTo(applyCdl(trimsCdl(t), [16 / n, 8 / n, 24 / n])[c]!, 6),
    );
    // Saturation 0: grey.
    const [r, g, b] = at(look, 16, 8, 24);
    expect(r).toBeCloseTo(g!, 6);
    expect(g).toBeCloseTo(b!, 6);
  });

  it('reuse the LUT given to write into when it has the right size', () => {
    const out = identityLut(9);
    expect(composeLook(correction, trims({ saturation: 1.2 }), out)).toBe(out);
    expect(composeLook(correction, trims({ saturation: 1.2 }), identityLut(5))).not.toBe(out);
  });

  it('are updated in part, each checked against its range', () => {
    const base = trims({ slope: [1.1, 1, 1] });
    expect(updateTrims(base, { saturation: 1.5 })).toEqual({ ...base, saturation: 1.5 });
    expect(updateTrims(base, { power: [1, 2, 1] })).toEqual({ ...base, power: [1, 2, 1] });
    expect(() => updateTrims(base, { slope: [1, 7, 1] })).toThrow(
      'Expected number between 0 and 4 for slope[1] but received 7',
    );
    expect(() => updateTrims(base, { strength: 2 })).toThrow(
      'Expected number between 0 and 1.5 for strength but received 2',
    );
    expect(() => updateTrims(base, { saturation: '1' })).toThrow(/for saturation but received "1"/);
    expect(() => updateTrims(base, { offset: [0, 0] })).toThrow(/Expected 3 numbers \(R, G, B\) for offset/);
    expect(() => updateTrims(base, { hue: 3 })).toThrow(/Unknown trim hue/);
    expect(() => updateTrims(base, null)).toThrow(/Expected an object of trims/);
    // A failed update changes nothing.
    expect(base.slope).toEqual([1.1, 1, 1]);
  });
});
