import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeRgb, ffmpeg, tempDir } from '../helpers/media.js';
import { SAMPLE } from '../helpers/cli.js';
import { decodePng, encodePng } from '../../src/image/png.js';

describe('decodePng', () => {
  it('reads back what encodePng wrote (odd size)', () => {
    const w = 37;
    const h = 23;
    const rgb = new Uint8Array(w * h * 3).map((_, i) => (i * 37 + (i >> 5)) & 0xff);
    const back = decodePng(encodePng(w, h, rgb));
    expect([back.width, back.height]).toEqual([w, h]);
    expect(Buffer.compare(Buffer.from(back.rgb), Buffer.from(rgb))).toBe(0);
  });

  it.each([
    ['rgb24', 'RGB'],
    ['rgba', 'RGBA (alpha dropped)'],
    ['gray', 'grey'],
  ])(
    'reads PNGs ffmpeg writes as %s (%s), with every row filter, to the same pixels as ffmpeg',
    async (pixFmt) => {
      const { dir, cleanup } = await tempDir();
      try {
        const file = path.join(dir, 'x.png');
        // -pred mixed makes ffmpeg choose a filter per row (None, Sub, Up, Average, Paeth).
        await ffmpeg([
          '-ss',
          '1',
          '-i',
          SAMPLE,
          '-frames:v',
          '1',
          '-vf',
          `scale=97:55,format=${pixFmt}`,
          '-pred',
          'mixed',
          file,
        ]);
        const ours = decodePng(await readFile(file));
        const [theirs] = await decodeRgb(file, 97, 55);
        expect(Buffer.compare(Buffer.from(ours.rgb), theirs!)).toBe(0);
      } finally {
        await cleanup();
      }
    },
  );

  it('refuses what it does not read, so callers can fall back to ffmpeg', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const file = path.join(dir, 'deep.png');
      await ffmpeg(['-i', SAMPLE, '-frames:v', '1', '-vf', 'scale=16:16,format=rgb48be', file]);
      expect(() => decodePng(Buffer.from('hello'))).toThrow(/not a PNG/);
      const deep = await readFile(file);
      expect(() => decodePng(deep)).toThrow(/unsupported PNG \(depth 16/);
    } finally {
      await cleanup();
    }
  });
});
