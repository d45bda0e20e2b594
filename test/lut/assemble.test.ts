import { describe, expect, it } from 'vitest';
import { assembleModule, type WasmFunctionSource } from '../../src/lut/wasm/assemble.js';
import { wasm } from '../../src/lut/yuv420Wasm.js';

function instantiate(...functions: WasmFunctionSource[]): Record<string, (...args: number[]) => number> {
  const bytes = assembleModule({ memory: { initial: 1, maximum: 1 }, functions });
  return new wasm.Instance(new wasm.Module(bytes), {}).exports as never;
}

describe('assembleModule', () => {
  it('assembles scalar code with named locals, blocks, loops and labelled branches', () => {
    // sum of 1..n
    const { sum } = instantiate({
      name: 'sum',
      params: [['n', 'i32']],
      results: ['i32'],
      locals: [['total', 'i32']],
      body: `
        block $done
          local.get n
          i32.eqz
          br_if $done
          loop $more
            local.get total
            local.get n
            i32.add
            local.set total   ;; total += n
            local.get n
            i32.const -1
            i32.add
            local.tee n
            br_if $more
          end
        end
        local.get total`,
    });
    expect(sum!(0)).toBe(0);
    expect(sum!(10)).toBe(55);
    expect(sum!(1000)).toBe(500500);
  });

  it('assembles SIMD with lanes, shuffles, constants, memory immediates and an if with a result', () => {
    const { dot, pick } = instantiate(
      {
        name: 'dot',
        params: [
          ['a', 'i32'],
          ['b', 'i32'],
        ],
        results: ['i32'],
        locals: [['v', 'v128']],
        // (a, b, 3, 4) . (1, 2, 3, 4) through i16 lanes and dot_i16x8_s
        body: `
          v128.const i16x8 0 0 0 0 3 0 4 0
          local.get a
          i32x4.replace_lane 0
          local.get b
          i32x4.replace_lane 1
          v128.const i16x8 0 0 0 0 0 0 0 0
          i8x16.shuffle 0 1 4 5 8 9 12 13 16 17 16 17 16 17 16 17
          v128.const i16x8 1 2 3 4 0 0 0 0
          i32x4.dot_i16x8_s
          local.tee v
          i32x4.extract_lane 0
          local.get v
          i32x4.extract_lane 1
          i32.add`,
      },
      {
        name: 'pick',
        params: [['which', 'i32']],
        results: ['i32'],
        locals: [],
        // Stores (7, 8, 9, 10) at byte 16 and reads lane `which`, through memory.
        body: `
          i32.const 0
          v128.const i32x4 7 8 9 10
          v128.store offset=16
          local.get which
          if v128
            i32.const 16
            v128.load
          else
            v128.const i32x4 -1 -1 -1 -1
          end
          i32x4.extract_lane 2`,
      },
    );
    expect(dot!(5, 6)).toBe(5 * 1 + 6 * 2 + 3 * 3 + 4 * 4);
    expect(pick!(1)).toBe(9);
    expect(pick!(0)).toBe(-1);
  });

  it('assembles f64 constants and f64x2 arithmetic, promotions and saturating truncation', () => {
    // clamp(2.5 x - 0.5, 0, 100), truncated, through f32, f64x2 and memory; plus 1000 times lane 2
    // of the truncation, which must be zero.
    const { f } = instantiate({
      name: 'f',
      params: [['x', 'i32']],
      results: ['i32'],
      locals: [['v', 'v128']],
      body: `
        i32.const 0
        local.get x
        i32x4.splat
        f32x4.convert_i32x4_s
        f64x2.promote_low_f32x4
        f64.const 2.5
        f64x2.splat
        f64x2.mul
        f64.const 0.5
        f64x2.splat
        f64x2.sub
        v128.store
        i32.const 0
        v128.load64_splat
        f64.const 100
        f64x2.splat
        f64x2.pmin
        f64.const 0
        f64x2.splat
        f64x2.pmax
        i32x4.trunc_sat_f64x2_s_zero
        local.tee v
        i32x4.extract_lane 0
        local.get v
        i32x4.extract_lane 2
        i32.const 1000
        i32.mul
        i32.add`,
    });
    expect(f!(3)).toBe(7);
    expect(f!(10)).toBe(24);
    expect(f!(1000)).toBe(100);
    expect(f!(-4)).toBe(0);
  });

  const fn = (body: string): WasmFunctionSource => ({ name: 'f', params: [], results: [], locals: [], body });

  it('names the function, line and instruction it cannot assemble', () => {
    expect(() =>
      assembleModule({ memory: { initial: 1, maximum: 1 }, functions: [fn('\n  i32.frobnicate')] }),
    ).toThrow('f line 2 (i32.frobnicate): unknown instruction i32.frobnicate');
    expect(() =>
      assembleModule({ memory: { initial: 1, maximum: 1 }, functions: [fn('local.get x')] }),
    ).toThrow('f line 1 (local.get x): no local named x');
    expect(() => assembleModule({ memory: { initial: 1, maximum: 1 }, functions: [fn('br $out')] })).toThrow(
      'f line 1 (br $out): no enclosing block named $out',
    );
    expect(() =>
      assembleModule({ memory: { initial: 1, maximum: 1 }, functions: [fn('i8x16.shuffle 0 1')] }),
    ).toThrow('f line 1 (i8x16.shuffle 0 1): expected 16 lanes');
  });
});
