import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mp4IndexAtEnd } from '../../src/run/input.js';
import { ffmpeg, tempDir } from '../helpers/media.js';

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

  /** The first 64 KiB of a 2 s clip written with these output options. */
  async function head(name: string, options: string[]): Promise<Buffer> {
    const file = path.join(dir, name);
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x90:rate=25',
      '-t',
      '2',
      '-c:v',
      'libx264',
      '-preset',
      'ultrafast',
      ...options,
      file,
    ]);
    return (await readFile(file)).subarray(0, 64 * 1024);
  }

  it('true for an mp4 as ffmpeg writes it by default: media first, index at the end', async () => {
    expect(mp4IndexAtEnd(await head('plain.mp4', []))).toBe(true);
  });

  it('true for a QuickTime .mov written the same way', async () => {
    expect(mp4IndexAtEnd(await head('plain.mov', []))).toBe(true);
  });

  it('false for an mp4 with its index moved to the front (-movflags faststart)', async () => {
    expect(mp4IndexAtEnd(await head('fast.mp4', ['-movflags', 'faststart']))).toBe(false);
  });

  it('false for a fragmented mp4, which streams', async () => {
    expect(mp4IndexAtEnd(await head('frag.mp4', ['-movflags', 'frag_keyframe+empty_moov']))).toBe(false);
  });

  it('false for streaming containers: nut, matroska', async () => {
    expect(mp4IndexAtEnd(await head('a.nut', []))).toBe(false);
    expect(mp4IndexAtEnd(await head('a.mkv', []))).toBe(false);
  });

  it('false for a head too short to tell, and for nothing at all', () => {
    expect(mp4IndexAtEnd(Buffer.from([0, 0, 0, 32, 0x66, 0x74, 0x79, 0x70]))).toBe(false); // ftyp, cut short
    expect(mp4IndexAtEnd(Buffer.alloc(0))).toBe(false);
  });
});
