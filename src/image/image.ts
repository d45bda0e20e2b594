/** Interleaved RGB images as the stream carries them: rgb24 (8 bits) or rgb48le (16 bits). */

export type Depth = 8 | 16;

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  readonly depth: Depth;
  /** Interleaved R, G, B; `Uint8Array` at depth 8, `Uint16Array` at depth 16. */
  readonly data: Uint8Array | Uint16Array;
}

/** A rectangle inside an image, in pixels. */
export interface Rect {
  readonly x: number;
  readonly y: number;
  readonly width: number;
  readonly height: number;
}

export function allocImage(width: number, height: number, depth: Depth): RgbImage {
  const length = width * height * 3;
  return { width, height, depth, data: depth === 8 ? new Uint8Array(length) : new Uint16Array(length) };
}

export function maxValue(depth: Depth): number {
  return depth === 8 ? 255 : 65535;
}

/** Bytes one frame of this size and depth occupies on a raw pipe. */
export function frameBytes(width: number, height: number, depth: Depth): number {
  return width * height * 3 * (depth / 8);
}

/** The ffmpeg pixel format name for a depth. */
export function rawPixelFormat(depth: Depth): 'rgb24' | 'rgb48le' {
  return depth === 8 ? 'rgb24' : 'rgb48le';
}

/** A view of the image's pixel bytes (what a pipe carries), without copying. */
export function imageBytes(image: RgbImage): Uint8Array {
  const d = image.data;
  return d instanceof Uint8Array ? d : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

export function fullRect(image: { width: number; height: number }): Rect {
  return { x: 0, y: 0, width: image.width, height: image.height };
}
