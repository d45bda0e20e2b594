/**
 * The Y'CbCr LUT in WebAssembly SIMD (Node 20 runs it as is): composing a frame's RGB LUT into a
 * `YuvLut`, and grading a yuv420p frame through it, with the same integers as `yuv420.ts`.
 *
 * Grading, per 4:2:0 site: the site's Cb and Cr give the part of the table address and of the
 * weight-table key they share; then each of the four luma samples is one tetrahedral lookup, the
 * three channels of a lattice point travelling together in one 64-bit load (Y', Cb', Cr', 0 as
 * Int16). Two corners share a vector, interleaved by a shuffle, so one `i32x4.dot_i16x8_s` per
 * pair of corners multiplies them by their weights (read with the corner offsets from the weight
 * table) and adds them: four loads, two shuffles, two dot products and an add per lookup, no
 * branch. Y' is stored per pixel; Cb' and Cr' are the rounded mean of the four lookups ('average')
 * or one more lookup at the site's mean Y' ('mean-luma'). Sites of an odd-sized frame's last
 * column or row are left to the JavaScript kernel.
 *
 * Composing, per lattice point: R'G'B' from the point's codes (a sum of one precomputed f32x4 per
 * axis), clipped, the RGB LUT sampled (tetrahedral; the tetrahedron picked by comparing the three
 * positions, as ffmpeg's haldclut and `sampleLut` do), with 'extend' the clipped-off part added
 * back, then the output coding's matrix (prescaled to fixed point), rounded to Int16.
 *
 * Memory is sized once, when the kernel is made for a frame size: the weight table, the Y'CbCr
 * table (up to 65^3), the RGB LUT (up to 65^3), an input and an output frame, which callers
 * may fill and read in place (`input`, `output`) to save the copies, and as many picture buffers
 * as asked for (`pictures`, handed out by `takePicture`): frames there are graded where they lie,
 * in place if asked, with no copy at all. (Memory never grows after that: growing would detach
 * every view of it.)
 */
import type { Lut3d } from '../correction/lut3d.js';
import { assembleModule, type WasmFunctionSource } from './wasm/assemble.js';
import { codingMaps } from './coding.js';
import {
  CHROMA_RULES,
  checkChroma,
  checkFields,
  checkFrames,
  chromaSize,
  gradeSites,
  yuv420Bytes,
  yuv420Frame,
} from './yuv420.js';
import type { ChromaRule, FieldLayout, Yuv420Frame } from './yuv420.js';
import { YUV_LUT_FRACTION_BITS, YUV_LUT_STEPS, tetraTable } from './yuvLut.js';
import type { ComposeOptions, YuvLut, YuvLutStep } from './yuvLut.js';

/** Bytes of one weight-table entry: offA, offB (bytes), 8 spare, weights of corners 0/A and B/111. */
const KEY_BYTES = 48;
const MAX_KEYS = 16 * 16 * 16;
const MAX_POINTS = 65;
/** The module's memory limit (16384 pages of 64 KiB). */
const MAX_MEMORY_BYTES = 16384 * 65536;
/** The largest RGB LUT the kernel composes from. */
export const MAX_RGB_LUT_SIZE = 65;

/** (a0 a1 a2 a3 b0 b1 b2 b3) -> (a0 b0 a1 b1 a2 b2 a3 b3), as Int16 lanes. */
const INTERLEAVE = '0 1 8 9 2 3 10 11 4 5 12 13 6 7 14 15';

/** Constants of one lattice step, baked into that step's kernel. */
function stepConstants(step: YuvLutStep) {
  const shift = Math.log2(step);
  const points = 256 / step + 1;
  const row = points * 8;
  const plane = row * points;
  const total = shift + YUV_LUT_FRACTION_BITS;
  return {
    shift,
    mask: step - 1,
    row,
    plane,
    off111: plane + row + 8,
    keyScale: KEY_BYTES << (2 * shift),
    total,
    round: 1 << (total - 1),
    round4: 1 << (total + 1),
  };
}

/**
 * One tetrahedral lookup of the Y' in local `y` (the site's `lutC` and `keysC` set); leaves the
 * (Y', Cb', Cr', 0) sums on the stack.
 */
