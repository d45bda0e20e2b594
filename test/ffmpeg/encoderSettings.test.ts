import { describe, expect, it } from 'vitest';
import { planEncoder, type EncodeChoices, type EncoderPlan } from '../../src/ffmpeg/encoderSettings.js';
import { fileOutput, stdoutOutput, type OutputTarget } from '../../src/ffmpeg/output.js';
import type { FfmpegCapabilities } from '../../src/ffmpeg/capabilities.js';
import type { MediaInfo, VideoStreamInfo } from '../../src/ffmpeg/probe.js';
import { UsageError } from '../../src/util/errors.js';

function fakeCaps(
  encoders: string[] = [
    'libx264',
    'libx265',
    'libvpx-vp9',
    'libwebp',
    'png',
    'apng',
    'tiff',
    'mjpeg',
    'ffv1',
    'libopus',
    'aac',
  ],
): FfmpegCapabilities {
  return {
    path: '/opt/ffmpeg/bin/ffmpeg',
    version: '5.1.6-0+deb12u1',
    major: 5,
    minor: 1,
    versionGuessed: false,
    libraries: {},
    encoders: new Set(encoders),
    filters: new Set(['haldclut', 'scale', 'pad', 'crop', 'format', 'showinfo']),
    muxers: new Set(['mp4', 'mov', 'matroska', 'webm', 'nut', 'image2', 'yuv4mpegpipe']),
    pixFmts: new Map(),
    passthroughArgs: ['-fps_mode', 'passthrough'],
    floatHaldclut: true,
  };
}

function media(video: Partial<VideoStreamInfo> = {}): MediaInfo {
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
      width: 1920,
      height: 1080,
      pixFmt: 'yuv420p',
      bitsPerChannel: 8,
      rotation: 0,
      isStill: false,
      hasAlpha: false,
      ...video,
    },
  };
}

const AUTO: EncodeChoices = { codec: 'auto', crf: -1, preset: 'auto', pix_fmt: 'auto' };
const HD = { width: 1920, height: 1080 };
const caps = fakeCaps();

function plan(
  output: OutputTarget,
  m: MediaInfo | undefined = media(),
  choices: Partial<EncodeChoices> = {},
  size = HD,
): EncoderPlan {
  return planEncoder(output, m, { ...AUTO, ...choices }, caps, size);
}

/** The value following `flag` in `args`, or undefined. */
function arg(args: readonly string[], flag: string): string | undefined {
  const i = args.indexOf(flag);
  return i < 0 ? undefined : args[i + 1];
}

const MP4_STREAMS = [
  '-map',
  '0:a?',
  '-map_metadata',
  '0',
  '-map_chapters',
  '0',
  '-c:a',
  'copy',
  '-map',
  '0:s?',
  '-c:s',
  'mov_text',
];
const MKV_STREAMS = [
  '-map',
  '0:a?',
  '-map_metadata',
  '0',
  '-map_chapters',
  '0',
  '-c:a',
  'copy',
  '-map',
  '0:s?',
  '-c:s',
  'copy',
];

