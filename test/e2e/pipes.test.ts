import { readdir, symlink } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/media.js';
import { processesMentioning, SAMPLE, vgradePiped } from '../helpers/cli.js';

/**
 * A reader that closes standard output early (`| head -1`) is a normal end for a shell tool:
 * vgrade stops quietly as `cat` and ffmpeg do. No stack trace, no message, the status a shell
 * shows for `cat` in the same place (141, 128 + SIGPIPE), no ffmpeg child left running and no
 * partial file left behind.
 */
describe('vgrade writing to a pipe that its reader closes early', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let clip: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('vgrade-pipes-'));
    // The sample under a name no other process mentions, to find any child left running.
    clip = path.join(dir, 'cockatoo-closed-pipe.mp4');
    await symlink(SAMPLE, clip);
  });
  afterAll(() => cleanup());

  it('vgrade classify clip.mp4 --json | head -1: the first record, then a quiet stop', async () => {
    const result = await vgradePiped(['classify', clip, '--json'], 'head -1');
    const lines = result.stdout.toString().split('\n').filter(Boolean);
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ input: clip, frame: 0 });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(141);
    expect(await processesMentioning(clip)).toEqual([]);
  });

  it('vgrade grade clip.mp4 -o - -f nut | head -c 100000: a quiet stop, ffmpeg stopped', async () => {
    const result = await vgradePiped(['grade', clip, '-o', '-', '-f', 'nut'], 'head -c 100000 | wc -c');
    expect(result.stdout.toString().trim()).toBe('100000');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(141);
    expect(await processesMentioning(clip)).toEqual([]);
    expect((await readdir(dir)).filter((f) => f.includes('vgrade-partial'))).toEqual([]);
  });
});
