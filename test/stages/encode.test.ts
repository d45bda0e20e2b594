import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { encode, encoderArgs, nodeApplyFormat } from '../../src/stages/encode.js';
import { PictureRing } from '../../src/frame/pictureRing.js';
import { applyOverrides, parsePipeline } from '../../src/pipeline/load.js';
import { compilePipeline, type CompiledPipeline } from '../../src/pipeline/compile.js';
import { defaultOptions } from '../../src/stages/options.js';
import { fileInput } from '../../src/ffmpeg/input.js';
import { fileOutput } from '../../src/ffmpeg/output.js';
import { rotationPlan } from '../../src/ffmpeg/rotation.js';
import type { FfmpegCapabilities } from '../../src/ffmpeg/capabilities.js';
import type { MediaInfo } from '../../src/ffmpeg/probe.js';
import type { Depth } from '../../src/image/image.js';
import { UsageError } from '../../src/util/errors.js';

const caps: FfmpegCapabilities = {
  path: '/usr/bin/ffmpeg',
  version: '5.1.6',
  major: 5,
  minor: 1,
  versionGuessed: false,
  libraries: {},
  encoders: new Set(['libx264', 'png', 'ffv1']),
  filters: new Set(['haldclut', 'blend', 'format', 'showinfo']),
  muxers: new Set(['mp4', 'matroska', 'image2']),
  pixFmts: new Map(),
  passthroughArgs: ['-fps_mode', 'passthrough'],
  floatHaldclut: true,
};

function media(rotation: number): MediaInfo {
  return {
    path: 'in.mp4',
    formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
    audioStreams: 1,
    subtitleStreams: 0,
    dataStreams: 0,
    chapters: 0,
    video: {
      index: 0,
      codec: 'h264',
      width: 160,
      height: 96,
      pixFmt: 'yuv420p',
      bitsPerChannel: 8,
      rotation,
      isStill: false,
      hasAlpha: false,
    },
  };
}

function args(
  pixels: 'lut' | 'frames',
  depth: Depth,
  rotation = 0,
  video: Partial<NonNullable<MediaInfo['video']>> = {},
): string[] {
  const output = fileOutput('/tmp/out.mp4');
  const m = media(rotation);
  return encoderArgs(
    { ...defaultOptions(encode.options), pixels },
    {
      input: fileInput('in.mp4'),
      output,
      media: { ...m, video: { ...m.video!, ...video } },
      caps,
      geometry: { width: 160, height: 96, depth, active: { x: 0, y: 0, width: 160, height: 96 } },
    },
  );
}

const graph = (a: string[]): string => a[a.indexOf('-filter_complex') + 1]!;

function compile(text: string, sets: string[] = []): CompiledPipeline {
  return compilePipeline(applyOverrides(parsePipeline(text, 'pipelines/x.yaml'), sets));
}

