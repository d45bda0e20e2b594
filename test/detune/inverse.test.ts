import { describe, expect, it } from 'vitest';
import { inverseDetuneTransform, withKnees, type Transform } from '../../src/detune/inverse.js';
import { allocLut, fillLut } from '../../src/correction/lut3d.js';
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

  it('fills a LUT in one loop with exactly the values of a call per point, with and without knees', () => {
    // fillLut takes the inverse's own lattice loop (no call per point); it must be bit for bit
    // what calling the transform at every lattice point gives.
    // A plain closure has no lattice loop of its own: fillLut calls it at every point.
    const perPoint = (size: number, transform: Transform): Float32Array =>
      fillLut(size, (r, g, b, out) => transform(r, g, b, out)).data;
    const rng = createRng(11);
    const lists = [
      ...FAMILIES.map((family) => [{ family, amount: 2.5 }]),
      ...Array.from({ length: 20 }, () => randomCombination(rng, { min: 1, max: 4 })),
    ];
    for (const list of lists) {
      for (const transform of [inverseDetuneTransform(list), withKnees(inverseDetuneTransform(list))]) {
        for (const size of [2, 17, 25]) {
          const lattice = fillLut(size, transform, allocLut(size)).data;
          expect(new Uint32Array(lattice.buffer)).toEqual(new Uint32Array(perPoint(size, transform).buffer));
        }
      }
    }
  });

  it('is the identity for no detunes', () => {
    const out = new Float32Array(3);
    inverseDetuneTransform([])(0.1, 0.2, 0.3, out);
    expect(Array.from(out)).toEqual([expect.closeTo(0.1, 6), expect.closeTo(0.2, 6), expect.closeTo(0.3, 6)]);
  });
});
