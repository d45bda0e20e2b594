import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HdrView } from '../../src/color/hdr.js';
import { decodePng } from '../../src/image/png.js';
import {
  contactSheetLayout,
  formatClipTime,
  labelBand,
  writeContactSheet,
  type ContactSheetLayout,
} from '../../src/ingest/contactSheet.js';
import { textWidth, type RgbImage } from '../../src/ingest/bitmapFont.js';
import { binaries, ffmpeg, tempDir } from '../helpers/media.js';

/** The grey levels of a rectangle of an RGB picture (red channel), row by row. */
function region(image: RgbImage, x: number, y: number, w: number, h: number): number[] {
  const out: number[] = [];
  for (let j = y; j < y + h; j++)
    for (let i = x; i < x + w; i++) out.push(image.rgb[(j * image.width + i) * 3]!);
  return out;
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

describe('contact sheet times', () => {
  it('are written as hours, minutes, seconds and hundredths', () => {
    expect(formatClipTime(0)).toBe('00:00:00.00');
    expect(formatClipTime(4.2)).toBe('00:00:04.20');
    expect(formatClipTime(59.999)).toBe('00:01:00.00');
    expect(formatClipTime(3723.456)).toBe('01:02:03.46');
  });

  it('are spread evenly from the first frame and put on the frame grid', () => {
    expect(contactSheetLayout({ duration: 2, displayAspect: 16 / 9 }).times).toEqual([0, 0.5, 1, 1.5]);
    const ntsc = contactSheetLayout({ duration: 10, displayAspect: 16 / 9, frameRate: 30000 / 1001 }).times;
    expect(ntsc).toHaveLength(4);
    for (const t of ntsc)
      expect(Math.abs(t * (30000 / 1001) - Math.round(t * (30000 / 1001)))).toBeLessThan(1e-9);
    expect(ntsc[1]).toBeCloseTo((75 * 1001) / 30000, 9); // frame 75 of 29.97
  });

  it('name each frame once when the clip has fewer frames than the sheet has columns', () => {
    expect(contactSheetLayout({ duration: 0.08, displayAspect: 1, frameRate: 25 }).times).toEqual([0, 0.04]);
    expect(contactSheetLayout({ duration: 0, displayAspect: 1 }).times).toEqual([0]);
  });
});

describe('a contact sheet label band', () => {
  const layout = contactSheetLayout({ duration: 2, displayAspect: 16 / 9, frameRate: 25 });

  it('names its row and gives each picture its own time', () => {
    const source = labelBand(layout, 'source');
    const graded = labelBand(layout, 'graded');
    const name = (b: RgbImage) => region(b, 0, 0, layout.tileWidth / 2, layout.bandHeight);
    const time = (b: RgbImage, k: number) =>
      region(
        b,
        k * (layout.tileWidth + 4) + layout.tileWidth / 2,
        0,
        layout.tileWidth / 2,
        layout.bandHeight,
      );
    expect(new Set(name(source)).size).toBeGreaterThan(1);
    expect(name(source)).not.toEqual(name(graded));
    for (let k = 0; k < 4; k++) expect(new Set(time(source, k)).size, `column ${k}`).toBeGreaterThan(1);
    expect(time(source, 1)).not.toEqual(time(source, 2));
    expect(time(source, 2)).toEqual(time(graded, 2));
  });

  it('uses a smaller font when a picture is too narrow for the large one', () => {
    const narrow = contactSheetLayout({ duration: 2, displayAspect: 1 }, { frames: 3, width: 120 });
    expect(narrow.scale).toBe(1);
    expect(textWidth('GRADED', 1) + textWidth('00:00:00.00', 1)).toBeLessThan(120);
    expect(layout.scale).toBe(2);
  });
});

describe('writeContactSheet', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let before: string;
  let after: string;
  beforeAll(async () => {
    tmp = await tempDir('vgrade-sheet-');
    // Each frame's grey level says which frame it is: frame N of the source is 16 + 4N, of the
    // "graded" file 220 - 4N (lossless, so the levels come back exactly).
    before = path.join(tmp.dir, 'before.mkv');
    after = path.join(tmp.dir, 'after.mkv');
    for (const [file, lum] of [
      [before, '16+4*N'],
      [after, '220-4*N'],
    ] as const) {
      await ffmpeg([
        '-f',
        'lavfi',
        '-i',
        `color=c=black:s=64x36:r=25:d=2,format=yuv444p,geq=lum='${lum}':cb=128:cr=128`,
        '-c:v',
        'ffv1',
        file,
      ]);
    }
  });
  afterAll(() => tmp.cleanup());

  /** The frame number a picture of the sheet shows, from its grey level (full-range RGB of limited-range Y). */
  function frameShown(sheet: RgbImage, layout: ContactSheetLayout, row: number, k: number): number {
    const x = k * (layout.tileWidth + 4) + 10;
    const y = row * (layout.bandHeight + layout.tileHeight + 4) + layout.bandHeight + 10;
    const y8 = (mean(region(sheet, x, y, 20, 20)) * 219) / 255 + 16;
    return row === 0 ? (y8 - 16) / 4 : (220 - y8) / 4;
  }

  it('shows each row under its label band, each picture the frame at the time written over it', async () => {
    const target = path.join(tmp.dir, 'sheet.png');
    const input = { path: before, label: before, format: undefined, ffmpegInput: before };
    const layout = await writeContactSheet((await binaries()).ffmpeg, input, after, target, {
      duration: 2,
      displayAspect: 16 / 9,
      frameRate: 25,
    });
    expect(layout.times).toEqual([0, 0.52, 1, 1.52]); // frames 0, 13, 25, 38
    const png = decodePng(await readFile(target));
    expect([png.width, png.height]).toEqual([layout.width, layout.height]);
    expect(layout).toMatchObject({ width: 4 * 320 + 3 * 4, height: 2 * (layout.bandHeight + 180) + 4 });
    const sheet = { width: png.width, height: png.height, rgb: png.rgb };

    for (const [row, name] of [
      [0, 'source'],
      [1, 'graded'],
    ] as const) {
      const top = row * (layout.bandHeight + layout.tileHeight + 4);
      const band = region(sheet, 0, top, layout.width, layout.bandHeight);
      expect(band, `${name} band`).toEqual([...labelBand(layout, name).rgb].filter((_, i) => i % 3 === 0));
      for (const [k, t] of layout.times.entries()) {
        expect(frameShown(sheet, layout, row, k), `${name} at ${formatClipTime(t)}`).toBeCloseTo(t * 25, 0);
      }
    }
  });

  it("shows an HDR clip's pictures as their SDR view, as vgrade graded them; the bands as they are", async () => {
    const input = { path: before, label: before, format: undefined, ffmpegInput: before };
    const clip = { duration: 2, displayAspect: 16 / 9, frameRate: 25 };
    const plain = path.join(tmp.dir, 'plain.png');
    const hdr = path.join(tmp.dir, 'hdr.png');
    const layout = await writeContactSheet((await binaries()).ffmpeg, input, after, plain, clip);
    await writeContactSheet((await binaries()).ffmpeg, input, after, hdr, { ...clip, hdr: 'HLG' });
    const seen = decodePng(await readFile(hdr)).rgb;
    const expected = decodePng(await readFile(plain)).rgb;
    const rowBytes = layout.width * 3;
    for (let row = 0; row < 2; row++) {
      const top = row * (layout.bandHeight + layout.tileHeight + 4);
      const band = [top * rowBytes, (top + layout.bandHeight) * rowBytes] as const;
      expect(seen.subarray(...band)).toEqual(expected.subarray(...band));
      const pictures = expected.slice(band[1], band[1] + layout.tileHeight * rowBytes);
      new HdrView('HLG').toSdrInPlace(pictures);
      expect(seen.subarray(band[1], band[1] + layout.tileHeight * rowBytes)).toEqual(pictures);
    }
  });
});