describe('planEncoder: video files', () => {
  it('mp4 default: libx264 yuv420p crf 18 preset medium, audio copied, mov_text subtitles, +faststart', () => {
    expect(plan(fileOutput('out.mp4'))).toEqual({
      videoArgs: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-crf', '18', '-preset', 'medium'],
      streamArgs: MP4_STREAMS,
      muxerArgs: ['-max_muxing_queue_size', '4096', '-movflags', '+faststart'],
      description: 'libx264 yuv420p crf 18',
    });
  });

  it('mov and m4v are mp4-like; the extension is matched in any case', () => {
    for (const file of ['out.mov', 'out.m4v', 'OUT.MP4']) {
      const p = plan(fileOutput(file));
      expect(p.streamArgs, file).toEqual(MP4_STREAMS);
      expect(p.muxerArgs, file).toEqual(['-max_muxing_queue_size', '4096', '-movflags', '+faststart']);
    }
  });

  it('mkv: subtitles copied, no faststart', () => {
    expect(plan(fileOutput('out.mkv'))).toEqual({
      videoArgs: ['-c:v', 'libx264', '-pix_fmt', 'yuv420p', '-crf', '18', '-preset', 'medium'],
      streamArgs: MKV_STREAMS,
      muxerArgs: ['-max_muxing_queue_size', '4096'],
      description: 'libx264 yuv420p crf 18',
    });
  });

  it('10-bit source: yuv420p10le', () => {
    const p = plan(fileOutput('out.mp4'), media({ pixFmt: 'yuv420p10le', bitsPerChannel: 10 }));
    expect(p.videoArgs).toEqual([
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p10le',
      '-crf',
      '18',
      '-preset',
      'medium',
    ]);
    expect(p.description).toBe('libx264 yuv420p10le crf 18');
  });

  it('4:2:2 source keeps 4:2:2 (8 and 10 bits); 4:4:4 and RGB sources give 4:4:4', () => {
    const pix = (v: Partial<VideoStreamInfo>): string | undefined =>
      arg(plan(fileOutput('o.mkv'), media(v)).videoArgs, '-pix_fmt');
    expect(pix({ pixFmt: 'yuv422p' })).toBe('yuv422p');
    expect(pix({ pixFmt: 'yuv422p10le', bitsPerChannel: 10 })).toBe('yuv422p10le');
    expect(pix({ pixFmt: 'yuvj422p' })).toBe('yuv422p');
    expect(pix({ pixFmt: 'yuv444p' })).toBe('yuv444p');
    expect(pix({ pixFmt: 'rgb24' })).toBe('yuv444p');
    expect(pix({ pixFmt: 'gbrp10le', bitsPerChannel: 10 })).toBe('yuv444p10le');
    expect(pix({ pixFmt: 'yuvj420p' })).toBe('yuv420p');
  });

  it('odd frame size: yuv444p (4:2:0 and 4:2:2 need even sizes)', () => {
    const pix = (
      size: { width: number; height: number },
      v: Partial<VideoStreamInfo> = {},
    ): string | undefined => arg(plan(fileOutput('o.mp4'), media(v), {}, size).videoArgs, '-pix_fmt');
    expect(pix({ width: 385, height: 289 })).toBe('yuv444p');
    expect(pix({ width: 386, height: 289 })).toBe('yuv444p');
    expect(pix({ width: 385, height: 288 })).toBe('yuv444p');
    expect(pix({ width: 385, height: 289 }, { pixFmt: 'yuv422p10le', bitsPerChannel: 10 })).toBe(
      'yuv444p10le',
    );
    expect(pix({ width: 386, height: 288 })).toBe('yuv420p');
  });

  it('an interlaced source stays interlaced: its field order written, and x264 coding fields in the order they are shown', () => {
    const tt = plan(fileOutput('out.mp4'), media({ fieldOrder: 'tt' })).videoArgs;
    expect(tt.slice(-6)).toEqual(['-flags', '+ilme+ildct', '-x264-params', 'tff=1', '-field_order', 'tt']);
    const bb = plan(fileOutput('out.mp4'), media({ fieldOrder: 'bb' })).videoArgs;
    expect(bb.slice(-4)).toEqual(['-x264-params', 'bff=1', '-field_order', 'bb']);
    // Coded top first, shown bottom first: x264 is told the order they are shown in.
    expect(plan(fileOutput('out.mp4'), media({ fieldOrder: 'tb' })).videoArgs).toContain('bff=1');
    const ffv1 = plan(fileOutput('out.mkv'), media({ fieldOrder: 'tt' }), { codec: 'ffv1' }).videoArgs;
    expect(ffv1).not.toContain('-flags');
    expect(ffv1.slice(-2)).toEqual(['-field_order', 'tt']);
    expect(plan(fileOutput('out.mp4'), media()).videoArgs).not.toContain('-field_order');
    // x264 refuses to code the fields of a height that is not a multiple of 4: the order is still written.
    const ntsc = plan(fileOutput('out.mkv'), media({ fieldOrder: 'bb', width: 720, height: 486 })).videoArgs;
    expect(ntsc).not.toContain('+ilme+ildct');
    expect(ntsc).not.toContain('-x264-params');
    expect(ntsc.slice(-2)).toEqual(['-field_order', 'bb']);
  });

  it('a ProRes master stays ProRes in its own profile, in .mov and .mkv; H.264 elsewhere or when asked', () => {
    const proresCaps = fakeCaps(['libx264', 'prores_ks', 'aac']);
    const prores = (profile: string, video: Partial<VideoStreamInfo> = {}) =>
      media({ codec: 'prores', profile, pixFmt: 'yuv422p10le', bitsPerChannel: 10, ...video });
    const planFor = (out: string, m: MediaInfo, choices: Partial<EncodeChoices> = {}) =>
      planEncoder(fileOutput(out), m, { ...AUTO, ...choices }, proresCaps, HD).videoArgs;
    const hq = planFor('out.mov', prores('HQ'));
    expect(hq.slice(0, 8)).toEqual([
      ...['-c:v', 'prores_ks', '-pix_fmt', 'yuv422p10le'],
      ...['-profile:v', 'hq', '-vendor', 'apl0'],
    ]);
    expect(hq).not.toContain('-crf');
    expect(arg(planFor('out.mkv', prores('LT')), '-profile:v')).toBe('lt');
    const full = planFor(
      'out.mov',
      prores('4444 XQ', { pixFmt: 'yuva444p12le', bitsPerChannel: 12, hasAlpha: true }),
    );
    expect([arg(full, '-profile:v'), arg(full, '-pix_fmt')]).toEqual(['4444xq', 'yuva444p10le']);
    const opaque = planFor('out.mov', prores('4444', { pixFmt: 'yuv444p12le', bitsPerChannel: 12 }));
    expect(arg(opaque, '-pix_fmt')).toBe('yuv444p10le');
    // ProRes codes interlaced pictures as two fields.
    expect(planFor('out.mov', prores('HQ', { fieldOrder: 'tt' }))).toContain('+ildct');
    expect(arg(planFor('out.mp4', prores('HQ')), '-c:v')).toBe('libx264');
    expect(arg(planFor('out.mov', prores('HQ'), { codec: 'libx264' }), '-c:v')).toBe('libx264');
    expect(arg(planFor('out.mov', media()), '-c:v')).toBe('libx264');
    // An ffmpeg without prores_ks: H.264, as for any other source.
    expect(arg(plan(fileOutput('out.mov'), prores('HQ')).videoArgs, '-c:v')).toBe('libx264');
  });

  it('a DNxHR master stays DNxHR in its profile, in .mxf, .mov and .mkv; DNxHD and other containers get H.264', () => {
    const dnxCaps = fakeCaps(['libx264', 'dnxhd', 'aac']);
    const dnx = (profile: string, video: Partial<VideoStreamInfo> = {}) =>
      media({ codec: 'dnxhd', profile, pixFmt: 'yuv422p', ...video });
    const planFor = (out: string, m: MediaInfo) =>
      planEncoder(fileOutput(out), m, AUTO, dnxCaps, HD).videoArgs;
    expect(planFor('out.mxf', dnx('DNXHR HQ')).slice(0, 6)).toEqual([
      ...['-c:v', 'dnxhd', '-pix_fmt', 'yuv422p'],
      ...['-profile:v', 'dnxhr_hq'],
    ]);
    const hqx = planFor('out.mov', dnx('DNXHR HQX', { pixFmt: 'yuv422p10le', bitsPerChannel: 10 }));
    expect([arg(hqx, '-profile:v'), arg(hqx, '-pix_fmt')]).toEqual(['dnxhr_hqx', 'yuv422p10le']);
    expect(arg(planFor('out.mkv', dnx('DNXHR 444', { pixFmt: 'yuv444p10le' })), '-pix_fmt')).toBe(
      'yuv444p10le',
    );
    // ffmpeg's DNxHR encoder codes no fields: the order is written, the frames coded whole.
    const interlaced = planFor('out.mxf', dnx('DNXHR HQ', { fieldOrder: 'tt' }));
    expect(interlaced).not.toContain('+ildct');
    expect(arg(interlaced, '-field_order')).toBe('tt');
    expect(arg(planFor('out.mxf', dnx('DNXHD')), '-c:v')).toBe('libx264');
    expect(arg(planFor('out.mp4', dnx('DNXHR HQ')), '-c:v')).toBe('libx264');
  });

  it('an XDCAM or IMX master in MXF stays MPEG-2 in its profile, rate and GOP; other containers get H.264', () => {
    const mpeg2Caps = fakeCaps(['libx264', 'mpeg2video', 'aac']);
    const mpeg2 = (video: Partial<VideoStreamInfo> = {}) =>
      media({ codec: 'mpeg2video', profile: '4:2:2', pixFmt: 'yuv422p', bitRate: 50e6, gop: 12, ...video });
    const planFor = (out: string, m: MediaInfo) =>
      planEncoder(fileOutput(out), m, AUTO, mpeg2Caps, HD).videoArgs;
    // XDCAM HD422: constant 50 Mb/s with its 17,825,792-bit buffer, GOP 12 with two B-pictures,
    // no extra I-picture at a cut.
    const hd422 = planFor('out.mxf', mpeg2({ fieldOrder: 'tt' }));
    expect(hd422.slice(0, 6)).toEqual(['-c:v', 'mpeg2video', '-pix_fmt', 'yuv422p', '-profile:v', '0']);
    expect([arg(hd422, '-b:v'), arg(hd422, '-minrate'), arg(hd422, '-maxrate')]).toEqual([
      '50000000',
      '50000000',
      '50000000',
    ]);
    expect([arg(hd422, '-bufsize'), arg(hd422, '-g'), arg(hd422, '-bf')]).toEqual(['17825792', '12', '2']);
    expect(arg(hd422, '-sc_threshold')).toBe('1000000000');
    expect(hd422).not.toContain('-crf');
    // Fields coded as fields, in the source's order.
    expect([arg(hd422, '-flags'), arg(hd422, '-field_order')]).toEqual(['+ilme+ildct', 'tt']);
    // IMX: intra pictures only.
    expect(arg(planFor('out.mxf', mpeg2({ gop: 1, width: 720, height: 608 })), '-g')).toBe('1');
    // XDCAM HD at 29.97 Hz whose GOP the probe did not read: 15, as XDCAM's.
    const hd = planFor(
      'out.mxf',
      mpeg2({ profile: 'Main', pixFmt: 'yuv420p', width: 1440, gop: undefined, avgFrameRate: 30000 / 1001 }),
    );
    expect([arg(hd, '-profile:v'), arg(hd, '-pix_fmt'), arg(hd, '-g'), arg(hd, '-minrate')]).toEqual([
      '4',
      'yuv420p',
      '15',
      undefined,
    ]);
    // A variable rate that the stream does not state: the container's as the mean, the level's
    // limits (main profile, high-1440 level) for the peaks.
    const vbr = planEncoder(
      fileOutput('out.mxf'),
      { ...mpeg2({ profile: 'Main', pixFmt: 'yuv420p', width: 1440, bitRate: undefined }), bitRate: 35e6 },
      AUTO,
      mpeg2Caps,
      HD,
    ).videoArgs;
    expect([arg(vbr, '-b:v'), arg(vbr, '-maxrate'), arg(vbr, '-bufsize')]).toEqual([
      '35000000',
      '60000000',
      '7340032',
    ]);
    expect(arg(planFor('out.mp4', mpeg2()), '-c:v')).toBe('libx264');
    expect(arg(planFor('out.mxf', mpeg2({ profile: 'High' })), '-c:v')).toBe('libx264');
    // MPEG-2 asked for by name for another source: XDCAM HD422's coding, not ffmpeg's 200 kb/s.
    const asked = planEncoder(
      fileOutput('out.mxf'),
      media(),
      { ...AUTO, codec: 'mpeg2video' },
      mpeg2Caps,
      HD,
    );
    expect([
      arg(asked.videoArgs, '-pix_fmt'),
      arg(asked.videoArgs, '-b:v'),
      arg(asked.videoArgs, '-g'),
    ]).toEqual(['yuv422p', '50000000', '12']);
    // An ffmpeg without the MPEG-2 encoder: H.264, as for any other source.
    expect(arg(plan(fileOutput('out.mxf'), mpeg2()).videoArgs, '-c:v')).toBe('libx264');
  });

  it('H.264 in MXF has no B-pictures: the muxer would store them in coded order', () => {
    const mxf = plan(fileOutput('out.mxf'), media()).videoArgs;
    expect([arg(mxf, '-c:v'), arg(mxf, '-bf')]).toEqual(['libx264', '0']);
    expect(plan(fileOutput('out.mkv'), media()).videoArgs).not.toContain('-bf');
  });

  it("keeps a source's alpha in VP9 (4:2:0 with alpha) and in ProRes asked for by name (4444)", () => {
    const withAlpha = media({ codec: 'vp9', pixFmt: 'yuva420p', hasAlpha: true });
    const caps = fakeCaps(['libx264', 'libvpx-vp9', 'prores_ks', 'libopus']);
    expect(arg(planEncoder(fileOutput('out.webm'), withAlpha, AUTO, caps, HD).videoArgs, '-pix_fmt')).toBe(
      'yuva420p',
    );
    const prores = planEncoder(fileOutput('out.mov'), withAlpha, { ...AUTO, codec: 'prores_ks' }, caps, HD);
    expect(arg(prores.videoArgs, '-pix_fmt')).toBe('yuva444p10le');
    expect(arg(planEncoder(fileOutput('out.webm'), media(), AUTO, caps, HD).videoArgs, '-pix_fmt')).toBe(
      'yuv420p',
    );
  });

  it('no media information (a pipe): 8-bit 4:2:0', () => {
    expect(plan(fileOutput('o.mp4'), undefined).videoArgs).toEqual([
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-crf',
      '18',
      '-preset',
      'medium',
    ]);
  });

  it('webm: libvpx-vp9 crf 30 with -b:v 0, libopus audio, no subtitles, no faststart', () => {
    expect(plan(fileOutput('out.webm'))).toEqual({
      videoArgs: ['-c:v', 'libvpx-vp9', '-pix_fmt', 'yuv420p', '-crf', '30', '-b:v', '0'],
      streamArgs: ['-map', '0:a?', '-map_metadata', '0', '-map_chapters', '0', '-c:a', 'libopus'],
      muxerArgs: ['-max_muxing_queue_size', '4096'],
      description: 'libvpx-vp9 yuv420p',
    });
    // A preset becomes libvpx's -deadline; a crf replaces 30.
    expect(plan(fileOutput('out.webm'), media(), { preset: 'good', crf: 24 }).videoArgs).toEqual([
      '-c:v',
      'libvpx-vp9',
      '-pix_fmt',
      'yuv420p',
      '-crf',
      '24',
      '-b:v',
      '0',
      '-deadline',
      'good',
    ]);
  });

  it('y4m: the frames as they are (wrapped_avframe, which its muxer takes), no audio or subtitles; 4:4:4 kept, else 4:2:0', () => {
    expect(plan(fileOutput('out.y4m'), media({ pixFmt: 'yuv444p' }))).toEqual({
      videoArgs: ['-c:v', 'wrapped_avframe', '-pix_fmt', 'yuv444p'],
      streamArgs: ['-an', '-sn'],
      muxerArgs: [],
      description: 'y4m yuv444p',
    });
    expect(plan(stdoutOutput('y4m')).videoArgs).toEqual(['-c:v', 'wrapped_avframe', '-pix_fmt', 'yuv420p']);
  });
});

