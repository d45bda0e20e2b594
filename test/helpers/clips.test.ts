import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { clipArgs, makeClip } from './clips.js';
import { decodeRgb, frameTimes, probe, tempDir } from './media.js';

/** The clips the tests synthesise are what their description says. */
describe('makeClip', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('vgrade-clips-'));
  });
  afterAll(() => cleanup());

  const video = (info: any): any => info.streams.find((s: any) => s.codec_type === 'video');
  const audio = (info: any): any => info.streams.find((s: any) => s.codec_type === 'audio');

  it('size, frame count, rate, codec and pixel format as given; no audio unless asked', async () => {
    const file = await makeClip(path.join(dir, 'plain.mkv'), {
      size: '66x38',
      fps: 10,
      frames: 3,
      codec: 'ffv1',
      pixelFormat: 'yuv444p',
    });
    const info = await probe(file, ['-count_frames']);
    expect(video(info)).toMatchObject({
      width: 66,
      height: 38,
      codec_name: 'ffv1',
      pix_fmt: 'yuv444p',
      r_frame_rate: '10/1',
      nb_read_frames: '3',
    });
    expect(audio(info)).toBeUndefined();
  });

  it('a duration at the source default of 25 fps, a sine tone as aac, and colour tags', async () => {
    const file = await makeClip(path.join(dir, 'tagged.mp4'), {
      size: '64x36',
      duration: 0.4,
      codec: 'libx264',
      pixelFormat: 'yuv420p',
      colour: { primaries: 'bt709', transfer: 'bt709', matrix: 'bt709', range: 'tv' },
      audio: { frequency: 1000, sampleRate: 48000 },
    });
    const info = await probe(file, ['-count_frames']);
    expect(video(info)).toMatchObject({
      nb_read_frames: '10',
      color_primaries: 'bt709',
      color_transfer: 'bt709',
      color_space: 'bt709',
      color_range: 'tv',
    });
    expect(audio(info)).toMatchObject({ codec_name: 'aac', sample_rate: '48000' });
  });

  it('a colour source made in RGB paints every pixel exactly that colour', async () => {
    const file = await makeClip(path.join(dir, 'red.png'), {
      source: 'color',
      color: 'red',
      size: '8x4',
      sourceFilter: 'format=rgb24',
      frames: 1,
    });
    const [rgb] = await decodeRgb(file, 8, 4);
    for (let i = 0; i < rgb!.length; i += 3) {
      expect([rgb![i], rgb![i + 1], rgb![i + 2]]).toEqual([255, 0, 0]);
    }
  });

  it('rotation: the pixels as encoded, the turn as the stream says it, no intermediate file left', async () => {
    const file = await makeClip(path.join(dir, 'phone.mp4'), {
      size: '64x36',
      fps: 25,
      duration: 0.2,
      codec: 'libx264',
      rotation: 90,
    });
    const stream = video(await probe(file));
    expect([stream.width, stream.height]).toEqual([64, 36]);
    expect(Math.abs(stream.side_data_list?.[0]?.rotation)).toBe(90);
    expect((await readdir(dir)).filter((f) => f.includes('upright'))).toEqual([]);
  });

  it('variableFrameRate with a start time: frames n mod 7 < 3 or n mod 11 = 0, from 0.5 s', async () => {
    const file = await makeClip(path.join(dir, 'vfr.mkv'), {
      size: '64x36',
      fps: 50,
      frames: 12,
      variableFrameRate: true,
      startTime: 0.5,
      codec: 'ffv1',
    });
    // Of source frames 0..21 at 50 fps: 0 1 2, 7 8 9, 11, 14 15 16, 21 22 (12 frames written).
    const kept = [0, 1, 2, 7, 8, 9, 11, 14, 15, 16, 21, 22];
    const times = await frameTimes(file);
    expect(times).toEqual(kept.map((n) => +(0.5 + n / 50).toFixed(3)));
  });

  it('asks for frames or a duration (a lavfi source never ends)', async () => {
    await expect(makeClip(path.join(dir, 'endless.mkv'), { size: '64x36' })).rejects.toThrow(
      /give frames or duration/,
    );
  });

  it('leaves what is not given to ffmpeg: the plain command for the plain description', () => {
    expect(clipArgs('a.png', { size: '96x64', frames: 1 })).toEqual([
      ...['-f', 'lavfi', '-i', 'testsrc2=size=96x64', '-frames:v', '1', 'a.png'],
    ]);
  });
});
