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
 * such a cast as a family (orange at 5000 K) and undoes that instead: a limit that document
 * measures.
 */
describe('the default grade on a frame with a white balance off', () => {
  let still: SampleStill;
  const file = (name: string): string => still.file(name);
  const rgb = (name: string) => still.rgb(name);

  beforeAll(async () => {
    still = await sampleStill();
    // The cast in Node, from the same curve as ffmpeg's filter (whichever ffmpeg is found).
    const clean = await decodePng(await readFile(file('clean.png')));
    const gains = blackBodyGains(3500);
    const warm = Uint8Array.from(clean.rgb, (v, i) => Math.min(255, Math.round(v * gains[i % 3]!)));
    await writeFile(file('warm.rgb'), warm);
    await ffmpeg([
      ...['-f', 'rawvideo', '-pix_fmt', 'rgb24', '-s', `${clean.width}x${clean.height}`],
      ...['-i', file('warm.rgb'), file('warm.png')],
    ]);
  });
  afterAll(() => still.cleanup());

  it('takes most of it off, where the grade without the white balance leaves it about as it came', async () => {
    const input = meanDeltaE2000(await rgb('warm.png'), await rgb('clean.png'));
    expect(input).toBeGreaterThan(10);

    const graded = await vgrade(['grade', file('warm.png'), '-o', file('graded.png')]);
    expect(graded.code, graded.stderr).toBe(0);
    expect(meanDeltaE2000(await rgb('graded.png'), await rgb('clean.png'))).toBeLessThan(0.25 * input);

    const without = ['--set', 'invert.white_balance=0'];
    const off = await vgrade(['grade', file('warm.png'), '-o', file('off.png'), ...without]);
    expect(off.code, off.stderr).toBe(0);
    expect(meanDeltaE2000(await rgb('off.png'), await rgb('clean.png'))).toBeGreaterThan(0.8 * input);
  });

  it('leaves the clean frame about as it is', async () => {
    const graded = await vgrade(['grade', file('clean.png'), '-o', file('clean-graded.png')]);
    expect(graded.code, graded.stderr).toBe(0);
    expect(meanDeltaE2000(await rgb('clean-graded.png'), await rgb('clean.png'))).toBeLessThan(1);
  });
});
