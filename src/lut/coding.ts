/**
 * Y'CbCr codings of 8-bit video: the matrix (BT.601, BT.709, BT.2020 non-constant luminance) and
 * the range (limited: Y' 16-235, Cb/Cr 16-240; full: 0-255 around 128), as the affine maps
 * between 8-bit code values and normalised R'G'B' that ffmpeg's swscale uses:
 *
 *   E_Y = Kr R + Kg G + Kb B,  E_Pb = (B - E_Y) / (2 (1 - Kb)),  E_Pr = (R - E_Y) / (2 (1 - Kr))
 *   limited: Y' = 16 + 219 E_Y,  Cb = 128 + 224 E_Pb,  Cr = 128 + 224 E_Pr
 *   full:    Y' = 255 E_Y,       Cb = 128 + 255 E_Pb,  Cr = 128 + 255 E_Pr
 *
 * An untagged source is BT.601 limited range, as swscale takes it (its default coefficients).
 */

export const YCBCR_MATRICES = ['bt601', 'bt709', 'bt2020'] as const;
export type YcbcrMatrix = (typeof YCBCR_MATRICES)[number];
export type YcbcrRange = 'limited' | 'full';

export interface YcbcrCoding {
  readonly matrix: YcbcrMatrix;
  readonly range: YcbcrRange;
}

/** Matrices by the names ffprobe reports (`color_space`); untagged sources are BT.601, as swscale reads them. */
const MATRIX_OF_TAG: ReadonlyMap<string, YcbcrMatrix> = new Map([
  ['', 'bt601'],
  ['unknown', 'bt601'],
  ['bt470bg', 'bt601'],
  ['smpte170m', 'bt601'],
  ['bt709', 'bt709'],
  ['bt2020nc', 'bt2020'],
]);

/**
 * The coding of a source tagged with matrix `colorSpace` (ffprobe's name, or undefined when
 * untagged), or undefined for a matrix this module does not model (FCC, SMPTE 240M, YCgCo,
 * BT.2020 constant luminance).
 */
export function codingOfTags(colorSpace: string | undefined, range: YcbcrRange): YcbcrCoding | undefined {
  const matrix = MATRIX_OF_TAG.get(colorSpace ?? '');
  return matrix && { matrix, range };
}

/** Luma weights (Kr, Kb) of each matrix. */
const WEIGHTS: Readonly<Record<YcbcrMatrix, readonly [number, number]>> = {
  bt601: [0.299, 0.114],
  bt709: [0.2126, 0.0722],
  bt2020: [0.2627, 0.0593],
};

/**
 * A 3x4 affine map, row-major: out[i] = m[4i] * a + m[4i+1] * b + m[4i+2] * c + m[4i+3].
 */
export type Affine3 = Float64Array;

export interface CodingMaps {
  /** 8-bit codes (Y', Cb, Cr) -> normalised (R', G', B'). */
  readonly toRgb: Affine3;
  /** Normalised (R', G', B') -> 8-bit codes (Y', Cb, Cr), unrounded. */
  readonly fromRgb: Affine3;
}

/** The two affine maps of a coding. */
export function codingMaps(coding: YcbcrCoding): CodingMaps {
  const weights = WEIGHTS[coding.matrix];
  if (!weights) {
    throw new RangeError(
      `Expected one of ${YCBCR_MATRICES.join(', ')} for the Y'CbCr matrix but received ${String(coding.matrix)}`,
    );
  }
  if (coding.range !== 'limited' && coding.range !== 'full') {
    throw new RangeError(
      `Expected limited or full for the Y'CbCr range but received ${String(coding.range)}`,
    );
  }
  const [kr, kb] = weights;
  const kg = 1 - kr - kb;
  const limited = coding.range === 'limited';
  const ys = limited ? 219 : 255;
  const yo = limited ? 16 : 0;
  const cs = limited ? 224 : 255;
  const pb = 2 * (1 - kb);
  const pr = 2 * (1 - kr);
  // fromRgb: Y' = yo + ys (kr R + kg G + kb B); Cb = 128 + cs (B - E_Y) / pb; Cr = 128 + cs (R - E_Y) / pr.
  const fromRgb = Float64Array.of(
    ys * kr, ys * kg, ys * kb, yo,
    (cs * -kr) / pb, (cs * -kg) / pb, (cs * (1 - kb)) / pb, 128,
    (cs * (1 - kr)) / pr, (cs * -kg) / pr, (cs * -kb) / pr, 128,
  ); // prettier-ignore
  // toRgb: E_Y = (Y' - yo) / ys, E_Pb = (Cb - 128) / cs, E_Pr = (Cr - 128) / cs;
  // R = E_Y + pr E_Pr, B = E_Y + pb E_Pb, G = (E_Y - kr R - kb B) / kg.
  const gPb = (-kb * pb) / kg;
  const gPr = (-kr * pr) / kg;
  const toRgb = Float64Array.of(
    1 / ys, 0, pr / cs, -yo / ys - (128 * pr) / cs,
    1 / ys, gPb / cs, gPr / cs, -yo / ys - (128 * (gPb + gPr)) / cs,
    1 / ys, pb / cs, 0, -yo / ys - (128 * pb) / cs,
  ); // prettier-ignore
  return { toRgb, fromRgb };
}

/** Applies `m` to (a, b, c), writing `out[0..2]`. */
export function applyAffine(
  m: Affine3,
  a: number,
  b: number,
  c: number,
  out: Float64Array | Float32Array,
): void {
  out[0] = m[0]! * a + m[1]! * b + m[2]! * c + m[3]!;
  out[1] = m[4]! * a + m[5]! * b + m[6]! * c + m[7]!;
  out[2] = m[8]! * a + m[9]! * b + m[10]! * c + m[11]!;
}
