/**
 * A small WebAssembly assembler: function bodies written as flat WAT text (one instruction per line,
 * `;;` comments, `$names` for locals and block labels), turned into a module's bytes in memory.
 * It knows only the instructions this project's kernels use (the table below), so a kernel is
 * reviewed as WAT and ships with no build step, no binary file and no dependency; Node compiles the
 * bytes when the module is first used.
 *
 * Supported: `block`, `loop`, `if` (a `$label`, or one result type: `if v128`), `else`, `end`, `br`/`br_if`
 * `$label`; locals by name; memory immediates as `offset=N` (alignment hint always 1 byte, which
 * every engine accepts); lane indices; `i8x16.shuffle` with 16 lane numbers; `v128.const i32x4`
 * with four numbers (or `i16x8` with eight).
 */

export type ValueType = 'i32' | 'f32' | 'f64' | 'v128';

export interface WasmFunctionSource {
  readonly name: string;
  readonly params: readonly (readonly [name: string, type: ValueType])[];
  readonly results: readonly ValueType[];
  readonly locals: readonly (readonly [name: string, type: ValueType])[];
  /** Flat WAT: one instruction per line. */
  readonly body: string;
}

export interface WasmModuleSource {
  /** Initial and maximum pages (64 KiB each) of the one memory, exported as `memory`. */
  readonly memory: { readonly initial: number; readonly maximum: number };
  readonly functions: readonly WasmFunctionSource[];
}

/** Immediates of the `*.const` instructions. */
type Constant = 'i32' | 'f32' | 'f64' | 'v128';
type Immediate = 'none' | 'memarg' | 'memlane' | 'lane' | 'local' | 'label' | 'shuffle' | 'block' | Constant;

interface Op {
  readonly prefix?: number;
  readonly code: number;
  readonly imm: Immediate;
}

const op = (code: number, imm: Immediate = 'none'): Op => ({ code, imm });
const simd = (code: number, imm: Immediate = 'none'): Op => ({ prefix: 0xfd, code, imm });

