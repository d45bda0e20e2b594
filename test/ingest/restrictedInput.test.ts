import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { probeMedia } from '../../src/ffmpeg/probe.js';
import { restrictedFileInput } from '../../src/ffmpeg/input.js';
import { binaries, ffmpeg, tempDir } from '../helpers/media.js';

describe('inputs opened for unattended ingest', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let ffprobe: string;
  beforeAll(async () => {
    tmp = await tempDir('vgrade-restricted-');
    ffprobe = (await binaries()).ffprobe;
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=64x36:rate=10',
      '-t',
      '0.5',
      path.join(tmp.dir, 'http:clip.mp4'),
    ]);
  });
  afterAll(() => tmp.cleanup());

  const probe = (name: string) => {
    const input = restrictedFileInput(path.join(tmp.dir, name));
    return probeMedia(ffprobe, input.ffmpegInput, { inputOptions: input.inputOptions! });
  };

  it('read ordinary footage, even under a name that looks like a URL', async () => {
    const info = await probe('http:clip.mp4');
    expect(info.video).toMatchObject({ width: 64, height: 36 });
  });

  it('refuse a playlist that points at files elsewhere', async () => {
    await writeFile(
      path.join(tmp.dir, 'evil.m3u8'),
      '#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n',
    );
    await expect(probe('evil.m3u8')).rejects.toMatchObject({
      code: 'E_INPUT_NOT_MEDIA',
      message: expect.stringMatching(/not on whitelist/),
    });
  });

  it('refuse a concat list, whatever it is called', async () => {
    await writeFile(
      path.join(tmp.dir, 'list.mp4'),
      `ffconcat version 1.0\nfile ${path.join(tmp.dir, 'http:clip.mp4')}\n`,
    );
    await expect(probe('list.mp4')).rejects.toMatchObject({ code: 'E_INPUT_NOT_MEDIA' });
  });
});
