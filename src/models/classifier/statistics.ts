/*
 * A frame's colour statistics: what the statistics classifier reads instead of pixels.
 *
 * Every detune family is a property of the whole frame's value distribution (a cast moves one
 * channel's percentiles, a lifted black moves the lowest ones, a low white the highest, contrast
 * spreads them, saturation narrows the chroma), so the classifier sees that distribution directly,
 * measured on the full proxy: the 114x64 grid the convolutional networks work on averages away
 * the clipped pixels and the extremes that the black, white and contrast families are read from
 * (trees on these statistics: 39.4% exact on unseen sources from the full proxy, 34.6% from the
 * grid; docs/classifier.md).
 *
 *   for R, G, B and luma (Rec. 709 weights): 17 percentiles, the shares at 0, <= 2/255, at 1 and
 *     >= 253/255, the mean and the standard deviation                               4 x 23 = 92
 *   for R-G, B-G and max-min (chroma): 7 percentiles and the mean                   3 x 8 = 24
 *   for the brightest 5%, the darkest 5% and the middle half by luma: mean R, G, B,
 *     R-G and B-G                                                                    3 x 5 = 15
 *
 * Everything comes from integer histograms of the 8-bit values (luma in 1024 bins), so a frame
 * costs two passes over its pixels (about 2 ms at 456x256) and nothing is sorted; rgb48 frames are
 * rounded to 8 bits first, as the networks were trained on 8-bit proxies. Left-right flips do not
 * change any of it.
 */

export const CHANNEL_PERCENTILES = [0, 0.1, 0.5, 1, 2, 5, 10, 25, 50, 75, 90, 95, 98, 99, 99.5, 99.9, 100];
export const CHROMA_PERCENTILES = [1, 5, 25, 50, 75, 95, 99];

/** How many values `frameStatistics` returns. */
export const STATISTICS_LENGTH =
  4 * (CHANNEL_PERCENTILES.length + 6) + 3 * (CHROMA_PERCENTILES.length + 1) + 3 * 5;

const LUMA_BINS = 1024;

/** Each 8-bit value's share of luma, in luma bins (Rec. 709 weights). */
const LUMA_TABLES = [0.2126, 0.7152, 0.0722].map((w) =>
  Float64Array.from({ length: 256 }, (_, v) => (w * v * LUMA_BINS) / 255),
);

/**
 * The value at each percentile of a histogram whose bin k holds the value `lo + k * step`: the
 * order statistic of rank floor(p/100 x (n-1)), as numpy's 'lower' percentile.
 */
function percentiles(
  hist: Uint32Array,
  count: number,
  lo: number,
  step: number,
  at: readonly number[],
  out: Float32Array,
  offset: number,
): number {
  let bin = 0;
  let below = 0;
  for (const p of at) {
    const rank = Math.min(count - 1, Math.floor((p / 100) * (count - 1)));
    while (bin < hist.length - 1 && below + hist[bin]! <= rank) below += hist[bin++]!;
    out[offset++] = lo + bin * step;
  }
  return offset;
}

/** Mean and standard deviation of a histogram whose bin k holds `lo + k * step`. */
function moments(hist: Uint32Array, count: number, lo: number, step: number): { mean: number; std: number } {
  let sum = 0;
  let squares = 0;
  for (let k = 0; k < hist.length; k++) {
    const v = lo + k * step;
    sum += hist[k]! * v;
    squares += hist[k]! * v * v;
  }
  const mean = sum / count;
  return { mean, std: Math.sqrt(Math.max(0, squares / count - mean * mean)) };
}

/** The luma bin at or above which `share` of the pixels lie (from the top), or below which (from the bottom). */
function lumaBin(hist: Uint32Array, count: number, share: number, fromTop: boolean): number {
  const want = share * count;
  let seen = 0;
  if (fromTop) {
    for (let b = hist.length - 1; b >= 0; b--) if ((seen += hist[b]!) >= want) return b;
    return 0;
  }
  for (let b = 0; b < hist.length; b++) if ((seen += hist[b]!) >= want) return b;
  return hist.length - 1;
}

/** A rgb48 frame rounded to 8 bits, as the networks were trained on 8-bit proxies. */
export function to8Bit(rgb: Uint16Array): Uint8Array {
  const out = new Uint8Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) out[i] = Math.round(rgb[i]! / 257);
  return out;
}

/**
 * The statistics of one proxy frame, rgb24 or rgb48, interleaved: `STATISTICS_LENGTH` values, in
 * the order the header lists.
 */
