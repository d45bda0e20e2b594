/**
 * The networks' working grid. The correction a grade makes is low-frequency, so both networks look
 * at the 456x256 proxy averaged over 4x4 blocks (114x64): sixteen times fewer pixels than the
 * proxy, every pixel still seen, and the frame's shape kept (the paper squashed frames to 224x224).
 */
export const GRID_HEIGHT = 64;

/**
 * Whether a network trained on `model`-sized proxies takes a `stream`-sized one: the same size, or
 * a whole multiple of it (an `oversample`d proxy), which averages to the same grid.
 */
export function takesProxy(
  model: { width: number; height: number },
  stream: { width: number; height: number },
): boolean {
  const k = stream.width / model.width;
  return Number.isInteger(k) && k >= 1 && stream.height === model.height * k;
}

/** The block size that brings a frame of this height to the grid (1 for a frame already there). */
export function gridFactor(height: number): number {
  return Math.max(1, Math.round(height / GRID_HEIGHT));
}

/**
 * Averages f x f blocks of an rgb24 image into floats in [0, 1]: exactly what `reduceToGrid` does
 * inside the networks, done in JavaScript so training data is small before it becomes a tensor.
 */
export function blockAverage(
  rgb: Uint8Array | Uint16Array,
  width: number,
  height: number,
  factor: number,
  flip = false,
): { data: Float32Array; width: number; height: number } {
  const max = rgb instanceof Uint16Array ? 65535 : 255;
  const gw = Math.floor(width / factor);
  const gh = Math.floor(height / factor);
  const out = new Float32Array(gw * gh * 3);
  const scale = 1 / (max * factor * factor);
  for (let gy = 0; gy < gh; gy++) {
    for (let gx = 0; gx < gw; gx++) {
      let r = 0;
      let g = 0;
      let b = 0;
      for (let dy = 0; dy < factor; dy++) {
        let p = ((gy * factor + dy) * width + gx * factor) * 3;
        for (let dx = 0; dx < factor; dx++, p += 3) {
          r += rgb[p]!;
          g += rgb[p + 1]!;
          b += rgb[p + 2]!;
        }
      }
      const o = (gy * gw + (flip ? gw - 1 - gx : gx)) * 3;
      out[o] = r * scale;
      out[o + 1] = g * scale;
      out[o + 2] = b * scale;
    }
  }
  return { data: out, width: gw, height: gh };
}
