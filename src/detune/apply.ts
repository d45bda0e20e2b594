/**
 * Applies detunes to interleaved RGB frames (rgb24 in a Uint8Array, rgb48 in a Uint16Array).
 *
 * Definition (docs/detunes.md): each value is scaled to [0, 1] (x / 255, or x / 65535 for
 * 16 bits), the family's formula is applied with L = amount / 3, the result is clipped to [0, 1]
 * and rounded to the nearest integer of the bit depth (half up). Several detunes are applied in
 * table order whatever order they are given in, and each one's result is clipped and rounded before
 * the next, as if each were rendered in turn.
 *
 *   green           G = G (1 + 0.30 L)
 *   blue            B = B (1 + 0.30 L)
 *   orange          R = R (1 + 0.30 L); G = G (1 + 0.12 L)
 *   black-high      x = b + (1 - b) x,  b = 0.12 L
 *   black-low       x = (x - b) / (1 - b),  b = 0.08 L
 *   white-low       x = x (1 - 0.30 L)
 *   contrast-high   x = 0.5 + (x - 0.5)(1 + 0.6 L)
 *   saturation-low  Y = 0.2126 R + 0.7152 G + 0.0722 B; x = Y + (x - Y)(1 - 0.6 L)
 *
 * Kernel. Every family but saturation-low maps each channel on its own, so each becomes one lookup
 * table per channel (256 or 65536 entries), built once per detune list, never per pixel. Because
 * every step is rounded back to the bit depth, running the tables one after another is exactly
 * table composition: all per-channel detunes fold into one table per channel (lut2[lut1[x]]).
 * saturation-low mixes channels and is the last family, so it runs per pixel after the tables, in
 * the same pass. An amount of 0 is dropped (identity, exact), and a list that leaves nothing to do
 * copies src to dst.
 */
import { UsageError, describeValue } from '../util/errors.js';
import { type Detune, type DetuneFamily, sortDetunes, validateDetune } from './families.js';

type Channel = (x: number) => number;

/**
 * The per-channel formula of a detune on values in [0, 1], before clipping, for R, G and B; null
 * where the detune leaves that channel alone. saturation-low has none (it mixes channels).
 */
function channelFormulas(
  family: Exclude<DetuneFamily, 'saturation-low'>,
  L: number,
): [Channel | null, Channel | null, Channel | null] {
  switch (family) {
    case 'green': {
      const s = 1 + 0.3 * L;
      return [null, (x) => x * s, null];
    }
    case 'blue': {
      const s = 1 + 0.3 * L;
      return [null, null, (x) => x * s];
    }
    case 'orange': {
      const sr = 1 + 0.3 * L;
      const sg = 1 + 0.12 * L;
      return [(x) => x * sr, (x) => x * sg, null];
    }
    case 'black-high': {
      const b = 0.12 * L;
      const f: Channel = (x) => b + (1 - b) * x;
      return [f, f, f];
    }
    case 'black-low': {
      const b = 0.08 * L;
      const f: Channel = (x) => (x - b) / (1 - b);
      return [f, f, f];
    }
    case 'white-low': {
      const s = 1 - 0.3 * L;
      const f: Channel = (x) => x * s;
      return [f, f, f];
    }
    case 'contrast-high': {
      const s = 1 + 0.6 * L;
      const f: Channel = (x) => 0.5 + (x - 0.5) * s;
      return [f, f, f];
    }
  }
}

/** Clips to [0, 1] and rounds to the nearest integer of the bit depth whose largest value is `max`. */
function quantize(v: number, max: number): number {
  return Math.round((v < 0 ? 0 : v > 1 ? 1 : v) * max);
}

type Table = Uint8Array | Uint16Array;

interface Plan {
  /** One composed table per channel, or null where all detunes are saturation-low or identity. */
  readonly tables: readonly [Table, Table, Table] | null;
  /** The factor (1 - 0.6 L) of each saturation-low, in order. */
  readonly saturation: readonly number[];
  /** x / max for every code value: the exact scaling of the definition, looked up instead of divided. */
  readonly scale: Float64Array;
}

function identityTable(max: number): Table {
  const t = max === 255 ? new Uint8Array(256) : new Uint16Array(max + 1);
  for (let i = 0; i <= max; i++) t[i] = i;
  return t;
}

function plan(detunes: readonly Detune[], max: number): Plan {
  const checked = detunes.map(validateDetune);
  let tables: [Table, Table, Table] | null = null;
  const saturation: number[] = [];
  const scale = new Float64Array(max + 1);
  for (let i = 0; i <= max; i++) scale[i] = i / max;
  for (const { family, amount } of sortDetunes(checked)) {
    if (amount === 0) continue;
    const L = amount / 3;
    if (family === 'saturation-low') {
      saturation.push(1 - 0.6 * L);
      continue;
    }
    // Per-channel detunes all come before saturation-low in table order, so they compose first.
    tables ??= [identityTable(max), identityTable(max), identityTable(max)];
    const formulas = channelFormulas(family, L);
    for (let c = 0; c < 3; c++) {
      const f = formulas[c];
      if (!f) continue;
      const step = max === 255 ? new Uint8Array(256) : new Uint16Array(max + 1);
      for (let i = 0; i <= max; i++) step[i] = quantize(f(scale[i]!), max);
      const t = tables[c]!;
      for (let i = 0; i <= max; i++) t[i] = step[t[i]!]!;
    }
  }
  return { tables, saturation, scale };
}