describe('planEncoder: standard output', () => {
  it('nut (the default) and matroska: subtitles copied, no faststart', () => {
    for (const format of [undefined, 'matroska']) {
      const p = plan(stdoutOutput(format));
      expect(p.videoArgs).toEqual([
        '-c:v',
        'libx264',
        '-pix_fmt',
        'yuv420p',
        '-crf',
        '18',
        '-preset',
        'medium',
      ]);
      expect(p.streamArgs).toEqual(MKV_STREAMS);
      expect(p.muxerArgs).toEqual(['-max_muxing_queue_size', '4096']);
    }
  });

  it('mp4 to a pipe: fragmented (mp4 needs a seekable file otherwise), or refused before ffmpeg starts', () => {
    // `vgrade grade in.mp4 -o - -f mp4` (the CLI's --format help names mp4 for -o -): ffmpeg 4.1
    // and 5.1 both fail with "muxer does not support non seekable output".
    // Regression (fixed): planEncoder gives mp4 on standard output no `-movflags +frag_keyframe+empty_moov` (it
    // gives no -movflags at all, as `+faststart` needs a seekable file), and does not refuse it.
    let p: EncoderPlan | undefined;
    try {
      p = plan(stdoutOutput('mp4'));
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return;
    }
    expect(arg(p.muxerArgs, '-movflags') ?? '').toContain('empty_moov');
  });
});