function compileError(text: string, sets: string[] = []): UsageError {
  try {
    compile(text, sets);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError, but the pipeline compiled');
}

describe('encode pixels: lut (the default) applies each LUT to the input itself', () => {
  it('haldclut in the graph, and a rotated source keeps its stored pixels (retagged later)', () => {
    expect(defaultOptions(encode.options)).toMatchObject({ pixels: 'lut' });
    expect(graph(args('lut', 8))).toContain('haldclut=interp=tetrahedral');
    expect(args('lut', 8, 90)).toContain('-noautorotate');
  });

  it("keeps a source's alpha: copied around haldclut at 8 bits, through it deeper; haldclut grades the colour only", () => {
    // ffmpeg 5.1's conversion of 8-bit RGBA to planar GBRA moves alpha by a code: it is copied.
    expect(graph(args('lut', 8, 0, { hasAlpha: true, pixFmt: 'rgba' }))).toMatch(
      /^\[0:v:0\]split\[source\]\[alpha\];\[source\]format=gbrpf32le\[main\].*\[alpha\]alphaextract\[plane\];\[rgb\]\[plane\]alphamerge\[graded\]$/,
    );
    expect(graph(args('lut', 16, 0, { hasAlpha: true, pixFmt: 'rgba64be' }))).toContain(
      '[0:v:0]format=gbrapf32le[main]',
    );
    expect(graph(args('lut', 8))).toContain('[0:v:0]format=gbrpf32le[main]');
  });

  it("converts an interlaced source to RGB and back field by field, as each field's 4:2:0 chroma is its own", () => {
    const progressive = graph(args('lut', 8));
    expect(progressive).not.toContain('interl');
    expect(progressive).toContain('[0:v:0]format=gbrpf32le[main]');
    const interlaced = graph(args('lut', 8, 0, { fieldOrder: 'tt' }));
    expect(interlaced).toContain('[0:v:0]scale=interl=1,format=gbrpf32le[main]');
    expect(interlaced).toMatch(/\[graded\]scale=interl=1,setfield=tff\[out\]$/);
    const tagged = graph(args('lut', 8, 0, { fieldOrder: 'bb', colorSpace: 'bt709' }));
    expect(tagged).toMatch(
      /\[graded\]scale=out_color_matrix=bt709(:out_range=tv)?:interl=1,setfield=bff\[out\]$/,
    );
    expect(graph(args('frames', 8, 0, { fieldOrder: 'tt' }))).toContain(
      '[0:v:0]scale=interl=1,format=gbrp[main]',
    );
    // ffmpeg 5.1 aborts converting 486-line fields to 4:2:0: such a source is converted as one picture.
    expect(graph(args('lut', 8, 0, { fieldOrder: 'tt', height: 486 }))).not.toContain('interl');
  });
});

describe('encode pixels: frames encodes the frames from Node as they are', () => {
  it.each([
    [8, 'gbrp'],
    [16, 'gbrp16le'],
  ] as const)(
    'at %d bits: the second input (the frames) through blend at opacity 0, in %s',
    (depth, format) => {
      expect(graph(args('frames', depth))).toBe(
        `[0:v:0]format=${format}[main];[1:v:0]format=${format}[frames];[main][frames]blend=all_mode=normal:all_opacity=0[graded]`,
      );
      expect(graph(args('frames', depth))).not.toContain('haldclut');
    },
  );

  it('turns a rotated input upright like the decoder does, so its frames match, and does not retag', () => {
    expect(args('frames', 8, 90)).not.toContain('-noautorotate');
    const mp4 = fileOutput('/tmp/out.mp4');
    expect(rotationPlan(media(90), mp4)).toBe('retag');
    expect(rotationPlan(media(90), mp4, true)).toBe('rotate-pixels');
    expect(rotationPlan(media(0), mp4, true)).toBe('none');
  });

  it('pipelines/detune.yaml encodes its full-resolution frames; the grading pipelines do not', () => {
    const shipped = (name: string): CompiledPipeline => {
      const file = `pipelines/${name}.yaml`;
      return compilePipeline(
        parsePipeline(readFileSync(new URL(`../../${file}`, import.meta.url), 'utf8'), file),
      );
    };
    const detune = shipped('detune');
    expect(detune.encodesFrames).toBe(true);
    expect(detune.stages.map((s) => s.definition.name)).toEqual(['decode', 'detune', 'encode']);
    expect(shipped('classical').encodesFrames).toBe(false);
    expect(shipped('grade').encodesFrames).toBe(false);
  });

  it('refuses proxy frames: a downscale (or oversample) before it', () => {
    const err = compileError('stages: [decode, downscale, detune, {encode: {pixels: frames}}]');
    expect(err.code).toBe('E_PIPELINE_ORDER');
    expect(err.message).toBe(
      'stages[3].encode (x.yaml:1:38): encode with pixels frames encodes the frames themselves, so they must be full resolution: no downscale or oversample before it',
    );
  });

  it('refuses a merge before it, whose LUT nothing would apply', () => {
    const err = compileError('stages: [decode, detune, merge, {encode: {pixels: frames}}]');
    expect(err.code).toBe('E_PIPELINE_ORDER');
    expect(err.message).toMatch(/would ignore merge's LUT: remove merge, or use pixels lut$/);
  });

  it('refuses a strength other than 1 (strength scales LUTs) and takes strength 1', () => {
    const err = compileError('stages: [decode, detune, encode]', [
      'encode.pixels=frames',
      'encode.strength=0.5',
    ]);
    expect(err.code).toBe('E_PIPELINE_OPTION');
    expect(err.message).toMatch(/Expected 1 for strength with pixels frames .* but received 0\.5$/);
    expect(compile('stages: [decode, detune, encode]', ['encode.pixels=frames']).encodesFrames).toBe(true);
  });

  it('refuses an unknown value, listing both', () => {
    const err = compileError('stages: [decode, {encode: {pixels: proxy}}]');
    expect(err.code).toBe('E_PIPELINE_OPTION');
    expect(err.message).toMatch(/Expected one of lut, frames for stages\[1\]\.encode\.pixels/);
  });
});

describe('encode apply: where the LUT meets the full-resolution picture', () => {
  const options = (apply: 'auto' | 'encoder' | 'node') => ({ ...defaultOptions(encode.options), apply });
  const source = (video: Partial<NonNullable<MediaInfo['video']>>): MediaInfo => {
    const base = media(0);
    return { ...base, video: { ...base.video!, ...video } };
  };
  const run = (m: MediaInfo, out = '/tmp/out.mp4') => ({ media: m, output: fileOutput(out), caps });

  it('grades 8-bit 4:2:0 in Node with the source coding: BT.601 limited untagged, BT.709 as tagged, yuvj full range', () => {
    expect(nodeApplyFormat(options('auto'), run(source({})))).toEqual({
      width: 160,
      height: 96,
      pixFmt: 'yuv420p',
      coding: { matrix: 'bt601', range: 'limited' },
      fields: 'progressive',
    });
    expect(nodeApplyFormat(options('auto'), run(source({ fieldOrder: 'bb' })))).toMatchObject({
      fields: 'interlaced',
    });
    // Fields of part sites (486 lines) are graded as one picture, as ffmpeg converts them then.
    expect(nodeApplyFormat(options('auto'), run(source({ fieldOrder: 'bb', height: 486 })))).toMatchObject({
      fields: 'progressive',
    });
    expect(nodeApplyFormat(options('auto'), run(source({ colorSpace: 'bt709' })))).toMatchObject({
      coding: { matrix: 'bt709', range: 'limited' },
    });
    expect(
      nodeApplyFormat(options('auto'), run(source({ pixFmt: 'yuvj420p', colorRange: 'pc' }))),
    ).toMatchObject({
      pixFmt: 'yuvj420p',
      coding: { matrix: 'bt601', range: 'full' },
    });
  });

  it.each([
    ['a 10-bit source', { pixFmt: 'yuv420p10le', bitsPerChannel: 10 }, '/tmp/out.mp4', /yuv420p10le/],
    ['a 4:4:4 source', { pixFmt: 'yuv444p' }, '/tmp/out.mp4', /yuv444p/],
    ['a rotated source', { rotation: 90 }, '/tmp/out.mp4', /rotated/],
    ['a still', { isStill: true }, '/tmp/out.mp4', /still/],
    // Node is handed the pictures alone; the encoder's own decode keeps each frame's captions.
    [
      'a source with closed captions in its video',
      { closedCaptions: true },
      '/tmp/out.mp4',
      /closed captions/,
    ],
    ['an untaught matrix', { colorSpace: 'smpte240m' }, '/tmp/out.mp4', /smpte240m/],
    [
      'limited 4:2:0 tagged full range (written as yuvj420p)',
      { colorRange: 'pc' },
      '/tmp/out.mp4',
      /yuvj420p/,
    ],
    ['an RGB output', {}, '/tmp/out.png', /rgb|not the input/],
  ])('leaves %s to the encoder (auto) and says why (node)', (_what, video, out, why) => {
    const format = nodeApplyFormat(options('auto'), run(source(video), out));
    expect(typeof format).toBe('string');
    expect(format).toMatch(why);
    const context = {
      ...run(source(video), out),
      geometry: { width: 16, height: 16, depth: 8 as Depth, active: { x: 0, y: 0, width: 16, height: 16 } },
    };
    expect(encode.fullFrames!(options('auto'), context)).toBeUndefined();
    expect(() => encode.fullFrames!(options('node'), context)).toThrow(UsageError);
    expect(
      encode.fullFrames!(options('encoder'), { ...run(source({})), geometry: context.geometry }),
    ).toBeUndefined();
  });

  it('encodes the graded pictures of pipe:3 as they come, the source giving the other streams and the pixel aspect ratio', () => {
    const m = source({ sampleAspectRatio: '64:45' });
    const a = encoderArgs(options('auto'), {
      input: fileInput('in.mp4'),
      output: fileOutput('/tmp/out.mp4'),
      media: m,
      caps,
      geometry: { width: 16, height: 16, depth: 8, active: { x: 0, y: 0, width: 16, height: 16 } },
      fullFrames: {
        format: {
          width: 160,
          height: 96,
          pixFmt: 'yuv420p',
          coding: { matrix: 'bt601', range: 'limited' },
          fields: 'progressive',
        },
        ring: new PictureRing(1, 160 * 96 * 1.5),
      },
    });
    expect(graph(a)).toBe('[1:v:0]setsar=64/45[graded]');
    expect(a.join(' ')).toContain('-i in.mp4 -f matroska -i pipe:3 -map [graded] -map 0:a?');
    expect(a).not.toContain('haldclut');
  });
});