function checkBuffers(src: Table, dst: Table, format: string): void {
  if (src.length % 3 !== 0) {
    throw new UsageError(
      'E_USAGE',
      `Expected ${format} data (length a multiple of 3) for src but received length ${describeValue(src.length)}`,
    );
  }
  if (dst.length !== src.length) {
    throw new UsageError('E_USAGE', `dst length (${dst.length}) does not match src length (${src.length})`);
  }
}

/** Runs a plan over a frame; src and dst may be the same array. */
function run(p: Plan, src: Table, dst: Table, max: number): void {
  const n = src.length;
  const { tables, saturation, scale } = p;
  if (saturation.length === 0) {
    if (tables === null) {
      if (dst !== src) dst.set(src);
      return;
    }
    const [tr, tg, tb] = tables;
    for (let i = 0; i < n; i += 3) {
      dst[i] = tr[src[i]!]!;
      dst[i + 1] = tg[src[i + 1]!]!;
      dst[i + 2] = tb[src[i + 2]!]!;
    }
    return;
  }
  for (let i = 0; i < n; i += 3) {
    let R = src[i]!;
    let G = src[i + 1]!;
    let B = src[i + 2]!;
    if (tables !== null) {
      R = tables[0][R]!;
      G = tables[1][G]!;
      B = tables[2][B]!;
    }
    for (const k of saturation) {
      const r = scale[R]!;
      const g = scale[G]!;
      const b = scale[B]!;
      const Y = 0.2126 * r + 0.7152 * g + 0.0722 * b;
      R = quantize(Y + (r - Y) * k, max);
      G = quantize(Y + (g - Y) * k, max);
      B = quantize(Y + (b - Y) * k, max);
    }
    dst[i] = R;
    dst[i + 1] = G;
    dst[i + 2] = B;
  }
}

/**
 * Compiles a detune list for rgb24 frames: the tables are built once, and the returned kernel can be
 * run on any number of frames of any size. Throws `UsageError` (E_USAGE) for a bad family or amount.
 */
export function compileDetunes(detunes: readonly Detune[]): (src: Uint8Array, dst: Uint8Array) => void {
  const p = plan(detunes, 255);
  return (src, dst) => {
    checkBuffers(src, dst, 'rgb24');
    run(p, src, dst, 255);
  };
}

/** `compileDetunes` for rgb48 frames (16 bits per value, tables of 65536 entries). */
export function compileDetunes16(detunes: readonly Detune[]): (src: Uint16Array, dst: Uint16Array) => void {
  const p = plan(detunes, 65535);
  return (src, dst) => {
    checkBuffers(src, dst, 'rgb48');
    run(p, src, dst, 65535);
  };
}

/**
 * Applies detunes to an rgb24 frame (interleaved R, G, B bytes, any width x height) in table order,
 * each rounded to 8 bits before the next. src and dst may be the same array.
 */
export function applyDetunes(src: Uint8Array, dst: Uint8Array, detunes: readonly Detune[]): void {
  compileDetunes(detunes)(src, dst);
}

/** Applies one detune to an rgb24 frame. src and dst may be the same array. */
export function applyDetune(src: Uint8Array, dst: Uint8Array, detune: Detune): void {
  compileDetunes([detune])(src, dst);
}

/** Applies detunes to an rgb48 frame (Uint16Array, values scaled by 65535). src and dst may be the same array. */
export function applyDetunes16(src: Uint16Array, dst: Uint16Array, detunes: readonly Detune[]): void {
  compileDetunes16(detunes)(src, dst);
}

/**
 * The composed per-channel tables of the per-channel detunes in a list (256 entries each), for
 * exporting a correction as a 1D LUT or checking it; saturation-low, which mixes channels, is
 * reported apart as its factors (1 - 0.6 L) in order.
 */
export function detuneTables(detunes: readonly Detune[]): {
  readonly r: Uint8Array;
  readonly g: Uint8Array;
  readonly b: Uint8Array;
  readonly saturation: readonly number[];
} {
  const p = plan(detunes, 255);
  const [r, g, b] = (p.tables ?? [identityTable(255), identityTable(255), identityTable(255)]) as [
    Uint8Array,
    Uint8Array,
    Uint8Array,
  ];
  return { r, g, b, saturation: p.saturation };
}

/**
 * The detunes as a continuous colour transform on normalised RGB (each step clipped to [0, 1], not
 * rounded): what `merge` samples into a 3D LUT when the `detune` stage runs on a proxy. The
 * rounded, exact form above is what data sets and `vgrade detune` (at full resolution) use.
 */
export function detuneTransform(
  detunes: readonly Detune[],
): (r: number, g: number, b: number, out: Float32Array) => void {
  const steps = sortDetunes(detunes.map(validateDetune)).filter((d) => d.amount > 0);
  const clip = (v: number): number => (v < 0 ? 0 : v > 1 ? 1 : v);
  return (r, g, b, out) => {
    let c0 = r;
    let c1 = g;
    let c2 = b;
    for (const { family, amount } of steps) {
      const L = amount / 3;
      if (family === 'saturation-low') {
        const y = 0.2126 * c0 + 0.7152 * c1 + 0.0722 * c2;
        const s = 1 - 0.6 * L;
        c0 = clip(y + (c0 - y) * s);
        c1 = clip(y + (c1 - y) * s);
        c2 = clip(y + (c2 - y) * s);
        continue;
      }
      const [fr, fg, fb] = channelFormulas(family, L);
      if (fr) c0 = clip(fr(c0));
      if (fg) c1 = clip(fg(c1));
      if (fb) c2 = clip(fb(c2));
    }
    out[0] = c0;
    out[1] = c1;
    out[2] = c2;
  };
}