describe('planEncoder: stills and sequences', () => {
  it("png and tiff keep a source's alpha: rgba, and rgba64 for deeper sources", () => {
    const pix = (out: string, video: Partial<VideoStreamInfo>) =>
      arg(plan(fileOutput(out), media({ hasAlpha: true, ...video })).videoArgs, '-pix_fmt');
    expect(pix('out.png', { pixFmt: 'rgba' })).toBe('rgba');
    expect(pix('out.png', { pixFmt: 'rgba64be', bitsPerChannel: 16 })).toBe('rgba64be');
    expect(pix('out.tif', { pixFmt: 'rgba' })).toBe('rgba');
    expect(pix('out.tif', { pixFmt: 'rgba64le', bitsPerChannel: 16 })).toBe('rgba64le');
  });

  it('png: rgb24 for 8-bit sources, rgb48be for deeper ones; -update 1 for one image', () => {
    expect(plan(fileOutput('out.png'), media({ codec: 'png', pixFmt: 'rgb24' }))).toEqual({
      videoArgs: ['-c:v', 'png', '-pix_fmt', 'rgb24'],
      streamArgs: [],
      muxerArgs: ['-update', '1'],
      description: 'png rgb24',
    });
    expect(
      plan(fileOutput('out.png'), media({ codec: 'png', pixFmt: 'rgb48be', bitsPerChannel: 16 })),
    ).toEqual({
      videoArgs: ['-c:v', 'png', '-pix_fmt', 'rgb48be'],
      streamArgs: [],
      muxerArgs: ['-update', '1'],
      description: 'png rgb48be',
    });
    expect(
      plan(fileOutput('out.png'), media({ pixFmt: 'yuv420p10le', bitsPerChannel: 10 })).videoArgs,
    ).toEqual(['-c:v', 'png', '-pix_fmt', 'rgb48be']);
  });

  it('tif and tiff: rgb24, or rgb48le for deeper sources', () => {
    expect(plan(fileOutput('out.tif'), media({ pixFmt: 'rgb48le', bitsPerChannel: 16 }))).toEqual({
      videoArgs: ['-c:v', 'tiff', '-pix_fmt', 'rgb48le'],
      streamArgs: [],
      muxerArgs: ['-update', '1'],
      description: 'tiff rgb48le',
    });
    expect(plan(fileOutput('out.tiff')).videoArgs).toEqual(['-c:v', 'tiff', '-pix_fmt', 'rgb24']);
  });

  it('jpg and jpeg: mjpeg yuvj444p at q 2, also from deep sources', () => {
    const expected = {
      videoArgs: ['-c:v', 'mjpeg', '-pix_fmt', 'yuvj444p', '-q:v', '2'],
      streamArgs: [],
      muxerArgs: ['-update', '1'],
      description: 'mjpeg yuvj444p q2',
    };
    expect(plan(fileOutput('out.jpg'))).toEqual(expected);
    expect(plan(fileOutput('out.jpeg'), media({ bitsPerChannel: 10, pixFmt: 'yuv420p10le' }))).toEqual(
      expected,
    );
  });

  it('an image sequence: no -update', () => {
    expect(plan(fileOutput('out/%05d.png'))).toEqual({
      videoArgs: ['-c:v', 'png', '-pix_fmt', 'rgb24'],
      streamArgs: [],
      muxerArgs: [],
      description: 'png rgb24',
    });
    expect(
      plan(fileOutput('out/%05d.tif'), media({ bitsPerChannel: 16, pixFmt: 'rgb48le' })).videoArgs,
    ).toEqual(['-c:v', 'tiff', '-pix_fmt', 'rgb48le']);
  });

  it('bmp and webp: ffmpeg picks the encoder for the extension', () => {
    expect(plan(fileOutput('out.bmp'))).toEqual({
      videoArgs: [],
      streamArgs: [],
      muxerArgs: ['-update', '1'],
      description: 'ffmpeg default for the extension',
    });
    expect(plan(fileOutput('out.webp'), media(), { codec: 'libwebp' }).videoArgs).toEqual([
      '-c:v',
      'libwebp',
    ]);
  });

  it("stills take the pipeline's codec and pix_fmt choices", () => {
    expect(plan(fileOutput('out.png'), media(), { pix_fmt: 'rgba' }).videoArgs).toEqual([
      '-c:v',
      'png',
      '-pix_fmt',
      'rgba',
    ]);
    expect(plan(fileOutput('out.tif'), media(), { codec: 'tiff', pix_fmt: 'rgb48le' }).videoArgs).toEqual([
      '-c:v',
      'tiff',
      '-pix_fmt',
      'rgb48le',
    ]);
    expect(plan(fileOutput('out.jpg'), media(), { pix_fmt: 'yuvj420p' }).videoArgs).toEqual([
      '-c:v',
      'mjpeg',
      '-pix_fmt',
      'yuvj420p',
      '-q:v',
      '2',
    ]);
  });
});