const OPS: Readonly<Record<string, Op>> = {
  block: op(0x02, 'block'),
  loop: op(0x03, 'block'),
  if: op(0x04, 'block'),
  else: op(0x05),
  end: op(0x0b),
  br: op(0x0c, 'label'),
  br_if: op(0x0d, 'label'),
  return: op(0x0f),
  drop: op(0x1a),
  select: op(0x1b),
  'local.get': op(0x20, 'local'),
  'local.set': op(0x21, 'local'),
  'local.tee': op(0x22, 'local'),
  'i32.load': op(0x28, 'memarg'),
  'f32.load': op(0x2a, 'memarg'),
  'i32.load8_u': op(0x2d, 'memarg'),
  'i32.load16_s': op(0x2e, 'memarg'),
  'i32.store': op(0x36, 'memarg'),
  'f32.store': op(0x38, 'memarg'),
  'i32.store8': op(0x3a, 'memarg'),
  'i32.store16': op(0x3b, 'memarg'),
  'i32.const': op(0x41, 'i32'),
  'f32.const': op(0x43, 'f32'),
  'f64.const': op(0x44, 'f64'),
  'i32.eqz': op(0x45),
  'i32.eq': op(0x46),
  'i32.ne': op(0x47),
  'i32.lt_s': op(0x48),
  'i32.lt_u': op(0x49),
  'i32.gt_s': op(0x4a),
  'i32.gt_u': op(0x4b),
  'i32.le_s': op(0x4c),
  'i32.ge_s': op(0x4e),
  'i32.ge_u': op(0x4f),
  'f32.lt': op(0x5d),
  'f32.gt': op(0x5e),
  'f32.le': op(0x5f),
  'f32.ge': op(0x60),
  'i32.add': op(0x6a),
  'i32.sub': op(0x6b),
  'i32.mul': op(0x6c),
  'i32.and': op(0x71),
  'i32.or': op(0x72),
  'i32.xor': op(0x73),
  'i32.shl': op(0x74),
  'i32.shr_s': op(0x75),
  'i32.shr_u': op(0x76),
  'f32.add': op(0x92),
  'f32.sub': op(0x93),
  'f32.mul': op(0x94),
  'v128.load': simd(0x00, 'memarg'),
  'v128.load32_splat': simd(0x09, 'memarg'),
  'v128.load64_splat': simd(0x0a, 'memarg'),
  'v128.store': simd(0x0b, 'memarg'),
  'v128.const': simd(0x0c, 'v128'),
  'i8x16.shuffle': simd(0x0d, 'shuffle'),
  'i16x8.splat': simd(0x10),
  'i32x4.splat': simd(0x11),
  'f32x4.splat': simd(0x13),
  'f64x2.splat': simd(0x14),
  'i8x16.extract_lane_u': simd(0x16, 'lane'),
  'i32x4.extract_lane': simd(0x1b, 'lane'),
  'i32x4.replace_lane': simd(0x1c, 'lane'),
  'f32x4.extract_lane': simd(0x1f, 'lane'),
  'v128.and': simd(0x4e),
  'v128.or': simd(0x50),
  'v128.load32_lane': simd(0x56, 'memlane'),
  'v128.store8_lane': simd(0x58, 'memlane'),
  'v128.store16_lane': simd(0x59, 'memlane'),
  'v128.load64_lane': simd(0x57, 'memlane'),
  'v128.store32_lane': simd(0x5a, 'memlane'),
  'v128.store64_lane': simd(0x5b, 'memlane'),
  'v128.load32_zero': simd(0x5c, 'memarg'),
  'v128.load64_zero': simd(0x5d, 'memarg'),
  'f64x2.promote_low_f32x4': simd(0x5f),
  'i8x16.narrow_i16x8_u': simd(0x66),
  'f32x4.nearest': simd(0x6a),
  'i16x8.narrow_i32x4_s': simd(0x85),
  'i32x4.shl': simd(0xab),
  'i32x4.shr_s': simd(0xac),
  'i32x4.add': simd(0xae),
  'i32x4.sub': simd(0xb1),
  'i32x4.mul': simd(0xb5),
  'i32x4.min_s': simd(0xb6),
  'i32x4.max_s': simd(0xb8),
  'i32x4.dot_i16x8_s': simd(0xba),
  'f32x4.add': simd(0xe4),
  'f32x4.sub': simd(0xe5),
  'f32x4.mul': simd(0xe6),
  'f32x4.min': simd(0xe8),
  'f32x4.max': simd(0xe9),
  'f64x2.add': simd(0xf0),
  'f64x2.sub': simd(0xf1),
  'f64x2.mul': simd(0xf2),
  'f64x2.pmin': simd(0xf6),
  'f64x2.pmax': simd(0xf7),
  'i32x4.trunc_sat_f32x4_s': simd(0xf8),
  'f32x4.convert_i32x4_s': simd(0xfa),
  'i32x4.trunc_sat_f64x2_s_zero': simd(0xfc),
};

const VALUE_TYPES: Readonly<Record<ValueType, number>> = { i32: 0x7f, f32: 0x7d, f64: 0x7c, v128: 0x7b };

/** Assembles `source` into the bytes of a module (exports: each function by name, and `memory`). */
export function assembleModule(source: WasmModuleSource): Uint8Array<ArrayBuffer> {
  const types: number[][] = [];
  const typeIndex = (fn: WasmFunctionSource): number => {
    const sig = [
      0x60,
      ...uleb(fn.params.length),
      ...fn.params.map(([, t]) => VALUE_TYPES[t]),
      ...uleb(fn.results.length),
      ...fn.results.map((t) => VALUE_TYPES[t]),
    ];
    const found = types.findIndex((t) => t.length === sig.length && t.every((b, i) => b === sig[i]));
    if (found >= 0) return found;
    types.push(sig);
    return types.length - 1;
  };
  const fnTypes = source.functions.map(typeIndex);
  const bodies = source.functions.map(assembleFunction);
  const exports = [
    ...source.functions.map((fn, i) => [...name(fn.name), 0x00, ...uleb(i)]),
    [...name('memory'), 0x02, 0x00],
  ];
  const { initial, maximum } = source.memory;
  return Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vector(types)),
    ...section(3, vector(fnTypes.map((t) => uleb(t)))),
    ...section(5, vector([[0x01, ...uleb(initial), ...uleb(maximum)]])),
    ...section(7, vector(exports)),
    ...section(10, vector(bodies.map((b) => [...uleb(b.length), ...b]))),
  ]); // prettier-ignore
}

