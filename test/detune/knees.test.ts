import { describe, expect, it } from 'vitest';
import { FAMILIES } from '../../src/detune/families.js';
import { IDENTITY, inverseDetuneTransform, withKnees } from '../../src/detune/inverse.js';

const run = (t: ReturnType<typeof withKnees>, rgb: [number, number, number]): number[] => {
  const out = new Float32Array(3);
  t(rgb[0], rgb[1], rgb[2], out);
  return [...out];
};

describe('the highlight and shadow knees of an inverse', () => {
  it.each(FAMILIES.flatMap((family) => [1, 2, 3].map((amount) => [family, amount] as const)))(
    'keep a clipped white white through %s at %d',
    (family, amount) => {
      const t = withKnees(inverseDetuneTransform([{ family, amount }]));
      for (const white of [
        [1, 1, 1],
        [0.998, 1, 0.999],
      ] as [number, number, number][]) {
        const out = run(t, white);
        expect(Math.max(...out) - Math.min(...out)).toBeLessThan(0.01);
        expect(Math.min(...out)).toBeGreaterThan(0.97);
      }
    },
  );

  it('without the knee, green-3 undone on a clipped white paints it magenta (what the knee prevents)', () => {
    const out = run(inverseDetuneTransform([{ family: 'green', amount: 3 }]), [1, 1, 1]);
    expect(out[0]! - out[1]!).toBeGreaterThan(0.2);
  });

  it('lift crushed blacks without tinting them: the input keeps its own chroma', () => {
    const t = withKnees(
      inverseDetuneTransform([
        { family: 'saturation-low', amount: 3 },
        { family: 'black-low', amount: 3 },
      ]),
    );
    for (const black of [
      [0, 0, 0],
      [0.01, 0, 0],
      [0, 0.004, 0.012],
    ] as [number, number, number][]) {
      const out = run(t, black);
      const y = (v: number[]) => 0.2126 * v[0]! + 0.7152 * v[1]! + 0.0722 * v[2]!;
      expect(y(out)).toBeGreaterThan(y(black)); // lifted, as black-low's inverse does
      for (let c = 0; c < 3; c++) expect(out[c]! - y(out)).toBeCloseTo(black[c]! - y(black), 2);
    }
  });

  it('leave the identity as it is', () => {
    const t = withKnees(IDENTITY);
    for (const px of [
      [0, 0, 0],
      [0.02, 0.01, 0],
      [0.5, 0.2, 0.9],
      [0.95, 1, 0.97],
      [1, 1, 1],
    ] as [number, number, number][])
      expect(
        run(t, px)
          .map((v, c) => v - px[c]!)
          .every((d) => Math.abs(d) < 1e-6),
      ).toBe(true);
  });

  it('change nothing in the midtones', () => {
    const inverse = inverseDetuneTransform([{ family: 'green', amount: 2 }]);
    expect(run(withKnees(inverse), [0.4, 0.6, 0.3])).toEqual(run(inverse, [0.4, 0.6, 0.3]));
  });
});
