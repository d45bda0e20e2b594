import { describe, expect, it } from 'vitest';
import { retagArgs } from '../../src/ffmpeg/rotation.js';

describe("the rotation remux's command line", () => {
  it('copies every stream and the metadata, tagging the video with the rotation', () => {
    // prettier-ignore
    expect(retagArgs('out/graded.mp4', 'out/graded.rotate.mp4', '90')).toEqual([
      '-hide_banner', '-nostdin', '-loglevel', 'error', '-y',
      '-i', 'out/graded.mp4',
      '-map', '0', '-c', 'copy', '-map_metadata', '0', '-metadata:s:v:0', 'rotate=90',
      '-movflags', '+faststart', 'out/graded.rotate.mp4',
    ]);
  });

  it('keeps a file name that begins with - from being read as an option', () => {
    const args = retagArgs('-graded.mp4', '-graded.rotate.mp4', '270');
    expect(args).toContain('file:-graded.mp4');
    expect(args.at(-1)).toBe('file:-graded.rotate.mp4');
  });
});