describe('planEncoder: choices and overrides', () => {
  it("the pipeline's choices replace the defaults (-1 and auto keep them)", () => {
    expect(
      plan(fileOutput('o.mp4'), media(), { crf: 30, preset: 'fast', pix_fmt: 'yuv444p' }).videoArgs,
    ).toEqual(['-c:v', 'libx264', '-pix_fmt', 'yuv444p', '-crf', '30', '-preset', 'fast']);
    expect(plan(fileOutput('o.mp4'), media(), { codec: 'libx265' })).toMatchObject({
      videoArgs: ['-c:v', 'libx265', '-pix_fmt', 'yuv420p', '-crf', '18', '-preset', 'medium'],
      description: 'libx265 yuv420p',
    });
  });

  it("command-line overrides (output.overrides) win over the pipeline's choices", () => {
    const out = fileOutput('o.mp4', { codec: 'libx265', crf: 22, preset: 'slow' });
    const p = plan(out, media(), { codec: 'libx264', crf: 30, preset: 'fast' });
    expect(p.videoArgs).toEqual(['-c:v', 'libx265', '-pix_fmt', 'yuv420p', '-crf', '22', '-preset', 'slow']);
    expect(p.description).toBe('libx265 yuv420p crf 22');
    // crf 0 (lossless) is a value, not "unset".
    expect(plan(fileOutput('o.mp4', { crf: 0 }), media(), { crf: 30 }).videoArgs).toEqual([
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-crf',
      '0',
      '-preset',
      'medium',
    ]);
    expect(plan(fileOutput('o.png', { codec: 'apng' })).videoArgs).toEqual([
      '-c:v',
      'apng',
      '-pix_fmt',
      'rgb24',
    ]);
  });

  it('another encoder gets -crf and -preset only when asked for', () => {
    expect(plan(fileOutput('o.mkv', { codec: 'ffv1' }))).toMatchObject({
      videoArgs: ['-c:v', 'ffv1', '-pix_fmt', 'yuv420p'],
      description: 'ffv1 yuv420p',
    });
    expect(plan(fileOutput('o.mkv', { codec: 'ffv1', crf: 5, preset: 'x' })).videoArgs).toEqual([
      '-c:v',
      'ffv1',
      '-pix_fmt',
      'yuv420p',
      '-crf',
      '5',
      '-preset',
      'x',
    ]);
  });
});