function lookup(y: string, k: ReturnType<typeof stepConstants>): string {
  return `
    local.get ${y}
    i32.const ${k.shift}
    i32.shr_u
    i32.const ${k.plane}
    i32.mul
    local.get lutC
    i32.add
    local.set base
    local.get ${y}
    i32.const ${k.mask}
    i32.and
    i32.const ${k.keyScale}
    i32.mul
    local.get keysC
    i32.add
    local.set key
    ;; corners 0 and A, weighted by (w0, wA)
    local.get base
    local.get key
    i32.load
    i32.add
    local.get base
    v128.load64_zero
    v128.load64_lane 1
    local.tee v
    local.get v
    i8x16.shuffle ${INTERLEAVE}
    local.get key
    v128.load offset=16
    i32x4.dot_i16x8_s
    ;; corners B and 111, weighted by (wB, wC)
    local.get base
    i32.const ${k.off111}
    i32.add
    local.get base
    local.get key
    i32.load offset=4
    i32.add
    v128.load64_zero
    v128.load64_lane 1
    local.tee v
    local.get v
    i8x16.shuffle ${INTERLEAVE}
    local.get key
    v128.load offset=32
    i32x4.dot_i16x8_s
    i32x4.add`;
}

/** Lane 0 (4 bytes) of the first vector, lane 0 of the second, then anything. */
const LANE0_PAIR = '0 1 2 3 16 17 18 19 0 1 2 3 16 17 18 19';
/** Bytes 0-7 of the first vector, then bytes 0-7 of the second. */
const LOW_HALVES = '0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23';

/**
 * The kernel for one lattice step and chroma rule: all full 2x2 sites of a frame, row by row.
 * Per site the four lookups' Y' go out together (gathered by shuffles, shifted, and clamped to
 * 0-255 by the two saturating narrows), two bytes per luma row.
 */
