import { describe, expect, it } from 'vitest';
import { inverseDetuneTransform } from '../../src/detune/inverse.js';
import { detuneTransform } from '../../src/detune/apply.js';
import { FAMILIES, type Detune } from '../../src/detune/families.js';
import { createRng, randomCombination } from '../../src/detune/random.js';

function roundTrip(detunes: Detune[], rgb: [number, number, number]): Float32Array {
  const mid = new Float32Array(3);
  const out = new Float32Array(3);
  detuneTransform(detunes)(rgb[0], rgb[1], rgb[2], mid);
  inverseDetuneTransform(detunes)(mid[0]!, mid[1]!, mid[2]!, out);
  return out;
}

describe('inverseDetuneTransform', () => {
  it.each(FAMILIES.flatMap((family) => [1, 2, 3].map((amount) => ({ family, amount }))))(
    'undoes %o on colours the detune did not clip',
    (d) => {
      // Mid-range colours: no family clips them at any level.
      for (const rgb of [
        [0.4, 0.45, 0.5],
        [0.35, 0.5, 0.42],
        [0.55, 0.4, 0.38],
      ] as Array<[number, number, number]>) {
        const back = roundTrip([d], rgb);
        for (let c = 0; c < 3; c++) expect(back[c]).toBeCloseTo(rgb[c]!, 5);
      }
    },
  );

  it('undoes random combinations (in reverse table order)', () => {
    const rng = createRng(4);
    for (let k = 0; k < 50; k++) {
      const list = randomCombination(rng, { min: 2, max: 3 }).map((d) => ({ ...d, amount: d.amount / 2 }));
      const back = roundTrip(list, [0.42, 0.47, 0.44]);
      for (let c = 0; c < 3; c++) expect(back[c]).toBeCloseTo([0.42, 0.47, 0.44][c]!, 4);
    }
  });

  it('is the identity for no detunes', () => {
    const out = new Float32Array(3);
    inverseDetuneTransform([])(0.1, 0.2, 0.3, out);
    expect(Array.from(out)).toEqual([expect.closeTo(0.1, 6), expect.closeTo(0.2, 6), expect.closeTo(0.3, 6)]);
  });
});
