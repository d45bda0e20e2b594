import { readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, labDistance, meanColour as meanColourOf, tempDir } from '../helpers/media.js';
import { vgrade } from '../helpers/cli.js';
import type { Lab } from '../../src/color/srgb.js';

/**
 * `vgrade match IN --reference REF -o OUT`: a short lavfi clip with a cast, matched to a still of
 * the same scene without it, comes out with the still's colours; references that cannot be read
 * are refused before any work (exit 2), naming them.
 */
describe('vgrade match', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const W = 320;
  const H = 180;
  const scene = `testsrc2=size=${W}x${H}:rate=25:duration=1`;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    // The clip: green up, blue down. The reference: the scene's first frame, clean.
    await ffmpeg([
      ...['-f', 'lavfi', '-i', scene, '-vf', 'colorchannelmixer=gg=1.2:bb=0.8'],
      ...['-c:v', 'libx264', '-crf', '12', '-pix_fmt', 'yuv444p', path.join(dir, 'cast.mp4')],
    ]);
    await ffmpeg(['-f', 'lavfi', '-i', scene, '-frames:v', '1', path.join(dir, 'clean.png')]);
    await ffmpeg([
      ...['-f', 'lavfi', '-i', scene, '-c:v', 'libx264', '-crf', '12', '-pix_fmt', 'yuv444p'],
      path.join(dir, 'clean.mp4'),
    ]);
    await writeFile(path.join(dir, 'broken.png'), 'not a picture\n');
  });
  afterAll(() => cleanup());

  const meanColour = (file: string): Promise<Lab> => meanColourOf(file, W, H);
  const distance = labDistance;

  it("brings the clip's colour to the reference's", async () => {
    const out = path.join(dir, 'matched.mp4');
    const result = await vgrade([
      'match',
      path.join(dir, 'cast.mp4'),
      '--reference',
      path.join(dir, 'clean.png'),
      '-o',
      out,
    ]);
    expect(result.stderr).not.toMatch(/vgrade:/);
    expect(result.code).toBe(0);
    const want = await meanColour(path.join(dir, 'clean.mp4'));
    const before = distance(await meanColour(path.join(dir, 'cast.mp4')), want);
    const after = distance(await meanColour(out), want);
    expect(before).toBeGreaterThan(5);
    expect(after).toBeLessThan(before / 4);
  });

  it('takes a frame of a video as the reference, and writes .cube and ASC CDL with --export', async () => {
    const out = path.join(dir, 'from-video.mp4');
    const exported = path.join(dir, 'looks');
    const result = await vgrade([
      ...['match', path.join(dir, 'cast.mp4'), '-r', `${path.join(dir, 'clean.mp4')}@00:00:00.400`],
      ...['-o', out, '--export', exported],
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect((await readdir(exported)).sort()).toEqual([
      'cast.ccc',
      'cast.edl',
      'cast.shot-000.cc',
      'cast.shot-000.cube',
    ]);
    // Another moment of the scene: a looser match than to its first frame, but most of the way.
    const want = await meanColour(path.join(dir, 'clean.mp4'));
    expect(distance(await meanColour(out), want)).toBeLessThan(
      distance(await meanColour(path.join(dir, 'cast.mp4')), want) / 2,
    );
  });

  it('matches a still to a still, and a clip read from stdin to stdout', async () => {
    await ffmpeg([
      ...['-f', 'lavfi', '-i', scene, '-vf', 'colorchannelmixer=gg=1.2:bb=0.8', '-frames:v', '1'],
      path.join(dir, 'cast.png'),
    ]);
    const still = path.join(dir, 'matched.png');
    const result = await vgrade([
      'match',
      path.join(dir, 'cast.png'),
      '-r',
      path.join(dir, 'clean.png'),
      '-o',
      still,
    ]);
    expect(result.code, result.stderr).toBe(0);
    const want = await meanColour(path.join(dir, 'clean.png'));
    expect(distance(await meanColour(still), want)).toBeLessThan(
      distance(await meanColour(path.join(dir, 'cast.png')), want) / 4,
    );

    // A stream on stdin: Matroska (an MP4's index is at its end).
    await ffmpeg(['-i', path.join(dir, 'cast.mp4'), '-c', 'copy', path.join(dir, 'cast.mkv')]);
    const piped = await vgrade(
      ['match', '-', '-r', path.join(dir, 'clean.png'), '-o', '-', '-f', 'matroska'],
      { stdin: await readFile(path.join(dir, 'cast.mkv')) },
    );
    expect(piped.code, piped.stderr.toString()).toBe(0);
    await writeFile(path.join(dir, 'piped.mkv'), piped.stdout);
    // Most of the way: two thirds of the distance or more (a moving test pattern of flat colours).
    expect(distance(await meanColour(path.join(dir, 'piped.mkv')), want)).toBeLessThan(
      distance(await meanColour(path.join(dir, 'cast.mp4')), want) / 3,
    );
  });

  it.each([
    ['missing.png', 'Reference not found: '],
    ['broken.png', '.png: it holds no picture'],
    ['clean.png@00:00:01', 'Cannot read the reference '],
    ['clean.mp4@10', 'Cannot read the reference '],
  ])('refuses the reference %s before any work (exit 2), naming it', async (name, message) => {
    const out = path.join(dir, `refused-${name.replace(/\W/g, '_')}.mp4`);
    const ref = path.join(dir, name);
    const result = await vgrade(['match', path.join(dir, 'cast.mp4'), '-r', ref, '-o', out]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain(path.join(dir, name.split('@')[0]!));
    expect(await readdir(dir)).not.toContain(path.basename(out));
  });
});