function applyFunction(step: YuvLutStep, chroma: ChromaRule): WasmFunctionSource {
  const k = stepConstants(step);
  const meanLuma = chroma === 'mean-luma';
  const load = (addr: string, offset: number, into: string): string => `
    local.get ${addr}
    i32.load8_u offset=${offset}
    local.set ${into}`;
  const chromaOut = meanLuma
    ? `
    ;; Cb', Cr' = the lookup at the site's mean Y'
    local.get y0
    local.get y1
    i32.add
    local.get y2
    i32.add
    local.get y3
    i32.add
    i32.const 2
    i32.add
    i32.const 2
    i32.shr_u
    local.set y0
    ${lookup('y0', k)}
    i32.const ${k.round}
    i32x4.splat
    i32x4.add
    i32.const ${k.total}
    i32x4.shr_s`
    : `
    ;; Cb', Cr' = the mean of the four lookups
    local.get r0
    local.get r1
    i32x4.add
    local.get r2
    i32x4.add
    local.get r3
    i32x4.add
    i32.const ${k.round4}
    i32x4.splat
    i32x4.add
    i32.const ${k.total + 2}
    i32x4.shr_s`;
  return {
    name: `apply420_${step}_${meanLuma ? 'meanLuma' : 'average'}`,
    params: [
      ['lut', 'i32'],
      ['keys', 'i32'],
      ['sy', 'i32'],
      ['scb', 'i32'],
      ['scr', 'i32'],
      ['dy', 'i32'],
      ['dcb', 'i32'],
      ['dcr', 'i32'],
      ['sitesX', 'i32'],
      ['sitesY', 'i32'],
      ['yStride', 'i32'],
      ['cStride', 'i32'],
    ],
    results: [],
    locals: [
      ['cx', 'i32'],
      ['cy', 'i32'],
      ['ci', 'i32'],
      ['s0', 'i32'],
      ['s1', 'i32'],
      ['d0', 'i32'],
      ['d1', 'i32'],
      ['cb', 'i32'],
      ['cr', 'i32'],
      ['lutC', 'i32'],
      ['keysC', 'i32'],
      ['base', 'i32'],
      ['key', 'i32'],
      ['y0', 'i32'],
      ['y1', 'i32'],
      ['y2', 'i32'],
      ['y3', 'i32'],
      ['v', 'v128'],
      ['r0', 'v128'],
      ['r1', 'v128'],
      ['r2', 'v128'],
      ['r3', 'v128'],
    ],
    body: `
    i32.const 0
    local.set cy
    block $done
      local.get sitesX
      i32.eqz
      br_if $done
      local.get sitesY
      i32.eqz
      br_if $done
      loop $rows
        ;; s0/d0: luma row 2 cy, s1/d1: the row below, ci: the site row's chroma index
        local.get cy
        i32.const 2
        i32.mul
        local.get yStride
        i32.mul
        local.tee s0
        local.get dy
        i32.add
        local.tee d0
        local.get yStride
        i32.add
        local.set d1
        local.get s0
        local.get sy
        i32.add
        local.tee s0
        local.get yStride
        i32.add
        local.set s1
        local.get cy
        local.get cStride
        i32.mul
        local.set ci
        i32.const 0
        local.set cx
        loop $sites
          ${load('scb', 0, 'cb').replace('local.get scb', 'local.get scb\n    local.get ci\n    i32.add')}
          ${load('scr', 0, 'cr').replace('local.get scr', 'local.get scr\n    local.get ci\n    i32.add')}
          ;; lutC = lut + (cb >> shift) * row + (cr >> shift) * 8
          local.get cb
          i32.const ${k.shift}
          i32.shr_u
          i32.const ${k.row}
          i32.mul
          local.get cr
          i32.const ${k.shift}
          i32.shr_u
          i32.const 8
          i32.mul
          i32.add
          local.get lut
          i32.add
          local.set lutC
          ;; keysC = keys + (((cb & mask) << shift) | (cr & mask)) * KEY_BYTES
          local.get cb
          i32.const ${k.mask}
          i32.and
          i32.const ${k.shift}
          i32.shl
          local.get cr
          i32.const ${k.mask}
          i32.and
          i32.or
          i32.const ${KEY_BYTES}
          i32.mul
          local.get keys
          i32.add
          local.set keysC
          ${load('s0', 0, 'y0')}
          ${load('s0', 1, 'y1')}
          ${load('s1', 0, 'y2')}
          ${load('s1', 1, 'y3')}
          ${lookup('y0', k)}
          local.set r0
          ${lookup('y1', k)}
          local.set r1
          ${lookup('y2', k)}
          local.set r2
          ${lookup('y3', k)}
          local.set r3
          ;; Y': lane 0 of r0..r3, rounded, shifted, clamped by the saturating narrows
          local.get r0
          local.get r1
          i8x16.shuffle ${LANE0_PAIR}
          local.get r2
          local.get r3
          i8x16.shuffle ${LANE0_PAIR}
          i8x16.shuffle ${LOW_HALVES}
          i32.const ${k.round}
          i32x4.splat
          i32x4.add
          i32.const ${k.total}
          i32x4.shr_s
          local.tee v
          local.get v
          i16x8.narrow_i32x4_s
          local.tee v
          local.get v
          i8x16.narrow_i16x8_u
          local.set v
          local.get d0
          local.get v
          v128.store16_lane 0
          local.get d1
          local.get v
          v128.store16_lane 1
          ${chromaOut}
          local.tee v
          local.get v
          i16x8.narrow_i32x4_s
          local.tee v
          local.get v
          i8x16.narrow_i16x8_u
          local.set v
          local.get dcb
          local.get ci
          i32.add
          local.get v
          v128.store8_lane 1
          local.get dcr
          local.get ci
          i32.add
          local.get v
          v128.store8_lane 2
          ;; next site
          local.get s0
          i32.const 2
          i32.add
          local.set s0
          local.get s1
          i32.const 2
          i32.add
          local.set s1
          local.get d0
          i32.const 2
          i32.add
          local.set d0
          local.get d1
          i32.const 2
          i32.add
          local.set d1
          local.get ci
          i32.const 1
          i32.add
          local.set ci
          local.get cx
          i32.const 1
          i32.add
          local.tee cx
          local.get sitesX
          i32.lt_u
          br_if $sites
        end
        local.get cy
        i32.const 1
        i32.add
        local.tee cy
        local.get sitesY
        i32.lt_u
        br_if $rows
      end
    end`,
  };
}

