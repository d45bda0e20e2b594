import { describe, expect, it } from 'vitest';
import { haldCubeSize, haldFrameBytes, haldSide, writeHald16 } from '../../src/correction/hald.js';
import { allocLut, fillLut, identityLut, type ColourTransform } from '../../src/correction/lut3d.js';

describe('Hald geometry', () => {
  it.each([
    // level, side = level^3, cube = level^2, bytes = side^2 * 6 (rgb48le)
    [2, 8, 4, 384],
    [3, 27, 9, 4374],
    [4, 64, 16, 24576],
    [5, 125, 25, 93750],
    [6, 216, 36, 279936],
    [7, 343, 49, 705894],
    [8, 512, 64, 1572864],
  ])('level %i: side %i, cube %i points per axis, %i bytes per frame', (level, side, cube, bytes) => {
    expect(haldSide(level)).toBe(side);
    expect(haldCubeSize(level)).toBe(cube);
    expect(haldFrameBytes(level)).toBe(bytes);
    // The image holds exactly the cube: side^2 pixels = cube^3 lattice points.
    expect(side * side).toBe(cube ** 3);
  });
});

/** The level-2 identity Hald image: pixel i = y*8+x is (i%4, floor(i/4)%4, floor(i/16)) * 65535/3. */
function identityHald2(): number[] {
  const v = [0, 21845, 43690, 65535]; // round(k * 65535 / 3)
  const out: number[] = [];
  for (let y = 0; y < 8; y++) {
    for (let x = 0; x < 8; x++) {
      const i = y * 8 + x;
      out.push(v[i % 4]!, v[Math.floor(i / 4) % 4]!, v[Math.floor(i / 16)]!);
    }
  }
  return out;
}

describe('writeHald16', () => {
  it('writes the level-2 identity as the exact 8x8 Hald image', () => {
    const out = new Uint16Array(8 * 8 * 3);
    writeHald16(identityLut(4), 2, out);
    expect([...out]).toEqual(identityHald2());
    // Spot checks by hand: pixel (5, 0) is i = 5: r = 1, g = 1, b = 0; pixel (7, 7) is i = 63: all 3.
    expect([...out.subarray(15, 18)]).toEqual([21845, 21845, 0]);
    expect([...out.subarray(189, 192)]).toEqual([65535, 65535, 65535]);
    // Pixel (2, 3) is i = 26: r = 2, g = 6 % 4 = 2, b = 1.
    expect([...out.subarray(26 * 3, 26 * 3 + 3)]).toEqual([43690, 43690, 21845]);
  });

  it('resamples a LUT of another size onto the level cube (identity of size 2 and 17 -> level 2)', () => {
    for (const size of [2, 17]) {
      const out = new Uint16Array(192);
      writeHald16(identityLut(size), 2, out);
      expect([...out]).toEqual(identityHald2());
    }
  });

  it('resampling an affine LUT gives the affine map at the level lattice, to within one 16-bit step', () => {
    const fn: ColourTransform = (r, g, b, out) => {
      out[0] = 0.8 * r + 0.1 * b + 0.04;
      out[1] = 0.9 * g + 0.05;
      out[2] = 0.2 * r + 0.7 * b;
    };
    const out = new Uint16Array(haldSide(3) ** 2 * 3);
    writeHald16(fillLut(2, fn), 3, out); // size 2 -> 9 points per axis
    const direct = new Uint16Array(out.length);
    writeHald16(fillLut(9, fn), 3, direct);
    let worst = 0;
    for (let i = 0; i < out.length; i++) worst = Math.max(worst, Math.abs(out[i]! - direct[i]!));
    expect(worst).toBeLessThanOrEqual(1);
    // Entry (r, g, b) = (8, 0, 4), i.e. (1, 0, 0.5): (0.89, 0.05, 0.55) * 65535 = (58326.15, 3276.75, 36044.25).
    const i = ((4 * 9 + 0) * 9 + 8) * 3;
    expect([...out.subarray(i, i + 3)]).toEqual([58326, 3277, 36044]);
  });

  it('clamps values outside [0, 1] to 0 and 65535', () => {
    const lut = allocLut(4);
    for (let i = 0; i < lut.data.length; i += 3) lut.data.set([-0.25, 1.5, 0.5], i);
    const out = new Uint16Array(192);
    writeHald16(lut, 2, out);
    for (let i = 0; i < out.length; i += 3) expect([...out.subarray(i, i + 3)]).toEqual([0, 65535, 32768]);
  });

  it('rejects a buffer of the wrong length, naming both lengths', () => {
    expect(() => writeHald16(identityLut(4), 2, new Uint16Array(10))).toThrow(
      new RangeError('Hald buffer holds 10 values but level 2 needs 192'),
    );
    expect(() => writeHald16(identityLut(4), 3, new Uint16Array(192))).toThrow(
      new RangeError('Hald buffer holds 192 values but level 3 needs 2187'),
    );
  });
});
