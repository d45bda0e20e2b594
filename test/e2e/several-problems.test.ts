import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, tempDir } from '../helpers/media.js';
import { SAMPLE, vgrade } from '../helpers/cli.js';
import { decodePng } from '../../src/image/png.js';
import { meanDeltaE2000 } from '../../src/color/ciede2000.js';

/**
 * A frame with several strong problems at once spreads the classifier's class posterior (trained
 * on single detunes), so the confidence gate alone leaves it as it is; the amounts it reads add up
 * past `invert.amount_open`, and the default grade corrects it (docs/correction-under-uncertainty.md).
 */
describe('the default grade on a frame with three strong problems', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const file = (name: string): string => path.join(dir, name);
  const rgb = async (name: string) => (await decodePng(await readFile(file(name)))).rgb;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    await ffmpeg([
      '-i',
      SAMPLE,
      '-vf',
      'select=eq(n\\,40),scale=640:360',
      '-frames:v',
      '1',
      file('clean.png'),
    ]);
    const detune = ['detune', file('clean.png'), '-o', file('detuned.png')];
    expect((await vgrade([...detune, '--detune', 'blue-3,saturation-low-2,black-low-2'])).code).toBe(0);
  });
  afterAll(() => cleanup());

  it('brings it much closer to the clean frame, where the confidence gate alone leaves it as it came', async () => {
    const input = meanDeltaE2000(await rgb('detuned.png'), await rgb('clean.png'));
    expect(input).toBeGreaterThan(8);

    const graded = await vgrade(['grade', file('detuned.png'), '-o', file('graded.png')]);
    expect(graded.code, graded.stderr).toBe(0);
    expect(meanDeltaE2000(await rgb('graded.png'), await rgb('clean.png'))).toBeLessThan(0.6 * input);

    const gateAlone = ['--set', 'invert.amount_open=0'];
    const alone = await vgrade(['grade', file('detuned.png'), '-o', file('alone.png'), ...gateAlone]);
    expect(alone.code, alone.stderr).toBe(0);
    expect(meanDeltaE2000(await rgb('alone.png'), await rgb('detuned.png'))).toBeLessThan(0.5);
  });
});