const APPLY_FUNCTIONS = YUV_LUT_STEPS.flatMap((step) =>
  CHROMA_RULES.map((chroma) => applyFunction(step, chroma)),
);

/** Splats f32 lane `lane` of the vector on the stack. */
const splatLane = (lane: number): string => {
  const b = [0, 1, 2, 3].map((i) => lane * 4 + i).join(' ');
  return `i8x16.shuffle ${b} ${b} ${b} ${b}`;
};

/** Sets f1 >= f2 >= f3 (the positions sorted) and offA/offB (bytes) for one tetrahedron. */
const tetra = (f1: string, f2: string, f3: string, a: string, b1: string, b2: string): string => `
    local.get ${f1}
    local.set f1
    local.get ${f2}
    local.set f2
    local.get ${f3}
    local.set f3
    local.get ${a}
    local.set offA
    local.get ${b1}
    local.get ${b2}
    i32.add
    local.set offB`;

const compose: WasmFunctionSource = {
  name: 'compose',
  params: [
    ['rgb', 'i32'],
    ['n', 'i32'],
    ['out', 'i32'],
    ['points', 'i32'],
    ['terms', 'i32'],
    ['cols', 'i32'],
    ['extend', 'i32'],
  ],
  results: [],
  locals: [
    ['iy', 'i32'],
    ['icb', 'i32'],
    ['icr', 'i32'],
    ['sr', 'i32'],
    ['sg', 'i32'],
    ['sb', 'i32'],
    ['s111', 'i32'],
    ['idx', 'i32'],
    ['offA', 'i32'],
    ['offB', 'i32'],
    ['tcr', 'i32'],
    ['dr', 'f32'],
    ['dg', 'f32'],
    ['db', 'f32'],
    ['f1', 'f32'],
    ['f2', 'f32'],
    ['f3', 'f32'],
    ['max', 'v128'],
    ['hi', 'v128'],
    ['one', 'v128'],
    ['zero', 'v128'],
    ['yb', 'v128'],
    ['v', 'v128'],
    ['c', 'v128'],
    ['f', 'v128'],
    ['i', 'v128'],
    ['d', 'v128'],
    ['res', 'v128'],
  ],
  body: `
    i32.const 16
    local.set sr
    local.get n
    i32.const 16
    i32.mul
    local.tee sg
    local.get n
    i32.mul
    local.set sb
    local.get sr
    local.get sg
    i32.add
    local.get sb
    i32.add
    local.set s111
    f32.const 0
    f32x4.splat
    local.set zero
    ;; max: n - 1 (lattice units of a clipped channel); hi: n - 2 (the last cell's origin)
    local.get n
    i32.const 1
    i32.sub
    i32x4.splat
    f32x4.convert_i32x4_s
    local.set max
    local.get n
    i32.const 2
    i32.sub
    i32x4.splat
    local.set hi
    f32.const 1
    f32x4.splat
    local.set one
    i32.const 0
    local.set iy
    loop $ys
      i32.const 0
      local.set icb
      loop $cbs
        ;; yb = terms[iy] + terms[points + icb]
        local.get terms
        local.get iy
        i32.const 16
        i32.mul
        i32.add
        v128.load
        local.get terms
        local.get points
        local.get icb
        i32.add
        i32.const 16
        i32.mul
        i32.add
        v128.load
        f32x4.add
        local.set yb
        local.get terms
        local.get points
        i32.const 2
        i32.mul
        i32.const 16
        i32.mul
        i32.add
        local.set tcr
        i32.const 0
        local.set icr
        loop $crs
          ;; v = R'G'B' of the point, c = v clipped, f = c in lattice units, i = its cell, d = position
          local.get yb
          local.get tcr
          v128.load
          f32x4.add
          local.tee v
          local.get zero
          f32x4.max
          local.get one
          f32x4.min
          local.tee c
          local.get max
          f32x4.mul
          local.tee f
          i32x4.trunc_sat_f32x4_s
          local.get hi
          i32x4.min_s
          local.set i
          local.get f
          local.get i
          f32x4.convert_i32x4_s
          f32x4.sub
          local.set d
          ;; idx = rgb + ((ib * n + ig) * n + ir) * 16
          local.get i
          i32x4.extract_lane 2
          local.get n
          i32.mul
          local.get i
          i32x4.extract_lane 1
          i32.add
          local.get n
          i32.mul
          local.get i
          i32x4.extract_lane 0
          i32.add
          i32.const 16
          i32.mul
          local.get rgb
          i32.add
          local.set idx
          local.get d
          f32x4.extract_lane 0
          local.set dr
          local.get d
          f32x4.extract_lane 1
          local.set dg
          local.get d
          f32x4.extract_lane 2
          local.set db
          local.get dr
          local.get dg
          f32.gt
          if
            local.get dg
            local.get db
            f32.gt
            if
              ${tetra('dr', 'dg', 'db', 'sr', 'sr', 'sg')}
            else
              local.get dr
              local.get db
              f32.gt
              if
                ${tetra('dr', 'db', 'dg', 'sr', 'sr', 'sb')}
              else
                ${tetra('db', 'dr', 'dg', 'sb', 'sr', 'sb')}
              end
            end
          else
            local.get db
            local.get dg
            f32.gt
            if
              ${tetra('db', 'dg', 'dr', 'sb', 'sg', 'sb')}
            else
              local.get db
              local.get dr
              f32.gt
              if
                ${tetra('dg', 'db', 'dr', 'sg', 'sg', 'sb')}
              else
                ${tetra('dg', 'dr', 'db', 'sg', 'sr', 'sg')}
              end
            end
          end
          ;; res = (1 - f1) c000 + (f1 - f2) cA + (f2 - f3) cB + f3 c111
          local.get idx
          v128.load
          f32.const 1
          local.get f1
          f32.sub
          f32x4.splat
          f32x4.mul
          local.get idx
          local.get offA
          i32.add
          v128.load
          local.get f1
          local.get f2
          f32.sub
          f32x4.splat
          f32x4.mul
          f32x4.add
          local.get idx
          local.get offB
          i32.add
          v128.load
          local.get f2
          local.get f3
          f32.sub
          f32x4.splat
          f32x4.mul
          f32x4.add
          local.get idx
          local.get s111
          i32.add
          v128.load
          local.get f3
          f32x4.splat
          f32x4.mul
          f32x4.add
          local.set res
          local.get extend
          if
            local.get res
            local.get v
            f32x4.add
            local.get c
            f32x4.sub
            local.set res
          end
          ;; out = cols[0] R + cols[1] G + cols[2] B + cols[3], in fixed point, rounded, as Int16
          local.get out
          local.get cols
          v128.load
          local.get res
          local.get res
          ${splatLane(0)}
          f32x4.mul
          local.get cols
          v128.load offset=16
          local.get res
          local.get res
          ${splatLane(1)}
          f32x4.mul
          f32x4.add
          local.get cols
          v128.load offset=32
          local.get res
          local.get res
          ${splatLane(2)}
          f32x4.mul
          f32x4.add
          local.get cols
          v128.load offset=48
          f32x4.add
          f32x4.nearest
          i32x4.trunc_sat_f32x4_s
          local.tee i
          local.get i
          i16x8.narrow_i32x4_s
          v128.store64_lane 0
          local.get out
          i32.const 8
          i32.add
          local.set out
          local.get tcr
          i32.const 16
          i32.add
          local.set tcr
          local.get icr
          i32.const 1
          i32.add
          local.tee icr
          local.get points
          i32.lt_u
          br_if $crs
        end
        local.get icb
        i32.const 1
        i32.add
        local.tee icb
        local.get points
        i32.lt_u
        br_if $cbs
      end
      local.get iy
      i32.const 1
      i32.add
      local.tee iy
      local.get points
      i32.lt_u
      br_if $ys
    end`,
};

