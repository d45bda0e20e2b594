import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, tempDir } from '../helpers/media.js';
import { vgrade } from '../helpers/cli.js';
import { outputConversion } from '../../src/stages/encode.js';

const run = promisify(execFile);

/** The Y'CbCr bytes of the first frame of a yuv444p file, plane after plane. */
async function yuvBytes(file: string): Promise<Buffer> {
  const { stdout } = await run(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-frames:v', '1', '-pix_fmt', 'yuv444p', '-f', 'rawvideo', '-'],
    { encoding: 'buffer', maxBuffer: 1 << 24 },
  );
  return stdout;
}

function maxDifference(a: Buffer, b: Buffer): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/**
 * The graded picture goes back to Y'CbCr with the matrix and range the output is tagged with (the
 * source's): an identity grade of a BT.709 clip leaves its colours where they were. (ffmpeg 5.1
 * converts to RGB with the tag but back with BT.601 unless told: a saturated red moved 13 levels.)
 */
describe('colour matrix of the graded output', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let source: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('vgrade-matrix-'));
    source = path.join(dir, 'bt709.mp4');
    // Saturated colour bars, BT.709 limited range, tagged so, lossless.
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'smptehdbars=size=320x180:rate=25:duration=0.4'],
      ...['-vf', 'scale=out_color_matrix=bt709:out_range=tv,format=yuv444p'],
      ...['-c:v', 'libx264', '-qp', '0', '-pix_fmt', 'yuv444p'],
      ...['-colorspace', 'bt709', '-color_primaries', 'bt709', '-color_trc', 'bt709', '-color_range', 'tv'],
      source,
    ]);
  });
  afterAll(() => cleanup());

  it.each([
    ['grade --strength 0', ['grade', '-p', 'classical', '--strength', '0']],
    ['detune none', ['detune', '-d', 'none']],
  ])('%s leaves a BT.709 clip within a level of its Y′CbCr', async (_what, args) => {
    const out = path.join(dir, `${args[0]}.mp4`);
    const result = await vgrade([...args.slice(0, 1), source, '-o', out, ...args.slice(1), '--crf', '0']);
    expect(result.code, result.stderr).toBe(0);
    expect(maxDifference(await yuvBytes(out), await yuvBytes(source))).toBeLessThanOrEqual(1);
  });

  it('converts to the tagged matrix and range, and leaves RGB outputs and untagged ones to ffmpeg', () => {
    expect(outputConversion(['-pix_fmt', 'yuv420p', '-color_range', 'tv', '-colorspace', 'bt709'])).toBe(
      'scale=out_color_matrix=bt709:out_range=tv',
    );
    expect(outputConversion(['-pix_fmt', 'yuv420p10le', '-colorspace', 'bt2020nc'])).toBe(
      'scale=out_color_matrix=bt2020',
    );
    expect(outputConversion(['-pix_fmt', 'yuv420p'])).toBeUndefined();
    expect(outputConversion(['-pix_fmt', 'rgb24', '-colorspace', 'bt709'])).toBeUndefined();
  });
});
