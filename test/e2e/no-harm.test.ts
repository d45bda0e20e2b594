import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, tempDir } from '../helpers/media.js';
import { SAMPLE, vgrade } from '../helpers/cli.js';
import { decodePng } from '../../src/image/png.js';
import { meanDeltaE2000 } from '../../src/color/ciede2000.js';

/**
 * The default grade does no harm to what is already right (issue: "grades that hold on footage
 * never seen"): a clean frame of the shipped sample stays where it is, and the whites of a frame
 * with a strong green cast stay white through the inverse instead of turning magenta.
 */
describe('the default grade does no harm', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const still = (n: number): string => path.join(dir, `clean-${n}.png`);

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    for (const n of [0, 40]) {
      await ffmpeg(['-i', SAMPLE, '-vf', `select=eq(n\\,${n}),scale=640:360`, '-frames:v', '1', still(n)]);
    }
  });
  afterAll(() => cleanup());

  const rgb = async (file: string) => decodePng(await readFile(file));

  it('moves a clean frame of real footage by a mean CIEDE2000 of at most 1', async () => {
    for (const n of [0, 40]) {
      const out = path.join(dir, `graded-clean-${n}.png`);
      const result = await vgrade(['grade', still(n), '-o', out]);
      expect(result.code, result.stderr).toBe(0);
      const moved = meanDeltaE2000((await rgb(out)).rgb, (await rgb(still(n))).rgb);
      expect(moved).toBeLessThanOrEqual(1);
    }
  });

  it('keeps the whites of a green-3 frame white (within CIEDE2000 3 of the clean frame)', async () => {
    const detuned = path.join(dir, 'green3.png');
    const graded = path.join(dir, 'green3-graded.png');
    expect((await vgrade(['detune', still(40), '-o', detuned, '--detune', 'green-3'])).code).toBe(0);
    const result = await vgrade(['grade', detuned, '-o', graded]);
    expect(result.code, result.stderr).toBe(0);
    const clean = (await rgb(still(40))).rgb;
    const out = (await rgb(graded)).rgb;
    // The pixels that are white in the clean frame (every channel at 250 or more), as they are
    // there and as they came out of the grade.
    const whites: number[] = [];
    for (let i = 0; i < clean.length; i += 3) {
      if (Math.min(clean[i]!, clean[i + 1]!, clean[i + 2]!) >= 250) whites.push(i);
    }
    expect(whites.length).toBeGreaterThan(500);
    const pick = (image: Uint8Array) =>
      Uint8Array.from(whites.flatMap((i) => [image[i]!, image[i + 1]!, image[i + 2]!]));
    const gap = meanDeltaE2000(pick(out), pick(clean));
    expect(gap).toBeLessThan(3);
  });
});