/**
 * The little of the WebAssembly API used here. @types/node 20 does not declare it (lib.dom does,
 * which a Node project does not load), so it is typed here and read from globalThis.
 */
export interface WasmModule {
  readonly kind?: 'WebAssembly.Module';
}
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export const wasm = (
  globalThis as unknown as {
    WebAssembly: {
      Module: new (bytes: Uint8Array) => WasmModule;
      Instance: new (module: WasmModule, imports: object) => { readonly exports: unknown };
    };
  }
).WebAssembly;

let compiled: WasmModule | undefined;

/** The module, assembled and compiled on first use. */
export function yuvLutModule(): WasmModule {
  compiled ??= new wasm.Module(
    assembleModule({ memory: { initial: 1, maximum: 16384 }, functions: [...APPLY_FUNCTIONS, compose] }),
  );
  return compiled;
}

interface Exports {
  readonly memory: WasmMemory;
  compose(...args: number[]): void;
  readonly [apply: `apply420_${string}`]: ((...args: number[]) => void) | undefined;
}

/**
 * A kernel for frames of one size: its own WebAssembly instance and memory.
 */
export class WasmYuv420Lut {
  readonly width: number;
  readonly height: number;
  /** The input frame, in the kernel's memory: fill it in place to save a copy. */
  readonly input: Yuv420Frame;
  /** The output frame, in the kernel's memory. */
  readonly output: Yuv420Frame;
  private readonly exports: Exports;
  private readonly keysAt: number;
  private readonly lutAt: number;
  private readonly rgbAt: number;
  private readonly termsAt: number;
  private readonly inputAt: number;
  private readonly outputAt: number;
  private table: YuvLut | undefined;
  private keyStep = 0;
  private readonly picturesAt: number;
  private readonly pictureCount: number;
  private picturesTaken = 0;

