/*
 * IEEE 754 half precision (binary16), for weights stored at half the size. TensorFlow.js decodes
 * such weights itself (a manifest entry's `quantization: { dtype: 'float16' }`); it has no encoder,
 * so this is one. Rounds to nearest, ties to even; overflows to infinity; keeps subnormals.
 */

const scratch = new Float32Array(1);
const scratchBits = new Uint32Array(scratch.buffer);

/** The binary16 bits of a number. */
export function halfBits(value: number): number {
  scratch[0] = value;
  const bits = scratchBits[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    // Subnormal: the implicit leading 1 shifted into the mantissa.
    mantissa |= 0x800000;
    const shift = 14 - e;
    let half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    if (rest > midpoint || (rest === midpoint && half & 1)) half++;
    return sign | half;
  }
  // A carry out of the mantissa correctly moves to the next exponent (or to infinity).
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++;
  return sign | half;
}

/** Values as little-endian binary16 bytes. */
export function halfBytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(values.length * 2);
  const view = new DataView(out.buffer);
  for (let i = 0; i < values.length; i++) view.setUint16(2 * i, halfBits(values[i]!), true);
  return out;
}

let table: Float32Array | undefined;
const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Every binary16 value as a float32, indexed by its bits (built once, 256 KiB). */
function halfTable(): Float32Array {
  if (table) return table;
  table = new Float32Array(65536);
  for (let bits = 0; bits < 65536; bits++) {
    const sign = bits & 0x8000 ? -1 : 1;
    const exponent = (bits >> 10) & 0x1f;
    const mantissa = bits & 0x3ff;
    table[bits] =
      exponent === 0x1f
        ? mantissa
          ? NaN
          : sign * Infinity
        : exponent === 0
          ? sign * mantissa * 2 ** -24
          : sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
  }
  return table;
}

/** Little-endian binary16 bytes as float32 values (the same values as tfjs's decoder, several times faster). */
export function fromHalfBytes(bytes: Uint8Array): Float32Array {
  const t = halfTable();
  const n = bytes.length >> 1;
  const out = new Float32Array(n);
  if (bytes.byteOffset % 2 === 0 && littleEndian) {
    // Aligned, on a little-endian machine: read whole halves, and widen normal numbers by moving
    // their bits (sign up 16; exponent rebiased from 15 to 127; mantissa up 13), the rest by table.
    const halves = new Uint16Array(bytes.buffer, bytes.byteOffset, n);
    const words = new Uint32Array(out.buffer);
    for (let i = 0; i < n; i++) {
      const h = halves[i]!;
      const e = h & 0x7c00;
      if (e !== 0 && e !== 0x7c00) words[i] = ((h & 0x8000) << 16) | (((h & 0x7fff) + 0x1c000) << 13);
      else out[i] = t[h]!;
    }
  } else {
    for (let i = 0; i < n; i++) out[i] = t[bytes[2 * i]! | (bytes[2 * i + 1]! << 8)]!;
  }
  return out;
}
