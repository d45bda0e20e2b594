import { beforeAll, describe, expect, it } from 'vitest';
import { fromHalfBytes, halfBits, halfBytes } from '../../src/models/half.js';
import { tf, useBackend } from '../../src/models/backend.js';

beforeAll(async () => {
  await useBackend('wasm');
});

/** binary16 bits back to a number, straight from the format's definition. */
function fromHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

describe('half precision', () => {
  it('gives the standard bits of exact values, signed zeros, the largest half and infinities', () => {
    expect(halfBits(1)).toBe(0x3c00);
    expect(halfBits(-2)).toBe(0xc000);
    expect(halfBits(0.5)).toBe(0x3800);
    expect(halfBits(0)).toBe(0);
    expect(halfBits(-0)).toBe(0x8000);
    expect(halfBits(65504)).toBe(0x7bff);
    expect(halfBits(1e6)).toBe(0x7c00);
    expect(halfBits(-Infinity)).toBe(0xfc00);
    expect(Number.isNaN(fromHalf(halfBits(NaN)))).toBe(true);
  });

  it('keeps subnormals and rounds what is below them to zero', () => {
    expect(halfBits(2 ** -24)).toBe(1);
    expect(halfBits(2 ** -14)).toBe(0x0400);
    expect(halfBits(3 * 2 ** -25)).toBe(2); // a tie, to the even neighbour
    expect(halfBits(1e-9)).toBe(0);
  });

  it('rounds to the nearest half, ties to even, including carries into the exponent', () => {
    expect(halfBits(1 + 2 ** -11)).toBe(0x3c00); // tie: 1 is even
    expect(halfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie: up to the even neighbour
    expect(halfBits(2 - 2 ** -12)).toBe(0x4000); // carries to the next power of two
    for (const v of [0.1, -3.14159, 123.456, 1e-3, 6e-5, -7777.7]) {
      const back = fromHalf(halfBits(v));
      expect(Math.abs(back - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11 + 2 ** -25);
    }
  });

  it('writes little-endian bytes, two per value', () => {
    expect([...halfBytes([1, -2])]).toEqual([0x00, 0x3c, 0x00, 0xc0]);
  });

  it("reads every one of the 65536 halves back as TensorFlow.js's own decoder does", () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const bytes = new Uint8Array(bits.buffer);
    const decoded = tf.io.decodeWeights(bytes.buffer, [
      { name: 'all', shape: [65536], dtype: 'float32', quantization: { dtype: 'float16' } },
    ]);
    const theirs = decoded.all!.dataSync();
    const ours = fromHalfBytes(bytes);
    let differ = 0;
    ours.forEach((v, i) => {
      if (!Object.is(v, theirs[i]) && !(Number.isNaN(v) && Number.isNaN(theirs[i]!))) differ++;
    });
    expect(differ).toBe(0);
  });

  it('round-trips every half exactly through its bits', () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const values = fromHalfBytes(new Uint8Array(bits.buffer));
    let differ = 0;
    values.forEach((v, i) => {
      if (!Number.isNaN(v) && halfBits(v) !== i) differ++;
    });
    expect(differ).toBe(0);
  });
});