  /**
   * A kernel for `width` x `height` frames. `pictures`: buffers of one frame to reserve in the
   * kernel's memory for `takePicture` (as many of them as fit below the module's 1 GiB limit).
   */
  constructor(width: number, height: number, { pictures = 0 }: { readonly pictures?: number } = {}) {
    const bytes = yuv420Bytes(width, height);
    this.width = width;
    this.height = height;
    this.keysAt = 0;
    this.lutAt = this.keysAt + MAX_KEYS * KEY_BYTES;
    this.rgbAt = this.lutAt + align(MAX_POINTS ** 3 * 8);
    this.termsAt = this.rgbAt + MAX_RGB_LUT_SIZE ** 3 * 16;
    this.inputAt = this.termsAt + align(3 * MAX_POINTS * 16 + 4 * 16);
    this.outputAt = this.inputAt + align(bytes);
    this.picturesAt = this.outputAt + align(bytes);
    let count = Math.max(
      0,
      Math.min(pictures, Math.floor((MAX_MEMORY_BYTES - this.picturesAt) / align(bytes))),
    );
    const instance = new wasm.Instance(yuvLutModule(), {});
    this.exports = instance.exports as unknown as Exports;
    const memory = this.exports.memory;
    const grow = (end: number): void => {
      const pages = Math.ceil(end / 65536) - memory.buffer.byteLength / 65536;
      if (pages > 0) memory.grow(pages);
    };
    try {
      grow(this.picturesAt + count * align(bytes));
    } catch (err) {
      // No room for the pictures (a huge frame on a machine short of address space): without
      // them, callers' frames are copied in and out as before.
      if (count === 0) throw err;
      count = 0;
      grow(this.picturesAt);
    }
    this.pictureCount = count;
    const buffer = new Uint8Array(memory.buffer);
    this.input = yuv420Frame(width, height, buffer.subarray(this.inputAt, this.inputAt + bytes));
    this.output = yuv420Frame(width, height, buffer.subarray(this.outputAt, this.outputAt + bytes));
  }

  /** The Y'CbCr LUT in use: the one `load` copied in, or the one `compose` wrote. */
  get lut(): YuvLut | undefined {
    return this.table;
  }

  /** Copies `lut` in. */
  load(lut: YuvLut): void {
    const view = this.tableView(lut.step);
    view.data.set(lut.data);
  }

