/**
 * A Blu-ray (PGS) subtitle file of one caption, written byte by byte: ffmpeg has no encoder that
 * makes bitmap subtitles from text, so tests that need a bitmap subtitle stream write one.
 */
import { writeFile } from 'node:fs/promises';

/** One PGS segment: magic, presentation and decoding times (90 kHz), type, size, data. */
function segment(type: number, data: Buffer, pts: number): Buffer {
  const head = Buffer.alloc(13);
  head.write('PG', 0, 'latin1');
  head.writeUInt32BE(pts, 2);
  head.writeUInt32BE(0, 6);
  head.writeUInt8(type, 10);
  head.writeUInt16BE(data.length, 11);
  return Buffer.concat([head, data]);
}

/** A display set: the caption (a 16x4 box of palette entry 1 at 10,40) shown, or cleared. */
function displaySet(pts: number, shown: boolean, width: number, height: number): Buffer {
  const composition = Buffer.alloc(shown ? 19 : 11);
  composition.writeUInt16BE(width, 0);
  composition.writeUInt16BE(height, 2);
  composition.writeUInt8(0x10, 4); // frame rate code
  composition.writeUInt16BE(shown ? 0 : 1, 5); // composition number
  composition.writeUInt8(shown ? 0x80 : 0, 7); // epoch start, or normal
  composition.writeUInt8(0, 8); // no palette update
  composition.writeUInt8(0, 9); // palette 0
  composition.writeUInt8(shown ? 1 : 0, 10); // objects shown
  if (shown) {
    composition.writeUInt16BE(0, 11); // object 0
    composition.writeUInt8(0, 13); // window 0
    composition.writeUInt8(0, 14); // not cropped
    composition.writeUInt16BE(10, 15);
    composition.writeUInt16BE(40, 17);
  }
  const window = Buffer.from([1, 0, 0, 10, 0, 40, 0, 16, 0, 4]);
  const parts = [segment(0x16, composition, pts), segment(0x17, window, pts)];
  if (shown) {
    // Palette 0: entry 1 white and opaque (Y, Cr, Cb, alpha).
    parts.push(segment(0x14, Buffer.from([0, 0, 1, 235, 128, 128, 255]), pts));
    // Four rows of 16 pixels of entry 1, run-length coded, each ended by 0x00 0x00.
    const rows = Buffer.concat(
      Array.from({ length: 4 }, () => Buffer.from([0x00, 0x80 | 16, 0x01, 0x00, 0x00])),
    );
    const object = Buffer.alloc(11);
    object.writeUInt16BE(0, 0); // object 0
    object.writeUInt8(0, 2); // version
    object.writeUInt8(0xc0, 3); // first and last fragment
    object.writeUIntBE(rows.length + 4, 4, 3);
    object.writeUInt16BE(16, 7);
    object.writeUInt16BE(4, 9);
    parts.push(segment(0x15, Buffer.concat([object, rows]), pts));
  }
  parts.push(segment(0x80, Buffer.alloc(0), pts));
  return Buffer.concat(parts);
}

/** Writes a `.sup` that shows one caption from 0.1 s to 0.5 s on a `width` x `height` picture. */
export async function writePgs(file: string, width: number, height: number): Promise<void> {
  await writeFile(
    file,
    Buffer.concat([displaySet(9000, true, width, height), displaySet(45000, false, width, height)]),
  );
}
