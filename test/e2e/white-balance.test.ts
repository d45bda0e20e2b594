import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg } from '../helpers/media.js';
import { vgrade } from '../helpers/cli.js';
import { sampleStill, type SampleStill } from '../helpers/stills.js';
import { decodePng } from '../../src/image/png.js';
import { meanDeltaE2000 } from '../../src/color/ciede2000.js';
import { blackBodyGains } from '../../src/detune/whiteBalance.js';

/**
 * A white balance off (the sample's frame lit at 3500 K, with the curve ffmpeg's
 * `colortemperature` uses) is no list of the eight families, and the classifier, unsure, names
 * none; the default grade takes it off through the white-balance reader after the inverse
 * (docs/correction-under-uncertainty.md, "The white balance"). Nearer 6500 K the classifier names
 * such a cast as a family (orange at 5000 K) and undoes that, which darkens the frame; with
 * `invert.white_level`, the reader's exposure read tells it was a white balance, and the level is
 * given back.
 */
describe('the default grade on a frame with a white balance off', () => {
  let still: SampleStill;
  const file = (name: string): string => still.file(name);
  const rgb = (name: string) => still.rgb(name);

  beforeAll(async () => {
    still = await sampleStill();
    // The cast in Node, from the same curve as ffmpeg's filter (whichever ffmpeg is found).
    const clean = await decodePng(await readFile(file('clean.png')));
    for (const [name, kelvin] of [
      ['warm', 3500],
      ['warm5000', 5000],
    ] as const) {
      const gains = blackBodyGains(kelvin);
      const cast = Uint8Array.from(clean.rgb, (v, i) => Math.min(255, Math.round(v * gains[i % 3]!)));
      await writeFile(file(`${name}.rgb`), cast);
      await ffmpeg([
        ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${clean.width}x${clean.height}`],
        ...['-i', file(`${name}.rgb`), file(`${name}.png`)],
      ]);
    }
  });
  afterAll(() => still.cleanup());

  /** Mean CIEDE2000 from the clean frame of `name`.png as it is, or graded with `sets`. */
  const errorOf = async (name: string): Promise<number> =>
    meanDeltaE2000(await rgb(`${name}.png`), await rgb('clean.png'));
  const gradedError = async (name: string, out: string, sets: string[] = []): Promise<number> => {
    const run = await vgrade(['grade', file(`${name}.png`), '-o', file(`${out}.png`), ...sets]);
    expect(run.code, run.stderr).toBe(0);
    return errorOf(out);
  };

  it('takes most of it off, where the grade without the white balance leaves it about as it came', async () => {
    const input = await errorOf('warm');
    expect(input).toBeGreaterThan(10);
    expect(await gradedError('warm', 'graded')).toBeLessThan(0.25 * input);
    const without = await gradedError('warm', 'off', ['--set', 'invert.white_balance=0']);
    expect(without).toBeGreaterThan(0.8 * input);
  });

  it('at 5000 K, which the classifier reads as orange, with white_level gives back the level that undoing orange took (the exposure read says white balance)', async () => {
    const input = await errorOf('warm5000');
    expect(input).toBeGreaterThan(5);
    const level = ['--set', 'invert.white_level=true'];
    expect(await gradedError('warm5000', 'graded5000', level)).toBeLessThan(0.4 * input);
    // Without it (the default), orange undone leaves the frame darker than it came, the cast gone.
    expect(await gradedError('warm5000', 'off5000')).toBeGreaterThan(0.8 * input);
  });

  it('is named by vgrade classify as the grade reads it: a warm white balance off, and its colour temperature; none on the clean frame', async () => {
    const text = await vgrade(['classify', file('warm.png')]);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout.toString()).toMatch(
      /white balance off: warm, as under light of about \d+ K \(100% of frames\)/,
    );

    const shotOf = async (name: string) => {
      const run = await vgrade(['classify', file(name), '--json']);
      expect(run.code, run.stderr).toBe(0);
      const records = run.stdout
        .toString()
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      return records.find((r) => 'shot' in r)!;
    };
    const warm = (await shotOf('warm.png')).white as { kelvin: number; share: number };
    expect(warm.kelvin).toBeGreaterThan(3000);
    expect(warm.kelvin).toBeLessThan(4200);
    expect(warm.share).toBe(1);
    expect((await shotOf('clean.png')).white).toBeNull();
  });

  it('leaves the clean frame about as it is', async () => {
    expect(await gradedError('clean', 'clean-graded')).toBeLessThan(1);
  });
});
