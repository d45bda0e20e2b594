import { readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  escapeGraphLevel,
  escapeOptionLevel,
  FfmpegArgs,
  filterEscape,
  inputArgs,
  optionArgs,
  outputTarget,
} from '../../src/ffmpeg/args.js';
import { builds, ffmpeg, scratch } from './helpers.js';

describe('FfmpegArgs', () => {
  it('writes globals, then each input with its options, then each output, whatever the call order', () => {
    const args = new FfmpegArgs()
      .output('-', { format: 'rawvideo', options: { pix_fmt: 'rgb24', an: true } })
      .input('a.mp4', { options: ['-ss', '1.5'] })
      .global('-hide_banner', '-nostdin')
      .input('-', { format: 'nut' })
      .output('copy.mkv', { options: { '-map': '1:a', 'c:a': 'copy', sn: false, metadata: undefined } })
      .toArray();
    // prettier-ignore
    expect(args).toEqual([
      '-hide_banner', '-nostdin',
      '-ss', '1.5', '-i', 'a.mp4',
      '-f', 'nut', '-i', 'pipe:0',
      '-pix_fmt', 'rgb24', '-an', '-f', 'rawvideo', 'pipe:1',
      '-map', '1:a', '-c:a', 'copy', 'copy.mkv',
    ]);
  });

  it('counts its inputs, so callers can refer to the next one by index', () => {
    const args = new FfmpegArgs().input('a.mp4');
    expect(args.inputCount).toBe(1);
    expect(args.input('b.png').inputCount).toBe(2);
  });

  it('keeps a file name with spaces, quotes and $ as one argument, unaltered', () => {
    const name = `my "clip" $HOME 'x'.mp4`;
    expect(new FfmpegArgs().input(name).toArray()).toEqual(['-i', name]);
  });
});

describe('inputArgs and outputTarget', () => {
  it('map - to the pipes', () => {
    expect(inputArgs('-')).toEqual(['-i', 'pipe:0']);
    expect(outputTarget('-')).toBe('pipe:1');
  });

  it('protect a file name beginning with - from being read as an option', () => {
    expect(inputArgs('-weird.mp4')).toEqual(['-i', 'file:-weird.mp4']);
    expect(outputTarget('-out.mkv')).toBe('file:-out.mkv');
  });

  it('leave paths and URLs alone', () => {
    expect(inputArgs('/media/a b.mp4')).toEqual(['-i', '/media/a b.mp4']);
    expect(inputArgs('rtsp://cam/stream')).toEqual(['-i', 'rtsp://cam/stream']);
  });
});

describe('optionArgs', () => {
  it('writes numbers as strings and refuses ones ffmpeg cannot read', () => {
    expect(optionArgs({ r: 25, crf: 0 })).toEqual(['-r', '25', '-crf', '0']);
    expect(() => optionArgs({ r: Number.NaN })).toThrow(
      'Expected finite number for ffmpeg option -r but received NaN',
    );
  });
});

describe('filterEscape', () => {
  it('escapes for the option parser, then for the graph parser', () => {
    expect(escapeOptionLevel(`a:b'c\\d`)).toBe(`a\\:b\\'c\\\\d`);
    expect(escapeGraphLevel('x[0],y;z')).toBe('x\\[0\\]\\,y\\;z');
    expect(filterEscape('a:b,c')).toBe('a\\\\:b\\,c');
    expect(filterEscape('/luts/plain.cube')).toBe('/luts/plain.cube');
    expect(filterEscape(' lead')).toBe('\\\\\\ lead');
  });

  describe.each(builds)('with the $name ffmpeg', (build) => {
    let tmp: Awaited<ReturnType<typeof scratch>>;
    const hostile = `we:ird,[name];'q' a\\b .cube`;
    beforeAll(async () => {
      tmp = await scratch();
      // A 2x2x2 LUT that paints everything pure green, so the output shows the file was read.
      await writeFile(tmp.file(hostile), `LUT_3D_SIZE 2\n${'0 1 0\n'.repeat(8)}`);
    });
    afterAll(() => tmp.remove());

    it('lets lut3d open a file whose name uses every special character', async () => {
      const out = tmp.file('out.rgb');
      // prettier-ignore
      await ffmpeg(build.ffmpeg, [
        '-f', 'lavfi', '-i', 'color=c=red:s=4x2', '-frames:v', '1',
        '-vf', `lut3d=file=${filterEscape(tmp.file(hostile))}`,
        '-pix_fmt', 'rgb24', '-f', 'rawvideo', out,
      ]);
      expect([...(await readFile(out))]).toEqual(Array.from({ length: 8 }, () => [0, 255, 0]).flat());
    });

    it('fails with the same name unescaped (the reason filterEscape exists)', async () => {
      // prettier-ignore
      const run = ffmpeg(build.ffmpeg, [
        '-f', 'lavfi', '-i', 'color=c=red:s=4x2', '-frames:v', '1',
        '-vf', `lut3d=file=${tmp.file(hostile)}`, '-f', 'null', '-',
      ]);
      await expect(run).rejects.toMatchObject({ code: 'E_FFMPEG' });
    });
  });
});
