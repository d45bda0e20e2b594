import { describe, expect, it } from 'vitest';
import { JpegSplitter } from '../../src/preview/jpegEncoder.js';

const jpeg = (body: number[]) => Buffer.from([0xff, 0xd8, ...body, 0xff, 0xd9]);

describe('splitting an MJPEG stream into pictures', () => {
  it('finds each picture however the stream is chunked, even when a marker straddles two chunks', () => {
    const pictures = [jpeg([1, 2, 0xff, 0x00, 3]), jpeg([0xff, 0xd0, 4]), jpeg([])];
    const stream = Buffer.concat(pictures);
    for (let size = 1; size <= stream.length; size++) {
      const found: Buffer[] = [];
      const splitter = new JpegSplitter((p) => found.push(p));
      for (let at = 0; at < stream.length; at += size) splitter.push(stream.subarray(at, at + size));
      expect(found).toEqual(pictures);
    }
  });

  it('keeps its pictures when the chunks it came from are reused', () => {
    const found: Buffer[] = [];
    const splitter = new JpegSplitter((p) => found.push(p));
    const chunk = Buffer.from(jpeg([7, 8]).subarray(0, 3));
    splitter.push(chunk);
    chunk.fill(0);
    splitter.push(jpeg([7, 8]).subarray(3));
    expect(found).toEqual([jpeg([7, 8])]);
  });
});
