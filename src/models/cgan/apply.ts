/**
 * Applies the generator's coarse map of affine colour matrices to a full frame in JavaScript: the
 * inference path, where one frame at a time needs no tensor round trip and the 8- or 16-bit pixels
 * are read and written directly.
 *
 * Matches `applyCoefficients` (the training path): bilinear interpolation of the 12 coefficients
 * with half-pixel centres, clamped at the edges, then out = A [r g b 1], clipped to [0, 1] and
 * rounded to the frame's depth.
 */
export function applyCoefficientsToImage<T extends Uint8Array | Uint16Array>(
  coefficients: Float32Array,
  gridWidth: number,
  gridHeight: number,
  src: T,
  width: number,
  height: number,
  dst: T,
): T {
  const max = src instanceof Uint16Array ? 65535 : 255;
  const inv = 1 / max;
  // Horizontal interpolation: per output column, its two grid columns and weight.
  const x0s = new Int32Array(width);
  const x1s = new Int32Array(width);
  const fxs = new Float32Array(width);
  for (let x = 0; x < width; x++) {
    const sx = Math.min(gridWidth - 1, Math.max(0, ((x + 0.5) * gridWidth) / width - 0.5));
    const x0 = Math.floor(sx);
    x0s[x] = x0;
    x1s[x] = Math.min(gridWidth - 1, x0 + 1);
    fxs[x] = sx - x0;
  }
  const row = new Float32Array(gridWidth * 12);
  for (let y = 0; y < height; y++) {
    const sy = Math.min(gridHeight - 1, Math.max(0, ((y + 0.5) * gridHeight) / height - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(gridHeight - 1, y0 + 1);
    const fy = sy - y0;
    const r0 = y0 * gridWidth * 12;
    const r1 = y1 * gridWidth * 12;
    for (let i = 0; i < gridWidth * 12; i++) {
      const a = coefficients[r0 + i]!;
      row[i] = a + (coefficients[r1 + i]! - a) * fy;
    }
    let p = y * width * 3;
    for (let x = 0; x < width; x++, p += 3) {
      const c0 = x0s[x]! * 12;
      const c1 = x1s[x]! * 12;
      const fx = fxs[x]!;
      const r = src[p]! * inv;
      const g = src[p + 1]! * inv;
      const b = src[p + 2]! * inv;
      for (let ch = 0; ch < 3; ch++) {
        const k = ch * 4;
        const m0 = row[c0 + k]! + (row[c1 + k]! - row[c0 + k]!) * fx;
        const m1 = row[c0 + k + 1]! + (row[c1 + k + 1]! - row[c0 + k + 1]!) * fx;
        const m2 = row[c0 + k + 2]! + (row[c1 + k + 2]! - row[c0 + k + 2]!) * fx;
        const m3 = row[c0 + k + 3]! + (row[c1 + k + 3]! - row[c0 + k + 3]!) * fx;
        const v = m0 * r + m1 * g + m2 * b + m3;
        dst[p + ch] = v <= 0 ? 0 : v >= 1 ? max : Math.round(v * max);
      }
    }
  }
  return dst;
}
