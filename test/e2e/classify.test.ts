import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, tempDir } from '../helpers/media.js';
import { vgrade } from '../helpers/cli.js';

describe('vgrade classify', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let clip: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('vgrade-classify-'));
    clip = path.join(dir, 'clip.mp4');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=96x64:rate=25',
      '-frames:v',
      '13',
      '-pix_fmt',
      'yuv420p',
      clip,
    ]);
  });
  afterAll(() => cleanup());

  it('sums up each input in words, a count of one in the singular: "1 frame analysed, 1 shot"', async () => {
    const result = await vgrade(['classify', 'clip.mp4', '--every', '13'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.toString().split('\n')[0]).toBe('clip.mp4: 1 frame analysed, 1 shot');
  });
});
