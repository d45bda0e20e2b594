/**
 * Closed captions inside an H.264 stream, as broadcast H.264 carries them: an ATSC A/53 SEI
 * (user data registered by ITU-T T.35, "GA94", two CEA-608 byte pairs) before every picture's
 * slice. ffmpeg has no caption encoder, so tests that need captions insert them.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { ffmpeg } from './media.js';

/** The SEI NAL unit (with its start code) carrying one picture's caption bytes. */
function captionSei(): Buffer {
  const captionData = [0xc2, 0xff, 0xfc, 0x94, 0x20, 0xfc, 0x80, 0x80, 0xff]; // 2 pairs, marker bits
  const payload = Buffer.from([0xb5, 0x00, 0x31, ...Buffer.from('GA94'), 0x03, ...captionData]);
  return Buffer.concat([Buffer.from([0, 0, 0, 1, 0x06, 0x04, payload.length]), payload, Buffer.from([0x80])]);
}

/** Splits an Annex B stream into NAL units (without their start codes). */
function nalUnits(stream: Buffer): Buffer[] {
  const starts: number[] = [];
  for (let i = 0; i + 2 < stream.length; i++) {
    if (stream[i] === 0 && stream[i + 1] === 0 && stream[i + 2] === 1) starts.push(i + 3);
  }
  return starts.map((start, k) => {
    let end = k + 1 < starts.length ? starts[k + 1]! - 3 : stream.length;
    if (k + 1 < starts.length && stream[end - 1] === 0) end--; // a four-byte start code's zero
    return stream.subarray(start, end);
  });
}

/**
 * Writes `file` (an MP4) as `source` (H.264) with a caption SEI before every picture; returns how
 * many pictures carry one.
 */
export async function withClosedCaptions(source: string, file: string, frameRate: string): Promise<number> {
  const annexB = `${file}.h264`;
  await ffmpeg([
    '-i',
    source,
    '-map',
    '0:v:0',
    '-c',
    'copy',
    '-bsf:v',
    'h264_mp4toannexb',
    '-f',
    'h264',
    annexB,
  ]);
  const parts: Buffer[] = [];
  let pictures = 0;
  for (const nal of nalUnits(await readFile(annexB))) {
    const type = nal[0]! & 0x1f;
    if (type === 1 || type === 5) {
      parts.push(captionSei());
      pictures++;
    }
    parts.push(Buffer.from([0, 0, 0, 1]), nal);
  }
  await writeFile(annexB, Buffer.concat(parts));
  await ffmpeg(['-r', frameRate, '-i', annexB, '-c', 'copy', file]);
  await rm(annexB, { force: true });
  return pictures;
}
