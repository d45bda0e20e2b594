/**
 * The preview's scopes, computed on the server from the graded picture and sent to the page as
 * small intensity images (one byte a cell, row 0 on top) that the page colours and draws.
 *
 * The picture is first sampled on a grid ({@link sampleForScopes}: every `step`-th pixel of every
 * `step`-th row, at most {@link SCOPE_SAMPLE_WIDTH} across), so a scope costs the same whatever
 * the preview's size, a few tens of thousands of pixels.
 *
 * - `waveform`: per column of the picture, a histogram of Rec. 709 luma (Y' from the gamma-encoded
 *   full-range values) in {@link WAVEFORM_LEVELS} levels; 0 at the bottom, 255 at the top.
 * - `parade`: the same for R, G and B, side by side (in that order), each {@link PARADE_COLUMNS}
 *   columns at most.
 * - `vectorscope`: a 2D histogram of Rec. 709 Cb (left to right) and Cr (bottom to top), each
 *   from -0.5 to 0.5 over {@link VECTORSCOPE_SIZE} cells; neutral colours fall on the centre cell.
 *
 * A cell's byte grows with the square root of its share of samples, saturating at 255, so that a
 * single sample is still visible beside a flat area (a scope's phosphor does the same).
 */

export const SCOPE_KINDS = ['waveform', 'parade', 'vectorscope'] as const;
export type ScopeKind = (typeof SCOPE_KINDS)[number];

/** The sampled picture's width at most (columns of the waveform). */
export const SCOPE_SAMPLE_WIDTH = 256;
export const WAVEFORM_LEVELS = 128;
export const PARADE_COLUMNS = 128;
/** Odd, so that the centre (neutral) is one cell. */
export const VECTORSCOPE_SIZE = 127;

/** A cell saturates at this share of its column's samples (waveforms). */
const WAVEFORM_SATURATION = 1 / 16;
/** A cell saturates at this share of all samples (vectorscope). */
const VECTORSCOPE_SATURATION = 1 / 1024;

const KR = 0.2126;
const KG = 0.7152;
const KB = 0.0722;

/** An rgb24 picture sampled for the scopes. */
export interface ScopeSample {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

/** One scope as an intensity image: `width` x `height` bytes, row 0 on top. */
export interface Scope {
  readonly kind: ScopeKind;
  readonly width: number;
  readonly height: number;
  readonly data: Uint8Array;
}

export function isScopeKind(kind: unknown): kind is ScopeKind {
  return typeof kind === 'string' && (SCOPE_KINDS as readonly string[]).includes(kind);
}

/**
 * Samples an rgb24 picture on a grid of one pixel in `step` each way, `step` the smallest that
 * makes it at most {@link SCOPE_SAMPLE_WIDTH} wide; into `into` when it is large enough.
 */
export function sampleForScopes(
  src: Uint8Array,
  width: number,
  height: number,
  into?: Uint8Array,
): ScopeSample {
  const step = Math.max(1, Math.ceil(width / SCOPE_SAMPLE_WIDTH));
  const w = Math.floor(width / step);
  const h = Math.floor(height / step);
  const data = into && into.length >= w * h * 3 ? into.subarray(0, w * h * 3) : new Uint8Array(w * h * 3);
  let o = 0;
  for (let y = 0; y < h; y++) {
    let i = y * step * width * 3;
    for (let x = 0; x < w; x++, i += step * 3, o += 3) {
      data[o] = src[i]!;
      data[o + 1] = src[i + 1]!;
      data[o + 2] = src[i + 2]!;
    }
  }
  return { width: w, height: h, data };
}

/** Counts to bytes: sqrt of the share of `full`, 255 at `saturation`. */
function toIntensity(counts: Uint32Array, full: number, saturation: number, out: Uint8Array): void {
  const scale = 1 / (full * saturation);
  for (let i = 0; i < counts.length; i++) {
    const c = counts[i]!;
    out[i] = c === 0 ? 0 : Math.min(255, Math.round(255 * Math.sqrt(c * scale)));
  }
}

/**
 * Waveform histograms of one value per sample (`value(i)`, 0..255, `i` the sample's byte offset),
 * in `columns` columns, written at column offset `x0` of an image `stride` cells wide.
 */
function waveformInto(
  sample: ScopeSample,
  columns: number,
  value: (d: Uint8Array, i: number) => number,
  counts: Uint32Array,
  stride: number,
  x0: number,
): void {
  const { width, height, data } = sample;
  const shift = Math.log2(256 / WAVEFORM_LEVELS);
  for (let y = 0; y < height; y++) {
    for (let x = 0, i = y * width * 3; x < width; x++, i += 3) {
      const column = x0 + Math.floor((x * columns) / width);
      const row = WAVEFORM_LEVELS - 1 - (value(data, i) >> shift);
      counts[row * stride + column]!++;
    }
  }
}

const luma = (d: Uint8Array, i: number): number => Math.round(KR * d[i]! + KG * d[i + 1]! + KB * d[i + 2]!);

/** One scope of a sampled picture. */
export function computeScope(kind: ScopeKind, sample: ScopeSample): Scope {
  const samples = sample.width * sample.height;
  if (kind === 'vectorscope') {
    const n = VECTORSCOPE_SIZE;
    const counts = new Uint32Array(n * n);
    const d = sample.data;
    for (let i = 0; i < samples * 3; i += 3) {
      const r = d[i]! / 255;
      const g = d[i + 1]! / 255;
      const b = d[i + 2]! / 255;
      const y = KR * r + KG * g + KB * b;
      const cb = (b - y) / (2 * (1 - KB));
      const cr = (r - y) / (2 * (1 - KR));
      const x = Math.round((cb + 0.5) * (n - 1));
      const row = Math.round((0.5 - cr) * (n - 1));
      counts[row * n + x]!++;
    }
    const data = new Uint8Array(n * n);
    toIntensity(counts, samples, VECTORSCOPE_SATURATION, data);
    return { kind, width: n, height: n, data };
  }
  if (kind === 'waveform') {
    const columns = sample.width;
    const counts = new Uint32Array(columns * WAVEFORM_LEVELS);
    waveformInto(sample, columns, luma, counts, columns, 0);
    const data = new Uint8Array(counts.length);
    toIntensity(counts, sample.height, WAVEFORM_SATURATION, data);
    return { kind, width: columns, height: WAVEFORM_LEVELS, data };
  }
  const columns = Math.min(sample.width, PARADE_COLUMNS);
  const stride = columns * 3;
  const counts = new Uint32Array(stride * WAVEFORM_LEVELS);
  for (let c = 0; c < 3; c++) waveformInto(sample, columns, (d, i) => d[i + c]!, counts, stride, c * columns);
  const data = new Uint8Array(counts.length);
  // A parade column gathers the samples of width / columns picture columns.
  toIntensity(counts, (sample.height * sample.width) / columns, WAVEFORM_SATURATION, data);
  return { kind, width: stride, height: WAVEFORM_LEVELS, data };
}
