import { describe, expect, it } from 'vitest';
import { FAMILIES } from '../../src/detune/families.js';
import { inverseDetuneTransform, withKnees } from '../../src/detune/inverse.js';

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

  it('keep crushed blacks neutral (lifted, never tinted)', () => {
    const t = withKnees(
      inverseDetuneTransform([
        { family: 'saturation-low', amount: 3 },
        { family: 'black-low', amount: 3 },
      ]),
    );
    const out = run(t, [0.01, 0, 0]);
    expect(Math.max(...out) - Math.min(...out)).toBeLessThan(0.005);
  });

  it('change nothing in the midtones', () => {
    const inverse = inverseDetuneTransform([{ family: 'green', amount: 2 }]);
    expect(run(withKnees(inverse), [0.4, 0.6, 0.3])).toEqual(run(inverse, [0.4, 0.6, 0.3]));
  });
});
