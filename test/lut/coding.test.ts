import { describe, expect, it } from 'vitest';
import {
  applyAffine,
  codingMaps,
  codingOfTags,
  YCBCR_MATRICES,
  type YcbcrCoding,
} from '../../src/lut/coding.js';

const codes = (coding: YcbcrCoding, r: number, g: number, b: number): number[] => {
  const out = new Float64Array(3);
  applyAffine(codingMaps(coding).fromRgb, r, g, b, out);
  return [...out];
};

describe('codingMaps', () => {
  it.each([
    // coding, R'G'B', expected codes (the textbook values)
    [{ matrix: 'bt709', range: 'limited' }, [1, 1, 1], [235, 128, 128]],
    [{ matrix: 'bt709', range: 'limited' }, [0, 0, 0], [16, 128, 128]],
    [
      { matrix: 'bt709', range: 'limited' },
      [1, 0, 0],
      [16 + 219 * 0.2126, 128 - (224 * 0.2126) / 1.8556, 240],
    ],
    [
      { matrix: 'bt709', range: 'limited' },
      [0, 0, 1],
      [16 + 219 * 0.0722, 240, 128 - (224 * 0.0722) / 1.5748],
    ],
    [
      { matrix: 'bt601', range: 'limited' },
      [0, 1, 0],
      [16 + 219 * 0.587, 128 - (224 * 0.587) / 1.772, 128 - (224 * 0.587) / 1.402],
    ],
    [{ matrix: 'bt601', range: 'full' }, [1, 1, 1], [255, 128, 128]],
    [{ matrix: 'bt601', range: 'full' }, [1, 0, 0], [255 * 0.299, 128 - (255 * 0.299) / 1.772, 128 + 127.5]],
    [{ matrix: 'bt2020', range: 'limited' }, [0.5, 0.5, 0.5], [125.5, 128, 128]],
  ] as const)("%o: R'G'B' %o is %o", (coding, rgb, expected) => {
    const got = codes(coding, rgb[0], rgb[1], rgb[2]);
    got.forEach((v, i) => expect(v).toBeCloseTo(expected[i]!, 9));
  });

  it('toRgb inverts fromRgb for every matrix and range', () => {
    const rgb = new Float64Array(3);
    const back = new Float64Array(3);
    for (const matrix of YCBCR_MATRICES) {
      for (const range of ['limited', 'full'] as const) {
        const { toRgb, fromRgb } = codingMaps({ matrix, range });
        for (const [y, cb, cr] of [
          [16, 128, 128],
          [0, 0, 255],
          [100, 90, 160],
          [255, 255, 0],
        ] as const) {
          applyAffine(toRgb, y, cb, cr, rgb);
          applyAffine(fromRgb, rgb[0]!, rgb[1]!, rgb[2]!, back);
          [y, cb, cr].forEach((v, i) => expect(back[i]).toBeCloseTo(v, 9));
        }
      }
    }
  });

  it('refuses an unknown matrix or range, naming what it expected', () => {
    expect(() => codingMaps({ matrix: 'bt470m' as never, range: 'limited' })).toThrow(
      "Expected one of bt601, bt709, bt2020 for the Y'CbCr matrix but received bt470m",
    );
    expect(() => codingMaps({ matrix: 'bt709', range: 'tv' as never })).toThrow(
      "Expected limited or full for the Y'CbCr range but received tv",
    );
  });
});

describe('codingOfTags', () => {
  it.each([
    [undefined, 'bt601'],
    ['unknown', 'bt601'],
    ['bt470bg', 'bt601'],
    ['smpte170m', 'bt601'],
    ['bt709', 'bt709'],
    ['bt2020nc', 'bt2020'],
  ])('reads the matrix tag %s as %s, untagged as swscale does', (tag, matrix) => {
    expect(codingOfTags(tag, 'limited')).toEqual({ matrix, range: 'limited' });
    expect(codingOfTags(tag, 'full')).toEqual({ matrix, range: 'full' });
  });

  it.each(['fcc', 'smpte240m', 'ycgco', 'bt2020c', 'gbr', 'toString'])('has no coding for %s', (tag) => {
    expect(codingOfTags(tag, 'limited')).toBeUndefined();
  });
});