function assembleFunction(fn: WasmFunctionSource): number[] {
  const locals = new Map<string, number>();
  for (const [n] of [...fn.params, ...fn.locals]) {
    if (locals.has(n)) throw new Error(`${fn.name}: local ${n} declared twice`);
    locals.set(n, locals.size);
  }
  // Locals grouped in runs of one type, as the binary format declares them.
  const runs: [number, ValueType][] = [];
  for (const [, t] of fn.locals) {
    const last = runs[runs.length - 1];
    if (last && last[1] === t) last[0]++;
    else runs.push([1, t]);
  }
  const out: number[] = [...uleb(runs.length)];
  for (const [count, t] of runs) out.push(...uleb(count), VALUE_TYPES[t]);
  const labels: (string | undefined)[] = [];
  const lines = fn.body.split('\n');
  lines.forEach((raw, lineIndex) => {
    const text = raw.replace(/;;.*$/, '').trim();
    if (!text) return;
    const where = `${fn.name} line ${lineIndex + 1} (${text})`;
    const [mnemonic, ...args] = text.split(/\s+/) as [string, ...string[]];
    const o = OPS[mnemonic];
    if (!o) throw new Error(`${where}: unknown instruction ${mnemonic}`);
    if (o.prefix !== undefined) out.push(o.prefix, ...uleb(o.code));
    else out.push(o.code);
    const int = (s: string | undefined): number => {
      const v = Number(s);
      if (s === undefined || !Number.isInteger(v))
        throw new Error(`${where}: expected an integer but received ${s}`);
      return v;
    };
    const memarg = (): void => {
      const offset = args.find((a) => a.startsWith('offset='));
      out.push(0x00, ...uleb(offset ? int(offset.slice(7)) : 0));
    };
    switch (o.imm) {
      case 'none':
        if (mnemonic === 'end') labels.pop();
        break;
      case 'block': {
        // `if v128` (a result type) or `block $label` (a label; no result).
        const result = args[0] as ValueType | undefined;
        if (result && result in VALUE_TYPES) {
          labels.push(undefined);
          out.push(VALUE_TYPES[result]);
        } else {
          labels.push(args[0]);
          out.push(0x40);
        }
        break;
      }
      case 'label': {
        const depth = labels.lastIndexOf(args[0]);
        if (!args[0] || depth < 0) throw new Error(`${where}: no enclosing block named ${args[0]}`);
        out.push(...uleb(labels.length - 1 - depth));
        break;
      }
      case 'local': {
        const index = locals.get(args[0] ?? '');
        if (index === undefined) throw new Error(`${where}: no local named ${args[0]}`);
        out.push(...uleb(index));
        break;
      }
      case 'memarg':
        memarg();
        break;
      case 'memlane':
        memarg();
        out.push(int(args.find((a) => !a.startsWith('offset='))));
        break;
      case 'lane':
        out.push(int(args[0]));
        break;
      case 'i32':
        out.push(...sleb(int(args[0])));
        break;
      case 'f32':
      case 'f64': {
        const value = [Number(args[0])];
        const bytes = new Uint8Array(
          (o.imm === 'f32' ? new Float32Array(value) : new Float64Array(value)).buffer,
        );
        out.push(...bytes);
        break;
      }
      case 'shuffle': {
        if (args.length !== 16) throw new Error(`${where}: expected 16 lanes`);
        out.push(...args.map(int));
        break;
      }
      case 'v128': {
        const [shape, ...values] = args;
        const lanes = shape === 'i32x4' ? new Int32Array(values.map(int)) : new Int16Array(values.map(int));
        if ((shape !== 'i32x4' && shape !== 'i16x8') || lanes.byteLength !== 16) {
          throw new Error(`${where}: expected i32x4 with 4 values or i16x8 with 8`);
        }
        out.push(...new Uint8Array(lanes.buffer));
        break;
      }
    }
  });
  out.push(0x0b);
  return out;
}

function section(id: number, content: number[]): number[] {
  return [id, ...uleb(content.length), ...content];
}

function vector(items: readonly number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  const bytes = [...new TextEncoder().encode(s)];
  return [...uleb(bytes.length), ...bytes];
}

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    const byte = v & 0x7f;
    v >>>= 7;
    out.push(v ? byte | 0x80 : byte);
  } while (v);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  while (true) {
    const byte = v & 0x7f;
    v >>= 7;
    if ((v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return out;
    }
    out.push(byte | 0x80);
  }
}
