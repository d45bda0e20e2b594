import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vgrade } from '../helpers/cli.js';
import { sampleStill, type SampleStill } from '../helpers/stills.js';
import { meanDeltaE2000 } from '../../src/color/ciede2000.js';

/**
 * A frame with several strong problems at once spreads the classifier's class posterior (trained
 * on single detunes), so the confidence gate alone leaves it as it is; the amounts it reads add up
 * past `invert.amount_open`, and the default grade corrects it (docs/correction-under-uncertainty.md).
 */
describe('the default grade on a frame with three strong problems', () => {
  let still: SampleStill;
  const file = (name: string): string => still.file(name);
  const rgb = (name: string) => still.rgb(name);

  beforeAll(async () => {
    still = await sampleStill();
    const detune = ['detune', file('clean.png'), '-o', file('detuned.png')];
    expect((await vgrade([...detune, '--detune', 'blue-3,saturation-low-2,black-low-2'])).code).toBe(0);
  });
  afterAll(() => still.cleanup());

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
