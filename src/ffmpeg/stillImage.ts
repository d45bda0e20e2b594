import path from 'node:path';

/**
 * File extensions (lower case, with the dot) that ffmpeg reads and writes as still images through
 * its `image2` demuxer and muxer: one picture per file, or a numbered sequence of them.
 */
export const STILL_IMAGE_EXTENSIONS: ReadonlySet<string> = new Set([
  '.png',
  '.jpg',
  '.jpeg',
  '.tif',
  '.tiff',
  '.bmp',
  '.webp',
]);

/** Whether `file` names a still image (or an image sequence pattern) by its extension, in any case. */
export function isStillImageFile(file: string): boolean {
  return STILL_IMAGE_EXTENSIONS.has(path.extname(file).toLowerCase());
}
