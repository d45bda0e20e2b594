import { copyFile, mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, labDistance, meanColour as meanColourOf, tempDir } from '../helpers/media.js';
import { vgrade } from '../helpers/cli.js';
import type { Lab } from '../../src/color/srgb.js';

/**
 * `vgrade ingest --reference LOOK`: a house look for a watch folder. Every file dropped is matched
 * to the look (the shipped match pipeline); a look that cannot be used is refused at start-up
 * (exit 2), before any folder is made or any file is taken.
 */
describe('vgrade ingest --reference', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const W = 320;
  const H = 180;
  const scene = `testsrc2=size=${W}x${H}:rate=25:duration=1`;
  const FAST = ['--settle', '0.3', '--poll', '0.1', '--no-metrics', '--once'];

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('vgrade-ingest-ref-'));
    // The drop: green up, blue down. The look: the scene's first frame, clean.
    await ffmpeg([
      ...['-f', 'lavfi', '-i', scene, '-vf', 'colorchannelmixer=gg=1.2:bb=0.8'],
      ...['-c:v', 'libx264', '-crf', '12', '-pix_fmt', 'yuv444p', path.join(dir, 'cast.mp4')],
    ]);
    await ffmpeg(['-f', 'lavfi', '-i', scene, '-frames:v', '1', path.join(dir, 'look.png')]);
  });
  afterAll(() => cleanup());

  const meanColour = (file: string): Promise<Lab> => meanColourOf(file, W, H);
  const distance = labDistance;

  it('matches every file dropped to the look', async () => {
    const watch = path.join(dir, 'in');
    const out = path.join(dir, 'out');
    await mkdir(watch);
    await copyFile(path.join(dir, 'cast.mp4'), path.join(watch, 'cam2.mp4'));
    const run = await vgrade([
      'ingest',
      '--watch',
      watch,
      '--out',
      out,
      '-r',
      path.join(dir, 'look.png'),
      ...FAST,
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(run.stdout.toString())).toMatchObject({ done: 1, quarantined: 0 });
    const want = await meanColour(path.join(dir, 'look.png'));
    const before = distance(await meanColour(path.join(dir, 'cast.mp4')), want);
    const after = distance(await meanColour(path.join(out, 'cam2.mp4')), want);
    expect(before).toBeGreaterThan(5);
    // Most of the way: two thirds of the distance or more (a moving test pattern of flat colours).
    expect(after).toBeLessThan(before / 3);
  });

  it.each([
    ['a look that does not exist', () => ['-r', path.join(dir, 'missing.png')], 'Reference not found: '],
    [
      'a pipeline without a match stage',
      () => ['-r', path.join(dir, 'look.png'), '-p', 'classical'],
      '--reference needs a pipeline with a match stage, and classical has none',
    ],
    [
      'a look inside the watch folder',
      () => ['-r', path.join(dir, 'in2', 'look.png')],
      'lies in the watch folder',
    ],
  ])('refuses %s at start-up (exit 2), taking no file', async (_what, args, message) => {
    const watch = path.join(dir, 'in2');
    const out = path.join(dir, 'out2');
    await mkdir(watch, { recursive: true });
    await copyFile(path.join(dir, 'look.png'), path.join(watch, 'look.png'));
    const run = await vgrade(['ingest', '--watch', watch, '--out', out, ...args(), ...FAST]);
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(message);
    expect((await readdir(watch)).sort()).toEqual(['look.png']);
  });
});
