/**
 * Box-averages an rgb24 picture into a smaller rgb24 rectangle (the proxy's active area); the
 * rest of `dst` is left black. Each output pixel averages the source pixels its box covers.
 */
export function downscaleRgb24(
  src: Uint8Array,
  srcWidth: number,
  srcHeight: number,
  dst: Uint8Array,
  dstWidth: number,
  rect: { x: number; y: number; width: number; height: number },
): void {
  const x0s = new Int32Array(rect.width + 1);
  for (let x = 0; x <= rect.width; x++) x0s[x] = Math.round((x * srcWidth) / rect.width);
  for (let y = 0; y < rect.height; y++) {
    const ya = Math.round((y * srcHeight) / rect.height);
    const yb = Math.max(ya + 1, Math.round(((y + 1) * srcHeight) / rect.height));
    let o = ((rect.y + y) * dstWidth + rect.x) * 3;
    for (let x = 0; x < rect.width; x++, o += 3) {
      const xa = x0s[x]!;
      const xb = Math.max(xa + 1, x0s[x + 1]!);
      let r = 0;
      let g = 0;
      let b = 0;
      for (let sy = ya; sy < yb; sy++) {
        let i = (sy * srcWidth + xa) * 3;
        for (let sx = xa; sx < xb; sx++, i += 3) {
          r += src[i]!;
          g += src[i + 1]!;
          b += src[i + 2]!;
        }
      }
      const count = (yb - ya) * (xb - xa);
      dst[o] = (r / count + 0.5) | 0;
      dst[o + 1] = (g / count + 0.5) | 0;
      dst[o + 2] = (b / count + 0.5) | 0;
    }
  }
}
