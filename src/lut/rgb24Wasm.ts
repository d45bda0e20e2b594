/**
 * An RGB `Lut3d` applied to rgb24 pixels in WebAssembly SIMD (Node 20 runs it as is): the live
 * preview grades every frame it shows with it, on Node's main thread.
 *
 * Exact: the bytes are those of the JavaScript kernel this replaces, because the arithmetic is
 * that kernel's, in double precision, operation for operation. Per pixel: each 8-bit value v has
 * the lattice position f = v / 255 * (size - 1), a cell (floor(f), at most size - 2) and the
 * fraction into it, rounded to single precision; a table per axis holds, for each v, the fraction
 * (f64), the cell as a byte offset into the LUT, and the fraction's bits as an integer (which
 * order like the fractions: they are never negative). The tetrahedron is the one `sampleLut` and
 * ffmpeg's haldclut pick, by `sampleLut`'s five comparisons of the fractions: their results key
 * a 32-entry table of the two middle corners' offsets, so that equal fractions pick the same
 * corners too (which matters only where a LUT holds infinities or NaN). The weights are the
 * fractions in descending order f1 >= f2 >= f3 (max, median and min, by pmin and pmax, in both
 * lanes of a vector): 1 - f1, f1 - f2, f2 - f3 and f3. A corner's R, G, B are promoted from the
 * LUT's single precision into two f64x2, (R, G) and (B, 0), and the four corners summed in
 * `sampleLut`'s order; out = sum * 255 + 0.5, truncated and clamped to 0-255 by saturating
 * conversions (NaN gives 0, as a Uint8Array store does). A pixel the colour of the one before it
 * reuses its result.
 *
 * Memory: the tables (from address 0), the LUT as `Lut3d.data` holds it (12 bytes a point,
 * copied in per call), the source picture and the output picture, which a call copies in and out
 * (about 0.1 ms both for 960x540). It is sized on first use, for that picture and a LUT of 65^3
 * (or the one given, if larger), and grows only when a picture or a LUT arrives that does not
 * fit: never per call.
 */
import type { Lut3d } from '../correction/lut3d.js';
import { assembleModule, type WasmFunctionSource } from './wasm/assemble.js';
import { wasm, type WasmModule } from './yuv420Wasm.js';

/** One axis-table entry: the fraction (f64), the cell's byte offset in the LUT, the fraction as f32. */
const AXIS_ENTRY = 16;
const AXIS_BYTES = 256 * AXIS_ENTRY;
/** After the three axis tables: per key (the five comparisons), the byte offsets of corners A and B. */
const CORNERS_AT = 3 * AXIS_BYTES;
const CORNER_KEYS = 32;
const TABLES_BYTES = CORNERS_AT + CORNER_KEYS * 8;
/** One lattice point: R, G, B as f32, as `Lut3d.data` holds them. */
const POINT_BYTES = 12;
/** The LUT size memory is first sized for, so that a LUT of another usual size fits as well. */
const RESERVED_LUT_SIZE = 65;
const PAGE = 65536;
const MAX_PAGES = 16384;

/**
 * (R, G) and (B, 0) of the corner at `at`, times the weight in `w`, added to `rg` and `b0`
 * (`first`: set instead).
 */
function corner(at: string, first = false): string {
  const accumulate = (sum: string): string =>
    first ? `local.set ${sum}` : `local.get ${sum}\n f64x2.add\n local.set ${sum}`;
  return `
    local.get w
    local.get ${at}
    v128.load64_zero
    f64x2.promote_low_f32x4
    f64x2.mul
    ${accumulate('rg')}
    local.get w
    local.get ${at}
    v128.load32_zero offset=8
    f64x2.promote_low_f32x4
    f64x2.mul
    ${accumulate('b0')}`;
}

/** Where the pixel's channel `channel` (0-2) has its entry in that channel's axis table: v * 16. */
function entry(channel: number, into: string): string {
  return `
    local.get src
    i32.load8_u offset=${channel}
    i32.const 4
    i32.shl
    local.set ${into}`;
}