describe('planEncoder: encoders the ffmpeg lacks', () => {
  function missing(output: OutputTarget, encoders: string[]): UsageError {
    try {
      planEncoder(output, media(), AUTO, fakeCaps(encoders), HD);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      return err as UsageError;
    }
    throw new Error('expected a UsageError');
  }

  it('a default encoder that is missing: a UsageError naming it, the ffmpeg and the output', () => {
    const cases: [string, string][] = [
      ['o.mp4', 'libx264'],
      ['o.webm', 'libvpx-vp9'],
      ['o.png', 'png'],
      ['o.tif', 'tiff'],
      ['o.jpg', 'mjpeg'],
    ];
    for (const [file, encoder] of cases) {
      const err = missing(fileOutput(file), ['ffv1']);
      expect(err.code).toBe('E_USAGE');
      expect(err.exitCode).toBe(2);
      expect(err.message).toBe(
        `The ffmpeg in use (/opt/ffmpeg/bin/ffmpeg) has no ${encoder} encoder, needed for ${file}`,
      );
    }
    expect(missing(stdoutOutput(undefined), []).message).toBe(
      'The ffmpeg in use (/opt/ffmpeg/bin/ffmpeg) has no libx264 encoder, needed for standard output',
    );
  });

  it('only the encoder that is used must exist', () => {
    expect(() => planEncoder(fileOutput('o.png'), media(), AUTO, fakeCaps(['png']), HD)).not.toThrow();
    expect(() => planEncoder(fileOutput('o.y4m'), media(), AUTO, fakeCaps([]), HD)).not.toThrow();
    expect(() => planEncoder(fileOutput('o.bmp'), media(), AUTO, fakeCaps([]), HD)).not.toThrow();
  });

  it('an encoder named with --codec that the ffmpeg lacks: a UsageError too, before ffmpeg starts', () => {
    // Regression (fixed): only the automatically picked encoders are checked; `--codec libx265` (or a typo) on an
    // ffmpeg without it passes, ffmpeg then dies with "Unknown encoder" and vgrade exits 1
    // ("failed while working") instead of 2 ("usage or configuration error").
    const err = missing(fileOutput('o.mp4', { codec: 'libx265' }), ['libx264']);
    expect(err.message).toBe(
      'The ffmpeg in use (/opt/ffmpeg/bin/ffmpeg) has no libx265 encoder, needed for o.mp4',
    );
  });
});

