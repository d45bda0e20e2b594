import { describe, expect, it } from 'vitest';
import { HdrView, hdrTransfer, type HdrTransfer } from '../../src/color/hdr.js';
import { allocLut, fillLut, identityLut, sampleLut } from '../../src/correction/lut3d.js';
import { inverseDetuneTransform } from '../../src/detune/inverse.js';

const TRANSFERS: HdrTransfer[] = ['PQ', 'HLG'];

/** The PQ signal of 203 cd/m² (BT.2408's reference white), and HLG's reference signal. */
const REFERENCE_WHITE_SIGNAL: Record<HdrTransfer, number> = { PQ: 0.5806, HLG: 0.75 };

/** A deterministic generator of numbers in [0, 1). */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('HDR sources seen as SDR', () => {
  it('knows PQ and HLG by their color_transfer tags, and nothing else as HDR', () => {
    expect(hdrTransfer('smpte2084')).toBe('PQ');
    expect(hdrTransfer('arib-std-b67')).toBe('HLG');
    for (const tag of ['bt709', 'smpte170m', 'bt2020-10', 'iec61966-2-1', undefined]) {
      expect(hdrTransfer(tag)).toBeUndefined();
    }
  });

  it.each(TRANSFERS)('%s: reference white is SDR white, black is black, grey stays grey', (transfer) => {
    const view = new HdrView(transfer);
    const out = new Float32Array(3);
    const white = REFERENCE_WHITE_SIGNAL[transfer];
    view.toSdr(white, white, white, out);
    for (const v of out) expect(v).toBeCloseTo(1, 3);
    view.toSdr(0, 0, 0, out);
    for (const v of out) expect(v).toBeCloseTo(0, 6);
    view.toSdr(0.4, 0.4, 0.4, out);
    expect(out[0]).toBeGreaterThan(0.05);
    expect(out[1]).toBeCloseTo(out[0]!, 5);
    expect(out[2]).toBeCloseTo(out[0]!, 5);
  });

  it.each(TRANSFERS)(
    '%s: the view undone gives the signal back, and 16- and 8-bit pictures are viewed alike',
    (transfer) => {
      const view = new HdrView(transfer);
      const next = random(3);
      const sdr = new Float32Array(3);
      const back = new Float32Array(3);
      for (let i = 0; i < 500; i++) {
        // Colours the view does not clip: an SDR colour made HDR.
        const colour = [next(), next(), next()] as const;
        view.fromSdr(...colour, back);
        view.toSdr(back[0]!, back[1]!, back[2]!, sdr);
        for (let c = 0; c < 3; c++) expect(Math.abs(sdr[c]! - colour[c]!)).toBeLessThan(2e-3);
      }
      const deep = new Uint16Array(300).map(() => Math.floor(next() * 65536));
      const shallow = new Uint8Array(300).map(() => Math.floor(next() * 256));
      const expected = (codes: ArrayLike<number>, max: number) =>
        Array.from({ length: codes.length / 3 }, (_, p) => {
          view.toSdr(codes[3 * p]! / max, codes[3 * p + 1]! / max, codes[3 * p + 2]! / max, sdr);
          return Array.from(sdr, (v) => v * max);
        }).flat();
      const deepExpected = expected(deep, 65535);
      const shallowExpected = expected(shallow, 255);
      view.toSdrInPlace(deep);
      view.toSdrInPlace(shallow);
      deep.forEach((v, i) => expect(Math.abs(v - deepExpected[i]!)).toBeLessThanOrEqual(2));
      shallow.forEach((v, i) => expect(Math.abs(v - shallowExpected[i]!)).toBeLessThanOrEqual(0.51));
    },
  );

  it.each(TRANSFERS)(
    '%s: the identity, carried to the signal, stays the identity, highlights and all',
    (transfer) => {
      const out = new HdrView(transfer).composeLut(identityLut(17), allocLut(36));
      const identity = identityLut(36);
      let worst = 0;
      for (let i = 0; i < out.data.length; i++)
        worst = Math.max(worst, Math.abs(out.data[i]! - identity.data[i]!));
      // PQ's worst is in its darkest codes, where a code is a ten-thousandth of a cd/m².
      expect(worst).toBeLessThan(transfer === 'PQ' ? 3e-3 : 5e-4);
    },
  );

  it.each(TRANSFERS)(
    '%s: a correction carried to the signal corrects the view as it corrects an SDR picture',
    (transfer) => {
      const view = new HdrView(transfer);
      const correction = fillLut(33, inverseDetuneTransform([{ family: 'green', amount: 2 }]));
      const onSignal = view.composeLut(correction, allocLut(36));
      const next = random(5);
      const colour = new Float32Array(3);
      const hdr = new Float32Array(3);
      const graded = new Float32Array(3);
      const seen = new Float32Array(3);
      const wanted = new Float32Array(3);
      let worst = 0;
      let sum = 0;
      for (let i = 0; i < 300; i++) {
        colour.set([0.1 + 0.8 * next(), 0.1 + 0.8 * next(), 0.1 + 0.8 * next()]);
        view.fromSdr(colour[0]!, colour[1]!, colour[2]!, hdr);
        sampleLut(onSignal, hdr[0]!, hdr[1]!, hdr[2]!, graded);
        view.toSdr(graded[0]!, graded[1]!, graded[2]!, seen);
        sampleLut(correction, colour[0]!, colour[1]!, colour[2]!, wanted);
        for (let c = 0; c < 3; c++) {
          worst = Math.max(worst, Math.abs(seen[c]! - wanted[c]!));
          sum += Math.abs(seen[c]! - wanted[c]!);
        }
      }
      // What a 36^3 lattice over the signal leaves of the composed curves: a fraction of a code on
      // average; at worst, on PQ, several codes on the darkest channel of a saturated colour, where
      // PQ's lattice cells span the most light (measured: 7.5 of 255 at worst, 0.13 on average).
      expect(sum / 900).toBeLessThan((transfer === 'PQ' ? 0.2 : 0.06) / 255);
      expect(worst).toBeLessThan((transfer === 'PQ' ? 9 : 2) / 255);
    },
  );

  it('keeps the headroom above reference white: a highlight stays above it, scaled as white is', () => {
    const view = new HdrView('HLG');
    const highlight = new Float32Array(3);
    // A correction that lowers every channel of white by a tenth (in SDR code).
    const dim = fillLut(17, (r, g, b, out) => {
      out[0] = 0.9 * r;
      out[1] = 0.9 * g;
      out[2] = 0.9 * b;
    });
    const untouched = view.composeLut(identityLut(17), allocLut(36));
    const dimmed = view.composeLut(dim, allocLut(36));
    sampleLut(untouched, 0.95, 0.95, 0.95, highlight);
    expect(highlight[0]).toBeCloseTo(0.95, 3);
    sampleLut(dimmed, 0.95, 0.95, 0.95, highlight);
    // Above the reference signal (0.75) still, below where it was.
    expect(highlight[0]).toBeGreaterThan(0.8);
    expect(highlight[0]).toBeLessThan(0.95);
  });
});