const applyFunction: WasmFunctionSource = {
  name: 'applyRgb24',
  params: [
    ['lut', 'i32'],
    ['off111', 'i32'],
    ['src', 'i32'],
    ['dst', 'i32'],
    ['pixels', 'i32'],
  ],
  results: [],
  locals: [
    ['end', 'i32'],
    ['x', 'i32'],
    ['prev', 'i32'],
    ['er', 'i32'],
    ['eg', 'i32'],
    ['eb', 'i32'],
    ['kr', 'i32'],
    ['kg', 'i32'],
    ['kb', 'i32'],
    ['base', 'i32'],
    ['corners', 'i32'],
    ['at', 'i32'],
    ['f1', 'v128'],
    ['f2', 'v128'],
    ['f3', 'v128'],
    ['w', 'v128'],
    ['rg', 'v128'],
    ['b0', 'v128'],
    ['out', 'v128'],
  ],
  body: `
    local.get pixels
    i32.const 3
    i32.mul
    local.get src
    i32.add
    local.set end
    i32.const -1
    local.set prev
    block $done
      local.get pixels
      i32.eqz
      br_if $done
      loop $pixels
        ;; x = r | g << 8 | b << 16 (the load reads a byte past the pixel: the picture is padded)
        local.get src
        i32.load
        i32.const 16777215
        i32.and
        local.tee x
        local.get prev
        i32.ne
        if
          local.get x
          local.set prev
          ${entry(0, 'er')}
          ${entry(1, 'eg')}
          ${entry(2, 'eb')}
          local.get er
          i32.load offset=12
          local.set kr
          local.get eg
          i32.load offset=${AXIS_BYTES + 12}
          local.set kg
          local.get eb
          i32.load offset=${2 * AXIS_BYTES + 12}
          local.set kb
          ;; base = the cell's corner 000
          local.get er
          i32.load offset=8
          local.get eg
          i32.load offset=${AXIS_BYTES + 8}
          i32.add
          local.get eb
          i32.load offset=${2 * AXIS_BYTES + 8}
          i32.add
          local.get lut
          i32.add
          local.set base
          ;; corners = the entry keyed by dr > dg, dg > db, dr > db, db > dg, db > dr (bits 0-4)
          local.get kr
          local.get kg
          i32.gt_u
          local.get kg
          local.get kb
          i32.gt_u
          i32.const 1
          i32.shl
          i32.or
          local.get kr
          local.get kb
          i32.gt_u
          i32.const 2
          i32.shl
          i32.or
          local.get kb
          local.get kg
          i32.gt_u
          i32.const 3
          i32.shl
          i32.or
          local.get kb
          local.get kr
          i32.gt_u
          i32.const 4
          i32.shl
          i32.or
          i32.const 3
          i32.shl
          local.set corners
          ;; f1 = max, f2 = median, f3 = min of the fractions, each in both lanes
          local.get er
          v128.load64_splat
          local.tee w
          local.get eg
          v128.load64_splat offset=${AXIS_BYTES}
          local.tee f3
          f64x2.pmax
          local.set f1
          local.get w
          local.get f3
          f64x2.pmin
          local.set f3
          local.get eb
          v128.load64_splat offset=${2 * AXIS_BYTES}
          local.set w
          local.get f1
          local.get w
          f64x2.pmin
          local.get f3
          f64x2.pmax
          local.set f2
          local.get f1
          local.get w
          f64x2.pmax
          local.set f1
          local.get f3
          local.get w
          f64x2.pmin
          local.set f3
          ;; corner 000, weight 1 - f1
          f64.const 1
          f64x2.splat
          local.get f1
          f64x2.sub
          local.set w
          ${corner('base', true)}
          ;; corner A, weight f1 - f2
          local.get corners
          i32.load offset=${CORNERS_AT}
          local.get base
          i32.add
          local.set at
          local.get f1
          local.get f2
          f64x2.sub
          local.set w
          ${corner('at')}
          ;; corner B, weight f2 - f3
          local.get corners
          i32.load offset=${CORNERS_AT + 4}
          local.get base
          i32.add
          local.set at
          local.get f2
          local.get f3
          f64x2.sub
          local.set w
          ${corner('at')}
          ;; corner 111, weight f3
          local.get base
          local.get off111
          i32.add
          local.set at
          local.get f3
          local.set w
          ${corner('at')}
          ;; out = sum * 255 + 0.5, truncated (R, G, B, 0 as i32), clamped by the saturating narrows
          f64.const 255
          f64x2.splat
          local.set w
          local.get rg
          local.get w
          f64x2.mul
          f64.const 0.5
          f64x2.splat
          f64x2.add
          i32x4.trunc_sat_f64x2_s_zero
          local.get b0
          local.get w
          f64x2.mul
          f64.const 0.5
          f64x2.splat
          f64x2.add
          i32x4.trunc_sat_f64x2_s_zero
          i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
          local.tee out
          local.get out
          i16x8.narrow_i32x4_s
          local.tee out
          local.get out
          i8x16.narrow_i16x8_u
          local.set out
        end
        local.get dst
        local.get out
        v128.store16_lane 0
        local.get dst
        local.get out
        v128.store8_lane offset=2 2
        local.get dst
        i32.const 3
        i32.add
        local.set dst
        local.get src
        i32.const 3
        i32.add
        local.tee src
        local.get end
        i32.lt_u
        br_if $pixels
      end
    end`,
};