describe('planEncoder: crf and preset ranges per encoder', () => {
  function usage(output: OutputTarget, choices: Partial<EncodeChoices> = {}): string {
    try {
      plan(output, media(), choices);
    } catch (err) {
      expect(err).toBeInstanceOf(UsageError);
      expect((err as UsageError).exitCode).toBe(2);
      return (err as UsageError).message;
    }
    throw new Error('expected a UsageError');
  }

  it('crf: libx264 and libx265 0 to 51, libvpx-vp9 and libaom-av1 0 to 63, both ends included', () => {
    const ranges: [string, string, number, number][] = [
      ['o.mkv', 'libx264', 0, 51],
      ['o.mkv', 'libx265', 0, 51],
      ['o.webm', 'libvpx-vp9', 0, 63],
      ['o.mkv', 'libaom-av1', 0, 63],
    ];
    const all = fakeCaps([...caps.encoders, 'libaom-av1']);
    for (const [file, codec, min, max] of ranges) {
      for (const crf of [min, max]) {
        expect(() => planEncoder(fileOutput(file, { codec, crf }), media(), AUTO, all, HD)).not.toThrow();
      }
      for (const crf of [min - 1, max + 1, 99, Number.NaN]) {
        expect(() => planEncoder(fileOutput(file, { codec, crf }), media(), AUTO, all, HD)).toThrow(
          `Expected number between ${min} and ${max} for --crf with ${codec} but received ${crf}`,
        );
      }
    }
  });

  it('crf from the pipeline is named as encode.crf, and checked against the encoder picked for the output', () => {
    expect(usage(fileOutput('o.mp4'), { crf: 60 })).toBe(
      'Expected number between 0 and 51 for encode.crf with libx264 but received 60',
    );
    expect(() => plan(fileOutput('o.webm'), media(), { crf: 60 })).not.toThrow();
  });

  it('preset: the x264/x265 names, and the libvpx-vp9 deadlines', () => {
    const names = 'ultrafast superfast veryfast faster fast medium slow slower veryslow placebo'.split(' ');
    for (const preset of names) {
      expect(() => plan(fileOutput('o.mkv', { preset }))).not.toThrow();
      expect(() => plan(fileOutput('o.mkv', { codec: 'libx265', preset }))).not.toThrow();
    }
    expect(usage(fileOutput('o.mkv', { preset: 'bogus' }))).toBe(
      `Expected one of ${names.join(', ')} for --preset with libx264 but received bogus`,
    );
    expect(usage(fileOutput('o.mkv', { codec: 'libx265' }), { preset: 'Medium' })).toBe(
      `Expected one of ${names.join(', ')} for encode.preset with libx265 but received Medium`,
    );
    expect(() => plan(fileOutput('o.webm', { preset: 'realtime' }))).not.toThrow();
    expect(usage(fileOutput('o.webm', { preset: 'fast' }))).toBe(
      'Expected one of good, best, realtime for --preset with libvpx-vp9 but received fast',
    );
  });

  it('stills and encoders without a known table are left to ffmpeg', () => {
    expect(() => plan(fileOutput('o.png', { crf: 99, preset: 'x' }))).not.toThrow();
    expect(() => plan(fileOutput('o.mkv', { codec: 'ffv1', crf: 99, preset: 'x' }))).not.toThrow();
  });
});

