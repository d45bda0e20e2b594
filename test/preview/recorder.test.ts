import { describe, expect, it } from 'vitest';
import { recorderArgs } from '../../src/preview/recorder.js';

// prettier-ignore
const head = [
  '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
  '-use_wallclock_as_timestamps', '1', '-pix_fmt', 'rgb24', '-video_size', '640x360',
  '-f', 'rawvideo', '-i', 'pipe:0',
  '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-pix_fmt', 'yuv420p',
  '-vsync', 'vfr',
];

describe("the preview recorder's command line", () => {
  it.each([
    [
      'an MP4 file, with its index first',
      'out/.rec.vgrade-partial-1.mp4',
      ['-movflags', '+faststart', 'out/.rec.vgrade-partial-1.mp4'],
    ],
    ['a MOV file (extension in any case)', '.rec.MOV', ['-movflags', '+faststart', '.rec.MOV']],
    ['a Matroska file, as it is', 'rec.mkv', ['rec.mkv']],
    ['standard output, as NUT', '-', ['-f', 'nut', 'pipe:1']],
  ])('writes wall-clock timed H.264 to %s', (_, target, tail) => {
    expect(recorderArgs(640, 360, target)).toEqual([...head, ...tail]);
  });
});
