import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mp4IndexAtEnd } from '../../src/ffmpeg/input.js';
import { makeClip } from '../helpers/clips.js';
import { tempDir } from '../helpers/media.js';

/**
 * An mp4 read from a pipe needs its index (moov) before its media (mdat): ffmpeg cannot seek back.
 * Told apart from the first bytes of the stream, as standard input's probe sees them.
 */
describe('mp4IndexAtEnd', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('vgrade-input-'));
  });
  afterAll(() => cleanup());

  /** The first 64 KiB of a 2 s clip written with these `-movflags`. */
  async function head(name: string, movflags: string | undefined): Promise<Buffer> {
    const file = await makeClip(path.join(dir, name), {
      size: '160x90',
      fps: 25,
      duration: 2,
      codec: 'libx264',
      preset: 'ultrafast',
      movflags,
    });
    return (await readFile(file)).subarray(0, 64 * 1024);
  }

  // Each row: what the head says, what was written, the file's name, and its -movflags.
  it.each<[boolean, string, string, string | undefined]>([
    [true, 'an mp4 as ffmpeg writes it by default: media first, index at the end', 'plain.mp4', undefined],
    [true, 'a QuickTime .mov written the same way', 'plain.mov', undefined],
    [false, 'an mp4 with its index moved to the front (-movflags faststart)', 'fast.mp4', 'faststart'],
    [false, 'a fragmented mp4, which streams', 'frag.mp4', 'frag_keyframe+empty_moov'],
    [false, 'a streaming container: nut', 'a.nut', undefined],
    [false, 'a streaming container: matroska', 'a.mkv', undefined],
  ])('%s for %s', async (atEnd, _, name, movflags) => {
    expect(mp4IndexAtEnd(await head(name, movflags))).toBe(atEnd);
  });

  it('false for a head too short to tell, and for nothing at all', () => {
    expect(mp4IndexAtEnd(Buffer.from([0, 0, 0, 32, 0x66, 0x74, 0x79, 0x70]))).toBe(false); // ftyp, cut short
    expect(mp4IndexAtEnd(Buffer.alloc(0))).toBe(false);
  });
});