let compiled: WasmModule | undefined;

function rgb24Module(): WasmModule {
  compiled ??= new wasm.Module(
    assembleModule({ memory: { initial: 1, maximum: MAX_PAGES }, functions: [applyFunction] }),
  );
  return compiled;
}

interface Exports {
  readonly memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  applyRgb24(lut: number, off111: number, src: number, dst: number, pixels: number): void;
}

/** The kernel, with its own WebAssembly instance and memory. */
export class WasmRgb24Lut {
  private readonly exports: Exports;
  private heap: Uint8Array;
  private tablesFor = 0;
  private lutPoints = 0;
  private pixels = 0;
  private lutAt = 0;
  private srcAt = 0;
  private dstAt = 0;

  constructor() {
    this.exports = new wasm.Instance(rgb24Module(), {}).exports as unknown as Exports;
    this.heap = new Uint8Array(this.exports.memory.buffer);
  }

  /** Bytes of memory the kernel holds. */
  get memoryBytes(): number {
    return this.exports.memory.buffer.byteLength;
  }

  /**
   * Applies `lut` to the first `pixels` rgb24 pixels of `src`, writing them to `dst` (which may be
   * `src`); bytes of `dst` after them are left as they are.
   */
  apply(lut: Lut3d, src: Uint8Array, dst: Uint8Array, pixels: number): void {
    const n = lut.size;
    const bytes = pixels * 3;
    if (!Number.isInteger(n) || n < 2 || n > 256) {
      throw new RangeError(`Expected integer between 2 and 256 for LUT size but received ${n}`);
    }
    if (lut.data.length !== n * n * n * 3) {
      throw new RangeError(
        `Expected ${n * n * n * 3} values for a LUT of size ${n} but received ${lut.data.length}`,
      );
    }
    if (!Number.isInteger(pixels) || pixels < 0) {
      throw new RangeError(`Expected a non-negative integer for pixels but received ${pixels}`);
    }
    for (const [name, picture] of [
      ['src', src],
      ['dst', dst],
    ] as const) {
      if (picture.length < bytes) {
        throw new RangeError(
          `Expected at least ${bytes} bytes (${pixels} rgb24 pixels) for ${name} but received ${picture.length}`,
        );
      }
    }
    this.reserve(n * n * n, pixels);
    this.fillTables(n);
    const heap = this.heap;
    new Float32Array(heap.buffer, this.lutAt, n * n * n * 3).set(lut.data);
    heap.set(src.subarray(0, bytes), this.srcAt);
    const s = POINT_BYTES;
    this.exports.applyRgb24(this.lutAt, s + s * n + s * n * n, this.srcAt, this.dstAt, pixels);
    dst.set(heap.subarray(this.dstAt, this.dstAt + bytes));
  }