  /**
   * Composes `rgb` with `options` into a Y'CbCr LUT of lattice step `step`, in the kernel's memory
   * (the same lattice as `composeYuvLut`, in single precision).
   */
  compose(rgb: Lut3d, options: ComposeOptions, step: YuvLutStep): YuvLut {
    const n = rgb.size;
    if (n > MAX_RGB_LUT_SIZE) {
      throw new RangeError(`Expected an RGB LUT of at most ${MAX_RGB_LUT_SIZE}^3 but received ${n}^3`);
    }
    if (options.outOfGamut !== 'extend' && options.outOfGamut !== 'clip') {
      throw new RangeError(
        `Expected extend or clip for outOfGamut but received ${String(options.outOfGamut)}`,
      );
    }
    const view = this.tableView(step);
    const memory = this.exports.memory.buffer;
    const rgbData = new Float32Array(memory, this.rgbAt, n * n * n * 4);
    for (let i = 0, j = 0; i < n * n * n; i++, j += 3) {
      rgbData[i * 4] = rgb.data[j]!;
      rgbData[i * 4 + 1] = rgb.data[j + 1]!;
      rgbData[i * 4 + 2] = rgb.data[j + 2]!;
      rgbData[i * 4 + 3] = 0;
    }
    const { toRgb } = codingMaps(options.coding);
    const { fromRgb } = codingMaps(options.outputCoding ?? options.coding);
    const points = view.points;
    const terms = new Float32Array(memory, this.termsAt, 3 * points * 4 + 4 * 4);
    for (let axis = 0; axis < 3; axis++) {
      for (let i = 0; i < points; i++) {
        for (let c = 0; c < 3; c++) {
          terms[(axis * points + i) * 4 + c] =
            toRgb[c * 4 + axis]! * i * step + (axis === 0 ? toRgb[c * 4 + 3]! : 0);
        }
        terms[(axis * points + i) * 4 + 3] = 0;
      }
    }
    // Columns of the output matrix, then its offset, scaled to fixed point.
    const scale = 1 << YUV_LUT_FRACTION_BITS;
    const colsAt = 3 * points * 4;
    for (let col = 0; col < 4; col++) {
      for (let c = 0; c < 3; c++) terms[colsAt + col * 4 + c] = fromRgb[c * 4 + col]! * scale;
      terms[colsAt + col * 4 + 3] = 0;
    }
    this.exports.compose(
      this.rgbAt,
      n,
      this.lutAt,
      points,
      this.termsAt,
      this.termsAt + colsAt * 4,
      options.outOfGamut === 'extend' ? 1 : 0,
    );
    return view;
  }

  /**
   * One of the picture buffers reserved in the kernel's memory (`yuv420Bytes` of its frame size),
   * or undefined once all are taken: a frame viewed on it (`yuv420Frame`) is graded with no copy.
   * A buffer is taken for good (its owner recycles it).
   */
  takePicture(): Uint8Array | undefined {
    if (this.picturesTaken >= this.pictureCount) return undefined;
    const bytes = yuv420Bytes(this.width, this.height);
    const at = this.picturesAt + this.picturesTaken++ * align(bytes);
    return new Uint8Array(this.exports.memory.buffer, at, bytes);
  }

  /**
   * Grades `src` into `dst` (by default the kernel's own `input` and `output`). Frames whose planes
   * all lie in the kernel's memory (`input`, `output`, `takePicture`'s buffers) are graded where
   * they are, with no copy: `dst` may be `src` itself (in place), but must not otherwise overlap
   * it. Other frames are copied in and out. An interlaced frame (`fields`) is graded field by
   * field (see `yuv420.ts`).
   */
  apply(
    chroma: ChromaRule = 'average',
    src: Yuv420Frame = this.input,
    dst: Yuv420Frame = this.output,
    fields: FieldLayout = 'progressive',
  ): void {
    const lut = this.table;
    if (!lut) throw new Error('No Y\u2032CbCr LUT loaded: call load() or compose() first');
    checkChroma(chroma);
    checkFrames(src, dst);
    checkFields(fields, src.height);
    if (src.width !== this.width || src.height !== this.height) {
      throw new RangeError(
        `Frame size (${src.width}x${src.height}) does not match the kernel's (${this.width}x${this.height})`,
      );
    }
    if (this.inMemory(src) && this.inMemory(dst)) {
      this.grade(lut, chroma, src, dst, fields);
      return;
    }
    const input = this.input;
    if (src !== input) {
      input.y.set(src.y.subarray(0, input.y.length));
      input.cb.set(src.cb.subarray(0, input.cb.length));
      input.cr.set(src.cr.subarray(0, input.cr.length));
    }
    this.grade(lut, chroma, input, this.output, fields);
    if (dst !== this.output) {
      dst.y.set(this.output.y);
      dst.cb.set(this.output.cb);
      dst.cr.set(this.output.cr);
    }
  }