describe('planEncoder: colour description', () => {
  it('range, matrix, primaries and transfer passed on when the source states them', () => {
    const p = plan(
      fileOutput('o.mp4'),
      media({ colorRange: 'tv', colorSpace: 'bt709', colorPrimaries: 'bt709', colorTransfer: 'bt709' }),
    );
    expect(p.videoArgs).toEqual([
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-crf',
      '18',
      '-preset',
      'medium',
      '-color_range',
      'tv',
      '-colorspace',
      'bt709',
      '-color_primaries',
      'bt709',
      '-color_trc',
      'bt709',
    ]);
    expect(
      arg(
        plan(fileOutput('o.mkv'), media({ colorSpace: 'bt2020nc', colorTransfer: 'smpte2084' })).videoArgs,
        '-color_trc',
      ),
    ).toBe('smpte2084');
  });

  it('unknown, reserved and absent tags are skipped', () => {
    const p = plan(
      fileOutput('o.mp4'),
      media({
        colorRange: 'unknown',
        colorSpace: 'reserved',
        colorPrimaries: undefined,
        colorTransfer: 'unknown',
      }),
    );
    expect(p.videoArgs).toEqual([
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      '-crf',
      '18',
      '-preset',
      'medium',
    ]);
    const partial = plan(fileOutput('o.mp4'), media({ colorPrimaries: 'bt470bg', colorSpace: 'unknown' }));
    expect(partial.videoArgs.slice(8)).toEqual(['-color_primaries', 'bt470bg']);
  });

  it('stills carry no colour tags', () => {
    expect(plan(fileOutput('o.png'), media({ colorSpace: 'bt709', colorRange: 'tv' })).videoArgs).toEqual([
      '-c:v',
      'png',
      '-pix_fmt',
      'rgb24',
    ]);
  });

  it('an RGB source (PNG, as ffprobe describes it: gbr, pc) to a YUV video: no RGB matrix tag', () => {
    // ffprobe 6 reports a PNG as pix_fmt rgb24, color_space gbr, color_range pc. The output is
    // yuv444p: YUV data, so tagging it with the identity (GBR) matrix is wrong, and ffmpeg 4.1 and
    // 5.1 both refuse the value outright ("Unable to parse option value \"gbr\"" for -colorspace),
    // so `vgrade grade photo.png -o photo.mp4` and 'frames/%05d.png' -> mp4 fail.
    // Regression (fixed): planEncoder copies colorSpace 'gbr' to -colorspace for a YUV pixel format.
    const p = plan(
      fileOutput('o.mp4'),
      media({ codec: 'png', pixFmt: 'rgb24', colorSpace: 'gbr', colorRange: 'pc' }),
    );
    expect(arg(p.videoArgs, '-pix_fmt')).toBe('yuv444p');
    expect(arg(p.videoArgs, '-colorspace')).not.toBe('gbr');
  });

  it('a full-range source: the range tag matches the data written', () => {
    // The encoder's ffmpeg converts the graded RGB to yuv420p with swscale's default, limited range
    // (white is Y = 235); tagged `-color_range pc`, players stretch nothing and show white as 235/255
    // grey and black as 16/255 (checked with ffmpeg 4.1 and 5.1: a white yuvj420p source graded
    // with `vgrade grade` comes out with Y = 235 tagged pc). Either the tag says tv, or the
    // conversion is to full range (a yuvj pixel format).
    // Regression (fixed): planEncoder copies colorRange 'pc' with a limited-range pixel format.
    const p = plan(fileOutput('o.mp4'), media({ pixFmt: 'yuvj420p', colorRange: 'pc' }));
    const pix = arg(p.videoArgs, '-pix_fmt')!;
    const range = arg(p.videoArgs, '-color_range');
    expect(range === 'pc' ? pix.startsWith('yuvj') : true).toBe(true);
  });
});
