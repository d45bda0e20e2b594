import { resampleLut, type Lut3d } from './lut3d.js';

/**
 * Hald CLUT images: the form in which ffmpeg's `haldclut` filter takes a 3D LUT as a video frame.
 * A level-L Hald image is L^3 x L^3 pixels and holds a cube of L^2 points per axis, red fastest,
 * then green, then blue: exactly our `Lut3d` memory order, so one pass writes it.
 */

export function haldSide(level: number): number {
  return level * level * level;
}

export function haldCubeSize(level: number): number {
  return level * level;
}

/** Bytes of one level-L Hald frame as rgb48le. */
export function haldFrameBytes(level: number): number {
  const side = haldSide(level);
  return side * side * 6;
}

/**
 * Writes `lut` as a 16-bit Hald image into `out` (length side*side*3), resampling when the LUT's
 * size differs from the level's cube size. 16 bits per entry keep the table's own precision far
 * below one 8-bit step, so an identity table reproduces 8-bit input.
 */
export function writeHald16(lut: Lut3d, level: number, out: Uint16Array): void {
  const n = haldCubeSize(level);
  const table = lut.size === n ? lut : resampleLut(lut, n);
  const d = table.data;
  if (out.length !== d.length) {
    throw new RangeError(`Hald buffer holds ${out.length} values but level ${level} needs ${d.length}`);
  }
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    out[i] = v <= 0 ? 0 : v >= 1 ? 65535 : Math.round(v * 65535);
  }
}