export function frameStatistics(
  frame: Uint8Array | Uint16Array,
  out = new Float32Array(STATISTICS_LENGTH),
): Float32Array {
  const rgb = frame instanceof Uint16Array ? to8Bit(frame) : frame;
  const n = rgb.length / 3;
  const red = new Uint32Array(256);
  const green = new Uint32Array(256);
  const blue = new Uint32Array(256);
  const luma = new Uint32Array(LUMA_BINS);
  const redGreen = new Uint32Array(511);
  const blueGreen = new Uint32Array(511);
  const chroma = new Uint32Array(256);
  // Each luma bin's channel sums: the brightest, darkest and middle groups below are unions of
  // bins, so their colours come from these without a second pass over the pixels.
  const binRed = new Uint32Array(LUMA_BINS);
  const binGreen = new Uint32Array(LUMA_BINS);
  const binBlue = new Uint32Array(LUMA_BINS);
  const [lr, lg, lb] = LUMA_TABLES as [Float64Array, Float64Array, Float64Array];
  let lumaSum = 0;
  let lumaSquares = 0;
  for (let p = 0; p < rgb.length; p += 3) {
    const r = rgb[p]!;
    const g = rgb[p + 1]!;
    const b = rgb[p + 2]!;
    red[r]!++;
    green[g]!++;
    blue[b]!++;
    const y = lr[r]! + lg[g]! + lb[b]!;
    lumaSum += y;
    lumaSquares += y * y;
    const bin = y >= LUMA_BINS - 1 ? LUMA_BINS - 1 : y | 0;
    luma[bin]!++;
    binRed[bin]! += r;
    binGreen[bin]! += g;
    binBlue[bin]! += b;
    redGreen[r - g + 255]!++;
    blueGreen[b - g + 255]!++;
    const hi = r > g ? (r > b ? r : b) : g > b ? g : b;
    const lo = r < g ? (r < b ? r : b) : g < b ? g : b;
    chroma[hi - lo]!++;
  }

  let k = 0;
  for (const hist of [red, green, blue]) {
    k = percentiles(hist, n, 0, 1 / 255, CHANNEL_PERCENTILES, out, k);
    const { mean, std } = moments(hist, n, 0, 1 / 255);
    out[k++] = hist[0]! / n;
    out[k++] = (hist[0]! + hist[1]! + hist[2]!) / n;
    out[k++] = hist[255]! / n;
    out[k++] = (hist[253]! + hist[254]! + hist[255]!) / n;
    out[k++] = mean;
    out[k++] = std;
  }
  // Luma: percentiles at bin starts; clipped shares from the channels' own extremes being all at 0 or 1.
  k = percentiles(luma, n, 0, 1 / LUMA_BINS, CHANNEL_PERCENTILES, out, k);
  const lumaMean = lumaSum / n / LUMA_BINS;
  out[k++] = luma[0]! / n;
  out[k++] = shareBelow(luma, n, (2 / 255) * LUMA_BINS);
  out[k++] = luma[LUMA_BINS - 1]! / n;
  out[k++] = 1 - shareBelow(luma, n, (253 / 255) * LUMA_BINS);
  out[k++] = lumaMean;
  out[k++] = Math.sqrt(Math.max(0, lumaSquares / n / LUMA_BINS ** 2 - lumaMean * lumaMean));
  for (const hist of [redGreen, blueGreen, chroma]) {
    const lo = hist === chroma ? 0 : -1;
    k = percentiles(hist, n, lo, 1 / 255, CHROMA_PERCENTILES, out, k);
    out[k++] = moments(hist, n, lo, 1 / 255).mean;
  }

  // The colour of the brightest 5%, the darkest 5% and the middle half, chosen by luma bin.
  const top = lumaBin(luma, n, 0.05, true);
  const bottom = lumaBin(luma, n, 0.05, false);
  const q1 = lumaBin(luma, n, 0.25, false);
  const q3 = lumaBin(luma, n, 0.75, false);
  const groups = [new Float64Array(4), new Float64Array(4), new Float64Array(4)];
  for (let l = 0; l < LUMA_BINS; l++) {
    if (luma[l] === 0) continue;
    const group =
      l >= top ? groups[0]! : l <= bottom ? groups[1]! : l >= q1 && l <= q3 ? groups[2]! : undefined;
    if (!group) continue;
    group[0]! += binRed[l]!;
    group[1]! += binGreen[l]!;
    group[2]! += binBlue[l]!;
    group[3]! += luma[l]!;
  }
  for (const group of groups) {
    const count = Math.max(1, group[3]!) * 255;
    const r = group[0]! / count;
    const g = group[1]! / count;
    const b = group[2]! / count;
    out[k++] = r;
    out[k++] = g;
    out[k++] = b;
    out[k++] = r - g;
    out[k++] = b - g;
  }
  return out;
}

/** The share of pixels in bins below `edge` (a bin index, fractional allowed: bins wholly below count). */
function shareBelow(hist: Uint32Array, count: number, edge: number): number {
  let seen = 0;
  for (let b = 0; b < Math.min(hist.length, Math.ceil(edge)); b++) seen += hist[b]!;
  return seen / count;
}