  /** Lays memory out for a LUT of `points` and `pixels`, growing it when they do not fit. */
  private reserve(points: number, pixels: number): void {
    if (points <= this.lutPoints && pixels <= this.pixels) return;
    const lutPoints = Math.max(points, this.lutPoints, RESERVED_LUT_SIZE ** 3);
    const picture = Math.max(pixels, this.pixels);
    // Padded: the kernel reads 4 bytes for a pixel's 3.
    const lutAt = align(TABLES_BYTES);
    const srcAt = lutAt + align(lutPoints * POINT_BYTES);
    const dstAt = srcAt + align(picture * 3 + 1);
    const pages = Math.ceil((dstAt + align(picture * 3)) / PAGE);
    if (pages > MAX_PAGES) {
      throw new RangeError(
        `A LUT of ${points} points and ${pixels} pixels need ${pages} pages of memory, more than the kernel's ${MAX_PAGES}`,
      );
    }
    const memory = this.exports.memory;
    const more = pages - memory.buffer.byteLength / PAGE;
    if (more > 0) memory.grow(more);
    this.heap = new Uint8Array(memory.buffer);
    this.lutPoints = lutPoints;
    this.pixels = picture;
    this.lutAt = lutAt;
    this.srcAt = srcAt;
    this.dstAt = dstAt;
  }

  /** The axis tables and the corner table for LUTs of `size` (kept while the size stays). */
  private fillTables(size: number): void {
    if (this.tablesFor === size) return;
    const buffer = this.heap.buffer;
    const f64 = new Float64Array(buffer, 0, CORNERS_AT / 8);
    const i32 = new Int32Array(buffer, 0, TABLES_BYTES / 4);
    const f32 = new Float32Array(buffer, 0, CORNERS_AT / 4);
    const max = size - 1;
    const sr = POINT_BYTES;
    const sg = sr * size;
    const sb = sg * size;
    const strides = [sr, sg, sb];
    for (let v = 0; v < 256; v++) {
      const f = (v / 255) * max;
      const cell = Math.min(Math.floor(f), max - 1);
      const fraction = Math.fround(f - cell);
      strides.forEach((stride, axis) => {
        const at = (axis * AXIS_BYTES + v * AXIS_ENTRY) / 4;
        f64[at / 2] = fraction;
        i32[at + 2] = cell * stride;
        f32[at + 3] = fraction;
      });
    }
    for (let key = 0; key < CORNER_KEYS; key++) {
      const [rg, gb, rb, bg, br] = [1, 2, 4, 8, 16].map((bit) => (key & bit) !== 0);
      // sampleLut's choice, from the same comparisons.
      let a: number, b: number;
      if (rg) {
        if (gb) [a, b] = [sr, sr + sg];
        else if (rb) [a, b] = [sr, sr + sb];
        else [a, b] = [sb, sr + sb];
      } else if (bg) [a, b] = [sb, sg + sb];
      else if (br) [a, b] = [sg, sg + sb];
      else [a, b] = [sg, sr + sg];
      i32[CORNERS_AT / 4 + key * 2] = a;
      i32[CORNERS_AT / 4 + key * 2 + 1] = b;
    }
    this.tablesFor = size;
  }
}

let shared: WasmRgb24Lut | undefined;

/**
 * Applies a LUT to `pixels` rgb24 pixels of `src` into `dst` (which may be `src`), with
 * tetrahedral interpolation (as `sampleLut` and ffmpeg's `haldclut`), rounded half up and clamped
 * to 0-255, in one `WasmRgb24Lut` shared by every caller (Node's main thread runs one at a time).
 */
export function applyLutRgb24(lut: Lut3d, src: Uint8Array, dst: Uint8Array, pixels: number): void {
  shared ??= new WasmRgb24Lut();
  shared.apply(lut, src, dst, pixels);
}

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}
