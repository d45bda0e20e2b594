import { describe, expect, it } from 'vitest';
import { jpegEncoderArgs } from '../../src/preview/jpegEncoder.js';

describe("the preview JPEG encoder's command line", () => {
  it('reads rgb24 pictures of the given size from stdin and writes one flushed JPEG each to stdout', () => {
    // prettier-ignore
    expect(jpegEncoderArgs(385, 289, 5)).toEqual([
      '-hide_banner', '-nostdin', '-loglevel', 'error',
      '-probesize', '32', '-pix_fmt', 'rgb24', '-video_size', '385x289', '-framerate', '25',
      '-f', 'rawvideo', '-i', 'pipe:0',
      '-c:v', 'mjpeg', '-threads', '1', '-q:v', '5', '-pix_fmt', 'yuvj420p', '-flush_packets', '1',
      '-f', 'image2pipe', 'pipe:1',
    ]);
  });
});
