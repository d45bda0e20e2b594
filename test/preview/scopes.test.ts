import { describe, expect, it } from 'vitest';
import {
  computeScope,
  PARADE_COLUMNS,
  sampleForScopes,
  VECTORSCOPE_SIZE,
  WAVEFORM_LEVELS,
  type ScopeSample,
} from '../../src/preview/scopes.js';

/** A flat picture of one colour. */
function flat(width: number, height: number, rgb: [number, number, number]): ScopeSample {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i += 3) data.set(rgb, i);
  return { width, height, data };
}

/** The cells of an intensity image that are lit, as [x, y, value]. */
function lit(scope: { width: number; data: Uint8Array }): Array<[number, number, number]> {
  const cells: Array<[number, number, number]> = [];
  scope.data.forEach((v, i) => {
    if (v > 0) cells.push([i % scope.width, Math.floor(i / scope.width), v]);
  });
  return cells;
}

describe('scopes of the graded picture', () => {
  it('samples the picture on a grid at most 256 wide, whatever its size', () => {
    const width = 1000;
    const height = 20;
    const src = new Uint8Array(width * height * 3);
    for (let i = 0; i < width * height; i++) src[i * 3] = (i % width) & 0xff;
    const sample = sampleForScopes(src, width, height);
    // One pixel in 4 each way: 250 x 5.
    expect([sample.width, sample.height]).toEqual([250, 5]);
    expect(sample.data[0]).toBe(0);
    expect(sample.data[3]).toBe(4);
    expect(sample.data[3 * 249]).toBe((249 * 4) & 0xff);
    // A small picture is taken whole, odd sizes included.
    const small = sampleForScopes(new Uint8Array(385 * 289 * 3).fill(7), 385, 289);
    expect([small.width, small.height]).toEqual([192, 144]);
    expect(sampleForScopes(new Uint8Array(97 * 5 * 3), 97, 5)).toMatchObject({ width: 97, height: 5 });
  });

  it('waveform: per column, one bright cell at the luma of a flat picture (0 at the bottom)', () => {
    const scope = computeScope('waveform', flat(64, 36, [128, 128, 128]));
    expect([scope.width, scope.height]).toEqual([64, WAVEFORM_LEVELS]);
    const cells = lit(scope);
    expect(cells).toHaveLength(64);
    // Luma 128 is level 64 of 128, row 127 - 64 from the top.
    for (const [, y, v] of cells) expect([y, v]).toEqual([63, 255]);
    // Black on the bottom row, white on the top one.
    expect(lit(computeScope('waveform', flat(8, 8, [0, 0, 0]))).every(([, y]) => y === 127)).toBe(true);
    expect(lit(computeScope('waveform', flat(8, 8, [255, 255, 255]))).every(([, y]) => y === 0)).toBe(true);
  });

  it('waveform: luma is Rec. 709, and a cell grows with the square root of its share', () => {
    // A column of 64 samples: one pure red (luma 54, level 27), the rest black.
    const sample = flat(1, 64, [0, 0, 0]);
    sample.data.set([255, 0, 0], 0);
    const cells = lit(computeScope('waveform', sample));
    // One sample in 64 at saturation 1/16 of a column: 255 * sqrt(16 / 64).
    expect(cells).toEqual([
      [0, 127 - 27, 128],
      [0, 127, 255],
    ]);
  });

  it('parade: R, G and B waveforms side by side', () => {
    const scope = computeScope('parade', flat(200, 10, [200, 100, 0]));
    const columns = Math.min(200, PARADE_COLUMNS);
    expect([scope.width, scope.height]).toEqual([3 * columns, WAVEFORM_LEVELS]);
    const rowOf = (panel: number) =>
      new Set(
        lit(scope)
          .filter(([x]) => Math.floor(x / columns) === panel)
          .map(([, y]) => y),
      );
    expect(rowOf(0)).toEqual(new Set([127 - 100]));
    expect(rowOf(1)).toEqual(new Set([127 - 50]));
    expect(rowOf(2)).toEqual(new Set([127]));
    // Every column of every panel has its cell.
    expect(lit(scope)).toHaveLength(3 * columns);
  });

  it('vectorscope: neutral in the centre, primaries where Rec. 709 puts them', () => {
    const centre = (VECTORSCOPE_SIZE - 1) / 2;
    const grey = computeScope('vectorscope', flat(16, 9, [90, 90, 90]));
    expect([grey.width, grey.height]).toEqual([VECTORSCOPE_SIZE, VECTORSCOPE_SIZE]);
    expect(lit(grey)).toEqual([[centre, centre, 255]]);
    // Red: Cr at its maximum (top row), Cb -0.1146 (left of centre).
    expect(lit(computeScope('vectorscope', flat(4, 4, [255, 0, 0])))).toEqual([[49, 0, 255]]);
    // Blue: Cb at its maximum (right column), Cr -0.0458 (below centre).
    expect(lit(computeScope('vectorscope', flat(4, 4, [0, 0, 255])))).toEqual([[126, 69, 255]]);
  });

  it('the scopes change when the picture does', () => {
    const before = flat(32, 18, [120, 110, 100]);
    const after = flat(32, 18, [140, 110, 90]);
    for (const kind of ['waveform', 'parade', 'vectorscope'] as const) {
      expect(Buffer.from(computeScope(kind, before).data)).toEqual(
        Buffer.from(computeScope(kind, before).data),
      );
      expect(Buffer.from(computeScope(kind, before).data)).not.toEqual(
        Buffer.from(computeScope(kind, after).data),
      );
    }
  });
});
