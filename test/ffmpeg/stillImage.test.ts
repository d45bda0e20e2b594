import { describe, expect, it } from 'vitest';
import { isStillImageFile, STILL_IMAGE_EXTENSIONS } from '../../src/ffmpeg/stillImage.js';
import { outputKind } from '../../src/ffmpeg/output.js';

describe('still image file names', () => {
  it('are PNG, JPEG, TIFF, BMP and WebP, by extension in any case', () => {
    for (const name of [
      'a.png',
      'b.JPG',
      'c.jpeg',
      'd.tif',
      'e.TIFF',
      'dir.mp4/f.bmp',
      'g.webp',
      'h_%05d.png',
    ]) {
      expect(isStillImageFile(name), name).toBe(true);
    }
    for (const name of ['a.mp4', 'b.mkv', 'c.mov', 'png', 'd.png.mp4', 'e.gif', '-']) {
      expect(isStillImageFile(name), name).toBe(false);
    }
  });

  it('are what an output is written as an image for', () => {
    for (const ext of STILL_IMAGE_EXTENSIONS) expect(outputKind(`out${ext}`), ext).toBe('image');
  });
});
