import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip } from '../helpers/clips.js';
import { ffmpeg, frameTimes, probe, tempDir } from '../helpers/media.js';
import { vgrade } from '../helpers/cli.js';

const run = promisify(execFile);

/** Every frame of `file` as yuv420p bytes, one buffer per frame. */
async function yuvFrames(file: string, width: number, height: number): Promise<Buffer[]> {
  const args = ['-v', 'error', '-i', file, '-map', '0:v:0', '-fps_mode', 'passthrough'];
  const { stdout } = await run('ffmpeg', [...args, '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-'], {
    encoding: 'buffer',
    maxBuffer: 1 << 26,
  });
  const size = (width * height * 3) / 2;
  return Array.from({ length: stdout.length / size }, (_, i) => stdout.subarray(i * size, (i + 1) * size));
}

function meanDifference(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

/**
 * `encode`'s `apply: node` (the default where the source is 8-bit 4:2:0): one decode, whose
 * full-resolution pictures are graded in Node through each frame's LUT composed into Y'CbCr, and
 * encoded as they come. Checked against `apply: encoder` (the encoder's ffmpeg decodes the input
 * again and applies the LUT with haldclut), which it replaces.
 */
describe('one decode: the LUT applied in Node to the decoder’s own pictures', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let clip: string;
  const W = 160;
  const H = 96;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('vgrade-one-decode-'));
    const made = path.join(dir, 'made.mkv');
    // A variable frame rate, a cast to correct, lossless; then the video moved 0.5 s after the audio.
    await makeClip(made, {
      size: `${W}x${H}`,
      fps: 25,
      duration: 1.6,
      // Smooth (blurred) so that the encoder's chroma resampling, which blurs sharp chroma edges, is not measured.
      filter: 'boxblur=4,colorbalance=rm=0.2:bm=-0.2',
      variableFrameRate: true,
      audio: true,
      codec: 'ffv1',
      pixelFormat: 'yuv420p',
    });
    clip = path.join(dir, 'late.mkv');
    await ffmpeg([
      ...['-i', made, '-itsoffset', '0.5', '-i', made],
      ...['-map', '1:v', '-map', '0:a', '-c', 'copy', clip],
    ]);
    expect((await frameTimes(clip))[0]).toBeGreaterThan(0.4);
  });
  afterAll(() => cleanup());

  const grade = async (apply: string, out: string, extra: string[] = []) => {
    const result = await vgrade([
      'grade',
      clip,
      '-o',
      out,
      '-p',
      'classical',
      '--codec',
      'ffv1',
      '--set',
      `encode.apply=${apply}`,
      ...extra,
    ]);
    expect(result.code, result.stderr).toBe(0);
    return out;
  };

  it('writes the same frames at the same times as the encoder’s own decode, with the audio, within a third of a level', async () => {
    const node = await grade('node', path.join(dir, 'node.mkv'));
    const encoder = await grade('encoder', path.join(dir, 'encoder.mkv'));
    const times = await frameTimes(encoder);
    expect(times.length).toBeGreaterThan(15);
    expect(times[0]).toBeGreaterThan(0.4);
    expect(await frameTimes(node)).toEqual(times);
    expect((await probe(node)).streams.map((s: { codec_type: string }) => s.codec_type)).toEqual([
      'video',
      'audio',
    ]);
    const a = await yuvFrames(node, W, H);
    const b = await yuvFrames(encoder, W, H);
    const source = await yuvFrames(clip, W, H);
    expect(a).toHaveLength(b.length);
    // The same grade (the correction moved the frames) by another road, to within a fraction of a level.
    const moved = b.map((frame, i) => meanDifference(frame, source[i]!));
    const apart = a.map((frame, i) => meanDifference(frame, b[i]!));
    expect(moved.reduce((x, y) => x + y) / moved.length).toBeGreaterThan(0.5);
    for (const [i, d] of apart.entries()) expect(d, `frame ${i}`).toBeLessThan(0.3);
  });

  it('returns the source bit for bit where the correction is the identity (strength 0)', async () => {
    const node = await grade('node', path.join(dir, 'identity.mkv'), ['--strength', '0']);
    const out = await yuvFrames(node, W, H);
    const source = await yuvFrames(clip, W, H);
    expect(out).toHaveLength(source.length);
    out.forEach((frame, i) => expect(frame.equals(source[i]!), `frame ${i}`).toBe(true));
  });

  it('leaves a 10-bit source to the encoder by default, and says why when told to grade it in Node', async () => {
    const deep = path.join(dir, 'deep.mkv');
    await makeClip(deep, { size: `${W}x${H}`, frames: 6, codec: 'ffv1', pixelFormat: 'yuv420p10le' });
    const auto = await vgrade(['grade', deep, '-o', path.join(dir, 'deep-out.mkv'), '-p', 'classical']);
    expect(auto.code, auto.stderr).toBe(0);
    const forced = await vgrade([
      ...['grade', deep, '-o', path.join(dir, 'deep-node.mkv'), '-p', 'classical'],
      ...['--set', 'encode.apply=node'],
    ]);
    expect(forced.code).toBe(2);
    expect(forced.stderr).toContain('encode apply node: it grades 8-bit 4:2:0');
    expect(forced.stderr).toContain('yuv420p10le');
  });

  it.each(['node', 'encoder'])(
    'grades a stream that changes size midway (a broadcast feed’s SD break) whole, at its first size (apply %s)',
    async (apply) => {
      const parts = await Promise.all(
        ['320x240', '480x272'].map((size, i) =>
          makeClip(path.join(dir, `part${i}.ts`), {
            size: size as `${number}x${number}`,
            fps: 25,
            frames: 12,
            codec: 'libx264',
            pixelFormat: 'yuv420p',
            startTime: i * 0.48,
          }),
        ),
      );
      const switching = path.join(dir, 'switching.ts');
      await ffmpeg(['-i', `concat:${parts.join('|')}`, '-c', 'copy', '-f', 'mpegts', switching]);
      const out = path.join(dir, `switching-${apply}.mp4`);
      const result = await vgrade([
        'grade',
        switching,
        '-o',
        out,
        '-p',
        'classical',
        '--set',
        `encode.apply=${apply}`,
      ]);
      expect(result.code, result.stderr).toBe(0);
      const info = await probe(out, ['-count_frames']);
      expect(info.streams[0]).toMatchObject({ width: 320, height: 240, nb_read_frames: '24' });
    },
    60_000, // it used to hang: fail soon rather than at the suite's limit
  );
});
