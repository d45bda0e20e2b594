import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/media.js';
import { vgrade } from '../helpers/cli.js';
import { makeClip } from '../helpers/clips.js';
import { decodePng } from '../../src/image/png.js';

/**
 * `--strength S` scales the whole correction towards the identity where each frame's LUT is
 * final (after merge and blend, in the encode stage): 0 leaves the picture untouched, 1 is the
 * grade, 1.5 half as much again. PNG in and out, so that no lossy codec blurs the comparison.
 */
describe('vgrade grade --strength', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let still: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    still = path.join(dir, 'green.png');
    // An odd-sized frame with a strong green cast: red and blue at 70%.
    await makeClip(still, { size: '385x289', sourceFilter: 'colorchannelmixer=rr=0.7:bb=0.7', frames: 1 });
    // A pipeline that changes nothing: decode, then encode with every LUT the identity.
    await writeFile(
      path.join(dir, 'nothing.yaml'),
      'description: nothing\nstages:\n  - decode:\n  - encode:\n',
    );
  });
  afterAll(() => cleanup());

  async function grade(name: string, args: string[]): Promise<Uint8Array> {
    const out = path.join(dir, `${name}.png`);
    const result = await vgrade(['grade', still, '-o', out, ...args]);
    expect(result.stderr).not.toMatch(/vgrade:/);
    expect(result.code).toBe(0);
    return decodePng(await readFile(out)).rgb;
  }

  /** Mean of one channel (0 red, 1 green, 2 blue). */
  function mean(rgb: Uint8Array, channel: number): number {
    let sum = 0;
    for (let i = channel; i < rgb.length; i += 3) sum += rgb[i]!;
    return sum / (rgb.length / 3);
  }

  it('0 gives what a pipeline that changes nothing gives (within 1/255)', async () => {
    const nothing = await grade('nothing', ['-p', path.join(dir, 'nothing.yaml')]);
    const zero = await grade('zero', ['-p', 'classical', '--strength', '0']);
    expect(zero.length).toBe(nothing.length);
    let worst = 0;
    for (let i = 0; i < zero.length; i++) worst = Math.max(worst, Math.abs(zero[i]! - nothing[i]!));
    expect(worst).toBeLessThanOrEqual(1);
  });

  it('0.5 lands between the input and the full grade; 1.5 goes past the full grade', async () => {
    const input = await grade('input', ['-p', path.join(dir, 'nothing.yaml')]);
    const full = await grade('full', ['-p', 'classical']);
    const half = await grade('half', ['-p', 'classical', '--strength', '0.5']);
    const more = await grade('more', ['-p', 'classical', '--strength', '1.5']);
    // The cast is green: the grade lifts red and blue against green.
    const cast = (rgb: Uint8Array): number => mean(rgb, 1) - (mean(rgb, 0) + mean(rgb, 2)) / 2;
    expect(cast(full)).toBeLessThan(cast(input) - 10);
    expect(cast(half)).toBeLessThan(cast(input) - 2);
    expect(cast(half)).toBeGreaterThan(cast(full) + 2);
    // Halfway, within what clipping and rounding move.
    expect(Math.abs(cast(half) - (cast(input) + cast(full)) / 2)).toBeLessThan(
      0.15 * (cast(input) - cast(full)),
    );
    expect(cast(more)).toBeLessThan(cast(full));
  });

  it('outside 0 to 1.5: exit 2 before any work, in the house shape', async () => {
    for (const value of ['-0.1', '1.6']) {
      const out = path.join(dir, `bad-${value}.png`);
      const result = await vgrade(['grade', still, '-o', out, '--strength', value]);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        new RegExp(`^vgrade: Expected number between 0 and 1\\.5 for --strength but received ${value}$`, 'm'),
      );
    }
    const pipelineSet = await vgrade([
      'grade',
      still,
      '-o',
      path.join(dir, 'bad.png'),
      '--set',
      'encode.strength=2',
    ]);
    expect(pipelineSet.code).toBe(2);
    expect(pipelineSet.stderr).toMatch(/strength/);
  });
});
