import { describe, expect, it } from 'vitest';
import { parseLiveInput } from '../../src/preview/liveInput.js';

describe('preview sources', () => {
  it('lavfi: an ffmpeg test source, paced in real time', () => {
    expect(parseLiveInput('lavfi:testsrc2=size=1280x720:rate=25')).toMatchObject({
      kind: 'lavfi',
      args: ['-re', '-f', 'lavfi', '-i', 'testsrc2=size=1280x720:rate=25'],
    });
  });

  it('a V4L2 camera', () => {
    expect(parseLiveInput('/dev/video0')).toMatchObject({
      kind: 'v4l2',
      args: ['-f', 'v4l2', '-i', '/dev/video0'],
    });
  });

  it('network streams, without input buffering; RTSP over TCP', () => {
    const rtsp = parseLiveInput('rtsp://cam.local/stream1');
    expect(rtsp.kind).toBe('network');
    expect(rtsp.args.slice(0, 2)).toEqual(['-rtsp_transport', 'tcp']);
    expect(rtsp.args).toContain('nobuffer');
    for (const url of ['http://x/live.ts', 'udp://239.0.0.1:1234', 'srt://host:9000']) {
      expect(parseLiveInput(url)).toMatchObject({
        kind: 'network',
        args: expect.arrayContaining(['-i', url]),
      });
    }
  });

  it('a file, played at its own rate and looped', () => {
    expect(parseLiveInput('clip.mp4').args).toEqual(['-re', '-stream_loop', '-1', '-i', 'clip.mp4']);
    expect(parseLiveInput('-odd.mp4').args.at(-1)).toBe('file:-odd.mp4');
  });

  it('refuses what it cannot open', () => {
    expect(() => parseLiveInput('')).toThrow(/needs a source/);
    expect(() => parseLiveInput('lavfi:')).toThrow(/filter graph/);
    expect(() => parseLiveInput('ftp://host/file')).toThrow(/not a live source/);
  });
});
