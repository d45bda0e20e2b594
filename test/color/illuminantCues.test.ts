import { describe, expect, it } from 'vitest';
import { CUES_LENGTH, illuminantCues } from '../../src/color/illuminantCues.js';
import { createRng } from '../../src/detune/random.js';

/** A grey-ish textured frame: neighbouring pixels differ, the channels alike on average. */
function texture(width: number, height: number, seed: number): Uint8Array {
  const rng = createRng(seed);
  const out = new Uint8Array(width * height * 3);
  for (let i = 0; i < out.length; i += 3) {
    const v = 40 + Math.floor(rng() * 120);
    out[i] = v;
    out[i + 1] = v;
    out[i + 2] = v;
  }
  return out;
}

describe('illuminantCues', () => {
  it('reads a grey frame as no cast on every cue', () => {
    const cues = illuminantCues(texture(32, 16, 1), 32);
    expect(cues).toHaveLength(CUES_LENGTH);
    for (const c of cues) expect(Math.abs(c)).toBeLessThan(1e-6);
  });

  it('reads the channels scaled by gains (none clipped) as those gains, on every cue', () => {
    const grey = texture(32, 16, 2);
    const gains = [1.25, 1, 0.8];
    const cast = Uint8Array.from(grey, (v, i) => Math.round(v * gains[i % 3]!));
    const cues = illuminantCues(cast, 32);
    for (let k = 0; k < CUES_LENGTH; k += 2) {
      expect(cues[k]).toBeCloseTo(Math.log(1.25), 1);
      expect(cues[k + 1]).toBeCloseTo(Math.log(0.8), 1);
    }
  });

  it('reads edges apart from surfaces: a red patch on grey moves grey world, not grey edge, as much', () => {
    const width = 32;
    const frame = texture(width, 16, 3);
    // A flat red square: its inside has no edges, only its border.
    for (let y = 4; y < 12; y++) {
      for (let x = 8; x < 24; x++) {
        const i = (y * width + x) * 3;
        frame[i] = 200;
        frame[i + 1] = 60;
        frame[i + 2] = 60;
      }
    }
    const cues = illuminantCues(frame, width);
    expect(cues[0]).toBeGreaterThan(0.2); // grey world: ln R/G
    expect(Math.abs(cues[6]!)).toBeLessThan(cues[0]!); // grey edge
  });
});
