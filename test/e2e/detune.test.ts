import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRgb, decodeRgb48, ffmpeg, frameTimes, probe, tempDir } from '../helpers/media.js';
import { SAMPLE, vgrade } from '../helpers/cli.js';
import { makeClip } from '../helpers/clips.js';
import { applyDetunes, applyDetunes16 } from '../../src/detune/apply.js';
import { parseDetuneList } from '../../src/detune/families.js';

describe('vgrade detune', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let still: string;
  let still16: string;
  const W = 385;
  const H = 217 + 3; // 3 rows of ramp: 1155 values, every 8-bit code
  const H16 = 217 + 171; // 171 rows of ramp: 65835 values, every 16-bit code
  const [VW, VH] = [97, 55];
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    // A real photograph (the sample clip's first frame, at an odd size) above a ramp that holds
    // every code value in every channel, so each clipping knee is crossed; 8 and 16 bits.
    still = path.join(dir, 'still.png');
    still16 = path.join(dir, 'still16.png');
    const ramp = (rows: number, max: number): string =>
      `color=black:size=${W}x${rows},format=${max === 255 ? 'gbrp' : 'gbrp16le'},` +
      `geq=r='mod(X+${W}*Y\\,${max + 1})':g='${max}-mod(X+${W}*Y\\,${max + 1})':b='mod((X+${W}*Y)*13\\,${max + 1})'`;
    for (const [file, rows, max, fmt] of [
      [still, H - 217, 255, 'gbrp'],
      [still16, H16 - 217, 65535, 'gbrp16le'],
    ] as const) {
      await ffmpeg([
        ...['-i', SAMPLE, '-f', 'lavfi', '-i', ramp(rows, max)],
        ...[
          '-filter_complex',
          `[0:v]scale=${W}:217,format=${fmt}[photo];[1:v]format=${fmt}[ramp];[photo][ramp]vstack`,
        ],
        ...['-frames:v', '1', '-pix_fmt', max === 255 ? 'rgb24' : 'rgb48be', file],
      ]);
    }
  });
  afterAll(() => cleanup());

  /**
   * The largest difference between what `vgrade detune` wrote and docs/detunes.md's exact form
   * (applyDetunes / applyDetunes16 on the decoded input), and how many values differ.
   */
  function compare(
    got: Uint8Array | Uint16Array,
    source: Uint8Array | Uint16Array,
    list: string,
  ): { worst: number; differing: number } {
    const expected =
      source instanceof Uint8Array ? new Uint8Array(source.length) : new Uint16Array(source.length);
    if (source instanceof Uint8Array) applyDetunes(source, expected as Uint8Array, parseDetuneList(list));
    else applyDetunes16(source, expected as Uint16Array, parseDetuneList(list));
    expect(got.length).toBe(expected.length);
    let worst = 0;
    let differing = 0;
    for (let i = 0; i < expected.length; i++) {
      const d = Math.abs(got[i]! - expected[i]!);
      if (d > 0) differing++;
      worst = Math.max(worst, d);
    }
    return { worst, differing };
  }

  // contrast-high-3 and green-3 clip hardest (knees at 0.1875 / 0.8125 and at 1 / 1.3); the lists
  // of two put a rounding between the steps, and saturation-low mixes the channels.
  const LISTS = ['contrast-high-3', 'green-3', 'black-high-1,saturation-low-3', 'orange:1.5,white-low-1'];

  for (const list of LISTS) {
    it(`applies ${list} to an 8-bit still exactly as docs/detunes.md's table defines it`, async () => {
      const out = path.join(dir, `${list.replace(/\W/g, '_')}.png`);
      const result = await vgrade(['detune', still, '-o', out, '--detune', list]);
      expect(result.code, result.stderr).toBe(0);
      const [source] = await decodeRgb(still, W, H);
      const [detuned] = await decodeRgb(out, W, H);
      expect(compare(detuned!, source!, list)).toEqual({ worst: 0, differing: 0 });
    });

    it(`applies ${list} to a 16-bit still exactly (16-bit PNG in, 16-bit PNG out)`, async () => {
      const out = path.join(dir, `${list.replace(/\W/g, '_')}-16.png`);
      const result = await vgrade(['detune', still16, '-o', out, '--detune', list]);
      expect(result.code, result.stderr).toBe(0);
      const [source] = await decodeRgb48(still16, W, H16);
      const [detuned] = await decodeRgb48(out, W, H16);
      expect(compare(detuned!, source!, list)).toEqual({ worst: 0, differing: 0 });
    });
  }

  it("keeps an RGBA still's alpha as it was and detunes its colour exactly, at 8 and 16 bits", async () => {
    for (const [depth, alphaMax, pixFmt] of [
      [8, 255, 'rgba'],
      [16, 65535, 'rgba64be'],
    ] as const) {
      const source = path.join(dir, `alpha${depth}.png`);
      // The photograph with its left third transparent and a ramp of alpha across the rest.
      await ffmpeg([
        ...['-i', still, '-frames:v', '1', '-vf'],
        `format=${depth === 8 ? 'rgba' : 'rgba64le'},geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,${W / 3}),0,${alphaMax}*X/${W})'`,
        ...['-pix_fmt', pixFmt, source],
      ]);
      const out = path.join(dir, `alpha${depth}-green.png`);
      const result = await vgrade(['detune', source, '-o', out, '--detune', 'green-3']);
      expect(result.code, result.stderr).toBe(0);
      expect((await probe(out)).streams[0].pix_fmt).toBe(pixFmt);
      const raw = async (file: string): Promise<Buffer> => {
        await ffmpeg([
          '-i',
          file,
          '-f',
          'rawvideo',
          '-pix_fmt',
          depth === 8 ? 'rgba' : 'rgba64le',
          `${file}.raw`,
        ]);
        return readFile(`${file}.raw`);
      };
      const [before, after] = [await raw(source), await raw(out)];
      const channels = (buffer: Buffer, alpha: boolean): Uint8Array | Uint16Array => {
        const values =
          depth === 8
            ? new Uint8Array(buffer)
            : new Uint16Array(buffer.buffer, buffer.byteOffset, buffer.length / 2);
        const pixels = values.length / 4;
        const kept =
          depth === 8 ? new Uint8Array(pixels * (alpha ? 1 : 3)) : new Uint16Array(pixels * (alpha ? 1 : 3));
        for (let p = 0; p < pixels; p++) {
          if (alpha) kept[p] = values[p * 4 + 3]!;
          else for (let c = 0; c < 3; c++) kept[p * 3 + c] = values[p * 4 + c]!;
        }
        return kept;
      };
      const [alphaBefore, alphaAfter] = [channels(before, true), channels(after, true)];
      expect(
        alphaAfter.filter((a, i) => a !== alphaBefore[i]).length,
        `${depth}-bit alpha values changed`,
      ).toBe(0);
      expect(compare(channels(after, false), channels(before, false), 'green-3')).toEqual({
        worst: 0,
        differing: 0,
      });
    }
  });

  /** testsrc2 (it moves every frame) at a variable frame rate, starting at 0.5 s, in lossless RGB. */
  async function vfrClip(depth: 8 | 16): Promise<string> {
    const src = path.join(dir, `clip${depth}.mkv`);
    await makeClip(src, {
      size: `${VW + 1}x${VH + 1}`,
      fps: 25,
      duration: 1.2,
      // testsrc2 makes even sizes only: cropped to an odd one (in RGB, where no chroma is halved).
      filter: `format=gbrp16le,crop=${VW}:${VH}:0:0`,
      variableFrameRate: true,
      startTime: 0.5,
      codec: 'ffv1',
      pixelFormat: depth === 8 ? 'gbrp' : 'gbrp16le',
    });
    expect((await probe(src)).streams[0]).toMatchObject({ width: VW, height: VH });
    return src;
  }

  for (const depth of [8, 16] as const) {
    it(`detunes every frame of a ${depth}-bit video exactly, each frame with its own pixels`, async () => {
      const src = await vfrClip(depth);
      const frames = path.join(dir, `frames${depth}`);
      const result = await vgrade(['detune', src, '-o', `${frames}/%03d.png`, '--detune', 'contrast-high-3']);
      expect(result.code, result.stderr).toBe(0);
      const pattern = path.join(frames, '%03d.png');
      const sources = depth === 8 ? await decodeRgb(src, VW, VH) : await decodeRgb48(src, VW, VH);
      const outputs = depth === 8 ? await decodeRgb(pattern, VW, VH) : await decodeRgb48(pattern, VW, VH);
      expect(sources.length).toBeGreaterThan(10);
      expect(outputs.length).toBe(sources.length);
      // A frame paired with a neighbour's pixels would differ widely, not by a level.
      for (let i = 0; i < outputs.length; i++) {
        expect(compare(outputs[i]!, sources[i]!, 'contrast-high-3'), `frame ${i}`).toEqual({
          worst: 0,
          differing: 0,
        });
      }
    });
  }

  it("keeps every frame's time of a variable-frame-rate video (from the first, as grade does)", async () => {
    const src = await vfrClip(8);
    const out = path.join(dir, 'clip-detuned.mkv');
    const result = await vgrade(['detune', src, '-o', out, '--detune', 'green-2', '--codec', 'ffv1']);
    expect(result.code, result.stderr).toBe(0);
    const fromFirst = (times: number[]): number[] => times.map((t) => +(t - times[0]!).toFixed(6));
    const times = fromFirst(await frameTimes(src));
    expect(times.length).toBeGreaterThan(10);
    expect(fromFirst(await frameTimes(out))).toEqual(times);
  });

  it('turns the pixels of a rotated phone video upright (displayed as the source is)', async () => {
    const rotated = path.join(dir, 'rotated.mp4');
    await makeClip(rotated, { size: '160x96', fps: 25, duration: 0.2, codec: 'libx264', rotation: 90 });
    const out = path.join(dir, 'rotated-detuned.mp4');
    const result = await vgrade(['detune', rotated, '-o', out, '--detune', 'green-1', '--crf', '0']);
    expect(result.code, result.stderr).toBe(0);
    const stream = (await probe(out)).streams[0];
    expect([stream.width, stream.height]).toEqual([96, 160]);
    expect(stream.side_data_list?.[0]?.rotation ?? 0).toBe(0);
    // As displayed (ffmpeg turns the source upright when decoding it), the output is the source
    // detuned: within the 4:2:0 round trip of an H.264 file, far from a picture turned sideways.
    const [source] = await decodeRgb(rotated, 96, 160);
    const [detuned] = await decodeRgb(out, 96, 160);
    const expected = new Uint8Array(source!.length);
    applyDetunes(source!, expected, parseDetuneList('green-1'));
    const mean = detuned!.reduce((sum, v, i) => sum + Math.abs(v - expected[i]!), 0) / expected.length;
    expect(mean).toBeLessThan(3);
  });

  it('detunes a video and keeps its audio', async () => {
    const out = path.join(dir, 'green.mp4');
    const result = await vgrade([
      'detune',
      SAMPLE,
      '-o',
      out,
      '--detune',
      'green-2',
      '--preset',
      'ultrafast',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect((await probe(out)).streams.map((s: any) => s.codec_type)).toEqual(['video', 'audio']);
  });

  it('refuses an unknown detune before any work, naming it', async () => {
    const result = await vgrade(['detune', still, '-o', path.join(dir, 'x.png'), '--detune', 'pink-2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Expected one of green, blue, .* but received "pink"/);
  });

  it('names the --detune flag, not the pipeline file behind it, and lists the valid detunes', async () => {
    const result = await vgrade(['detune', still, '-o', path.join(dir, 'x.png'), '--detune', 'purple-9']);
    expect(result.code).toBe(2);
    const stderr = result.stderr;
    expect(stderr).toMatch(/^vgrade: --detune purple-9: .*received "purple"/);
    expect(stderr).toContain('green-1..3, blue-1..3, orange-1..3');
    expect(stderr).toContain('FAMILY:AMOUNT');
    expect(stderr).not.toContain('detune.yaml');
    expect(stderr).toContain('Run "vgrade detune --help" for usage.');
  });
});