  private inMemory(frame: Yuv420Frame): boolean {
    const memory = this.exports.memory.buffer;
    return frame.y.buffer === memory && frame.cb.buffer === memory && frame.cr.buffer === memory;
  }

  /**
   * The kernel over frames in the kernel's memory. A site's samples are all read before any is
   * written, so `dst` may be `src`. An interlaced frame is graded as its two fields, each a 4:2:0
   * picture on every other line of every plane: the kernel's strides step over the other field.
   */
  private grade(
    lut: YuvLut,
    chroma: ChromaRule,
    src: Yuv420Frame,
    dst: Yuv420Frame,
    fields: FieldLayout,
  ): void {
    const { width, height } = this;
    const c = chromaSize(width, height);
    const sitesX = width >> 1;
    const kernel = this.exports[`apply420_${lut.step}_${chroma === 'mean-luma' ? 'meanLuma' : 'average'}`];
    if (!kernel) throw new Error(`No kernel for step ${lut.step} and chroma ${chroma}`);
    const run = (field: number, sitesY: number, lines: number): void => {
      if (sitesX === 0 || sitesY === 0) return;
      const y = field * width;
      const uv = field * c.width;
      kernel(
        this.lutAt,
        this.keysAt,
        src.y.byteOffset + y,
        src.cb.byteOffset + uv,
        src.cr.byteOffset + uv,
        dst.y.byteOffset + y,
        dst.cb.byteOffset + uv,
        dst.cr.byteOffset + uv,
        sitesX,
        sitesY,
        lines * width,
        lines * c.width,
      );
    };
    if (fields === 'interlaced') {
      // checkFields: the height is a multiple of 4, so each field's sites are whole.
      run(0, height >> 2, 2);
      run(1, height >> 2, 2);
    } else {
      run(0, height >> 1, 1);
    }
    const sitesY = fields === 'interlaced' ? c.height : height >> 1;
    // The last column and row of an odd-sized frame: sites with fewer than four luma samples.
    if (sitesX < c.width) gradeSites(lut, src, dst, chroma, sitesX, c.width, 0, c.height, fields);
    if (sitesY < c.height) gradeSites(lut, src, dst, chroma, 0, sitesX, sitesY, c.height, fields);
  }

  /** The table region viewed as a `YuvLut` of `step`, with the weight table for that step. */
  private tableView(step: YuvLutStep): YuvLut {
    const t = tetraTable(step);
    if (this.keyStep !== step) {
      const memory = this.exports.memory.buffer;
      const keys = step * step * step;
      const ints = new Int32Array(memory, this.keysAt, (keys * KEY_BYTES) / 4);
      const shorts = new Int16Array(memory, this.keysAt, (keys * KEY_BYTES) / 2);
      for (let key = 0; key < keys; key++) {
        const o = (key * KEY_BYTES) / 4;
        ints[o] = t.offA[key]! * 8;
        ints[o + 1] = t.offB[key]! * 8;
        ints[o + 2] = 0;
        ints[o + 3] = 0;
        const w = t.weights.subarray(key * 4, key * 4 + 4);
        for (let lane = 0; lane < 8; lane += 2) {
          shorts[o * 2 + 8 + lane] = w[0]!;
          shorts[o * 2 + 8 + lane + 1] = w[1]!;
          shorts[o * 2 + 16 + lane] = w[2]!;
          shorts[o * 2 + 16 + lane + 1] = w[3]!;
        }
      }
      this.keyStep = step;
    }
    if (this.table?.step !== step) {
      const points = t.points;
      this.table = {
        step,
        shift: Math.log2(step),
        points,
        data: new Int16Array(this.exports.memory.buffer, this.lutAt, points * points * points * 4),
      };
    }
    return this.table;
  }
}

function align(bytes: number): number {
  return Math.ceil(bytes / 64) * 64;
}
