import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { displaySize, gopOf, probeMedia, type MediaInfo } from '../../src/ffmpeg/probe.js';
import { RuntimeFailure } from '../../src/util/errors.js';
import { builds, bundled, ffmpeg, scratch } from './helpers.js';
import { withClosedCaptions } from '../helpers/captions.js';

/**
 * Tiny files made on the fly with the bundled ffmpeg (4.1), at the odd size 385x289. Note that
 * testsrc2 rounds an odd size down to even when it negotiates a subsampled format (it gave 384x288
 * for yuv420p and for rgb48be), so each source names a full-resolution format right away.
 */
let tmp: Awaited<ReturnType<typeof scratch>>;
/** Splits a run of arguments that contain no spaces, to keep fixture recipes on one line each. */
const w = (args: string): string[] => args.split(' ');
const src = (format: string): string[] => w(`-f lavfi -i testsrc2=size=385x289:rate=25,format=${format}`);
const sine = w('-f lavfi -t 0.4 -i sine=frequency=440:sample_rate=48000');
const corner = 'color=black:s=64x48,drawbox=x=0:y=0:w=8:h=8:c=white:t=fill';

beforeAll(async () => {
  tmp = await scratch();
  const f = tmp.file;
  await writeFile(f('notmedia.txt'), 'This is a text file, not a video.\n');
  await writeFile(f('subs.srt'), '1\n00:00:00,000 --> 00:00:00,100\nHello\n');
  await writeFile(
    f('chapters.txt'),
    ';FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=100\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=100\nEND=200\n',
  );
  await mkdir(f('folder.mp4'));
  const make = (args: string[]): Promise<string> => ffmpeg(bundled.ffmpeg, args);
  await Promise.all([
    make([
      ...src('yuv444p'),
      ...sine,
      ...w('-frames:v 10 -c:v libx264 -preset ultrafast -c:a aac'),
      ...w('-color_primaries bt709 -color_trc bt709 -colorspace bt709 -color_range tv'),
      f('clip.mp4'),
    ]),
    make([...src('rgb24'), '-frames:v', '1', f('still.png')]),
    make([...src('rgba'), '-frames:v', '1', f('alpha.png')]),
    make([...src('rgb24'), ...w('-frames:v 1 -pix_fmt rgb48be'), f('deep16.png')]),
    make([...src('rgb24'), '-frames:v', '3', f('seq%03d.png')]),
    make([
      ...src('yuv444p10le'),
      ...['-i', f('subs.srt'), '-i', f('chapters.txt')],
      ...w('-map 0:v -map 1:s -map_chapters 2 -frames:v 5 -c:v ffv1 -c:s srt'),
      f('deep.mkv'),
    ]),
    make([...sine, '-c:a', 'aac', f('audio.m4a')]),
    make(['-f', 'lavfi', '-i', corner, ...w('-frames:v 1 -c:v libx264 -pix_fmt yuv420p'), f('corner.mp4')]),
    // VP9 with alpha, which WebM carries beside the picture.
    make([...src('rgba'), ...w('-frames:v 3 -c:v libvpx-vp9 -pix_fmt yuva420p'), f('alpha.webm')]),
    // MPEG-2 as XDCAM HD422 codes it (at a small size): 4:2:2 profile, 50 Mb/s, GOP 12; and intra only, as IMX.
    make([
      ...w(
        '-f lavfi -i testsrc2=size=320x180:rate=25 -frames:v 30 -c:v mpeg2video -pix_fmt yuv422p -profile:v 0',
      ),
      ...w('-b:v 50M -minrate 50M -maxrate 50M -bufsize 17825792 -g 12 -bf 2 -timecode 10:00:00:00'),
      f('xdcam.mxf'),
    ]),
    make([
      ...w(
        '-f lavfi -i testsrc2=size=320x180:rate=25 -frames:v 10 -c:v mpeg2video -pix_fmt yuv422p -profile:v 0',
      ),
      ...w('-b:v 50M -minrate 50M -maxrate 50M -bufsize 17825792 -g 1'),
      f('imx.mxf'),
    ]),
  ]);
  await Promise.all([
    // Cover art from a finished file: with an endless lavfi picture source ffmpeg 4.1's mp3 muxer never ends.
    make([
      ...sine,
      ...['-i', f('still.png')],
      ...w('-map 0 -map 1 -c:a libmp3lame -c:v png -disposition:v:0 attached_pic'),
      f('cover.mp3'),
    ]),
    make(['-i', f('clip.mp4'), ...w('-c copy -metadata:s:v:0 rotate=90'), f('rotated.mp4')]),
    make([
      ...src('yuv420p'),
      ...w('-frames:v 3 -r 30000/1001 -c:v libx264 -timecode 01:02:03;04'),
      f('timecode.mov'),
    ]),
    withClosedCaptions(f('clip.mp4'), f('captioned.mp4'), '25'),
    make(['-i', f('corner.mp4'), ...w('-c copy -metadata:s:v:0 rotate=90'), f('corner-rotated.mp4')]),
  ]);
});
afterAll(() => tmp.remove());

const plain = {
  colorRange: undefined,
  colorSpace: undefined,
  colorPrimaries: undefined,
  colorTransfer: undefined,
};

describe.each(builds)('probeMedia with the $name ffprobe', ({ name, ffmpeg: decoder, ffprobe }) => {
  it('describes an mp4 with H.264 video and AAC audio', async () => {
    const info = await probeMedia(ffprobe, tmp.file('clip.mp4'));
    expect(info).toEqual<MediaInfo>({
      path: tmp.file('clip.mp4'),
      formatName: 'mov,mp4,m4a,3gp,3g2,mj2',
      duration: 0.4,
      startTime: 0,
      bitRate: expect.any(Number),
      video: {
        index: 0,
        codec: 'h264',
        // x264 codes 4:4:4 in its High 4:4:4 Predictive profile.
        profile: 'High 4:4:4 Predictive',
        width: 385,
        height: 289,
        pixFmt: 'yuv444p',
        bitsPerChannel: 8,
        frameRate: 25,
        avgFrameRate: 25,
        nbFrames: 10,
        duration: 0.4,
        rotation: 0,
        bitRate: expect.any(Number),
        colorRange: 'tv',
        colorSpace: 'bt709',
        colorPrimaries: 'bt709',
        colorTransfer: 'bt709',
        isStill: false,
        hasAlpha: false,
      },
      audioStreams: 1,
      audioTracks: [{ codec: 'aac', sampleRate: 48000 }],
      subtitleStreams: 0,
      subtitleCodecs: [],
      dataStreams: 0,
      chapters: 0,
      estimatedFrames: 10,
    });
  });

  it("reads the start timecode: MXF's the container's, QuickTime's its video's", async () => {
    expect((await probeMedia(ffprobe, tmp.file('xdcam.mxf'))).timecode).toBe('10:00:00:00');
    expect((await probeMedia(ffprobe, tmp.file('timecode.mov'))).timecode).toBe('01:02:03;04');
    expect((await probeMedia(ffprobe, tmp.file('clip.mp4'))).timecode).toBeUndefined();
  });

  it("sees a VP9 stream's alpha, which only libvpx's decoder reads, and names that decoder", async () => {
    const video = (await probeMedia(ffprobe, tmp.file('alpha.webm'))).video;
    expect(video).toMatchObject({ codec: 'vp9', decoder: 'libvpx-vp9', pixFmt: 'yuva420p', hasAlpha: true });
    expect((await probeMedia(ffprobe, tmp.file('clip.mp4'))).video?.decoder).toBeUndefined();
  });

  it("reads an MPEG-2 stream's bit rate and GOP: pictures from one keyframe to the next", async () => {
    const xdcam = (await probeMedia(ffprobe, tmp.file('xdcam.mxf'))).video;
    expect(xdcam).toMatchObject({ codec: 'mpeg2video', profile: '4:2:2', bitRate: 50_000_000, gop: 12 });
    expect((await probeMedia(ffprobe, tmp.file('imx.mxf'))).video?.gop).toBe(1);
    // Other codecs are not read for it.
    expect((await probeMedia(ffprobe, tmp.file('clip.mp4'))).video?.gop).toBeUndefined();
  });

  it('sees closed captions carried inside an H.264 stream (ATSC A/53), which ffprobe reports only once it decodes', async () => {
    expect((await probeMedia(ffprobe, tmp.file('captioned.mp4'))).video?.closedCaptions).toBe(true);
    expect((await probeMedia(ffprobe, tmp.file('clip.mp4'))).video?.closedCaptions).toBeUndefined();
  });

  it('reads rotation from the display matrix, in degrees counterclockwise', async () => {
    // Written with `-metadata:s:v:0 rotate=90` by ffmpeg 4.1 (5.1 writes the same matrix): both
    // muxers store a matrix that every ffprobe reads as `rotation: 90`, and that ffmpeg 4.1 itself
    // shows as the tag `rotate: 270`. The coded size does not change.
    const info = await probeMedia(ffprobe, tmp.file('rotated.mp4'));
    expect(info.video).toMatchObject({ width: 385, height: 289, rotation: 90 });
  });

  it("means by rotation what ffmpeg's autorotate does: 90 turns the top-left corner to the bottom-left", async () => {
    expect((await probeMedia(ffprobe, tmp.file('corner-rotated.mp4'))).video?.rotation).toBe(90);
    const out = tmp.file(`corner-${name}.gray`);
    await ffmpeg(decoder, ['-i', tmp.file('corner-rotated.mp4'), '-pix_fmt', 'gray', '-f', 'rawvideo', out]);
    const gray = await readFile(out);
    const [w, h] = [48, 64]; // turned upright: 48 wide, 64 high
    expect(gray.length).toBe(w * h);
    const at = (x: number, y: number): number => gray[y * w + x]!;
    expect([at(2, 2), at(w - 3, 2), at(2, h - 3), at(w - 3, h - 3)]).toEqual([0, 0, 255, 0]);
  });

  it('describes a PNG as a one-frame still', async () => {
    const info = await probeMedia(ffprobe, tmp.file('still.png'));
    // ffprobe 6 calls the matrix of RGB `gbr`; 5.1 says `unknown`.
    expect([undefined, 'gbr']).toContain(info.video?.colorSpace);
    expect({ ...info, video: { ...info.video, colorSpace: undefined } }).toEqual<MediaInfo>({
      path: tmp.file('still.png'),
      formatName: 'png_pipe',
      duration: undefined,
      startTime: undefined,
      bitRate: undefined,
      video: {
        index: 0,
        codec: 'png',
        width: 385,
        height: 289,
        pixFmt: 'rgb24',
        bitsPerChannel: 8,
        frameRate: 25,
        avgFrameRate: 25,
        nbFrames: undefined,
        duration: undefined,
        rotation: 0,
        ...plain,
        colorRange: 'pc',
        isStill: true,
        hasAlpha: false,
      },
      audioStreams: 0,
      audioTracks: [],
      subtitleStreams: 0,
      subtitleCodecs: [],
      dataStreams: 0,
      chapters: 0,
      estimatedFrames: 1,
    });
  });

  it('sees alpha in an RGBA PNG and 16 bits in an RGB48 PNG', async () => {
    expect((await probeMedia(ffprobe, tmp.file('alpha.png'))).video).toMatchObject({
      pixFmt: 'rgba',
      hasAlpha: true,
      bitsPerChannel: 8,
    });
    expect((await probeMedia(ffprobe, tmp.file('deep16.png'))).video).toMatchObject({
      pixFmt: 'rgb48be',
      hasAlpha: false,
      bitsPerChannel: 16,
      width: 385,
    });
  });

  it('does not take an image sequence for a still', async () => {
    const info = await probeMedia(ffprobe, tmp.file('seq%03d.png'));
    expect(info.formatName).toBe('image2');
    expect(info.video).toMatchObject({ codec: 'png', isStill: false });
    expect(info.estimatedFrames).toBe(3);
  });

  it('describes 10-bit FFV1 in Matroska, with subtitles and chapters', async () => {
    const info = await probeMedia(ffprobe, tmp.file('deep.mkv'));
    expect(info).toEqual<MediaInfo>({
      path: tmp.file('deep.mkv'),
      formatName: 'matroska,webm',
      duration: 0.2,
      startTime: 0,
      bitRate: expect.any(Number),
      video: {
        index: 0,
        codec: 'ffv1',
        width: 385,
        height: 289,
        pixFmt: 'yuv444p10le',
        bitsPerChannel: 10,
        frameRate: 25,
        avgFrameRate: 25,
        nbFrames: undefined, // Matroska states no frame count...
        duration: 0.2, // ...and keeps the duration in a tag
        rotation: 0,
        ...plain,
        isStill: false,
        hasAlpha: false,
      },
      audioStreams: 0,
      audioTracks: [],
      subtitleStreams: 1,
      subtitleCodecs: ['subrip'],
      dataStreams: 0,
      chapters: 2,
      estimatedFrames: 5,
    });
  });

  it('refuses an audio-only file: E_INPUT_NO_VIDEO, a failure of the data (exit 1)', async () => {
    const file = tmp.file('audio.m4a');
    await expect(probeMedia(ffprobe, file)).rejects.toBeInstanceOf(RuntimeFailure);
    await expect(probeMedia(ffprobe, file)).rejects.toMatchObject({
      code: 'E_INPUT_NO_VIDEO',
      exitCode: 1,
      message: `${file} has no video stream`,
    });
  });

  it('does not count cover art as video', async () => {
    await expect(probeMedia(ffprobe, tmp.file('cover.mp3'))).rejects.toMatchObject({
      code: 'E_INPUT_NO_VIDEO',
    });
  });

  it('describes a file without video when asked to', async () => {
    const info = await probeMedia(ffprobe, tmp.file('cover.mp3'), { requireVideo: false });
    expect(info).toMatchObject({
      formatName: 'mp3',
      video: undefined,
      audioStreams: 1,
      audioTracks: [{ codec: 'mp3', sampleRate: 48000 }],
      estimatedFrames: undefined,
    });
  });

  it("refuses a text file with ffprobe's reason: E_INPUT_NOT_MEDIA, a failure of the data (exit 1)", async () => {
    const file = tmp.file('notmedia.txt');
    await expect(probeMedia(ffprobe, file)).rejects.toMatchObject({
      code: 'E_INPUT_NOT_MEDIA',
      exitCode: 1,
      message: `Cannot read ${file} as media: Invalid data found when processing input`,
    });
  });
});

describe('probeMedia refuses before running ffprobe', () => {
  it('a file that does not exist: E_INPUT_MISSING', async () => {
    const file = tmp.file('nope.mp4');
    await expect(probeMedia(bundled.ffprobe, file)).rejects.toMatchObject({
      code: 'E_INPUT_MISSING',
      exitCode: 2,
      message: `Input file not found: ${file}`,
    });
  });

  it('an image sequence pattern that matches no file: E_INPUT_MISSING, from ffprobe', async () => {
    const pattern = tmp.file('none%03d.png');
    await expect(probeMedia(bundled.ffprobe, pattern)).rejects.toMatchObject({
      code: 'E_INPUT_MISSING',
      message: `Input file not found: ${pattern}`,
    });
  });

  it('a directory: E_INPUT_NOT_MEDIA', async () => {
    const dir = tmp.file('folder.mp4');
    await expect(probeMedia(bundled.ffprobe, dir)).rejects.toMatchObject({
      code: 'E_INPUT_NOT_MEDIA',
      exitCode: 1,
      message: `Cannot read ${dir} as media: it is a directory`,
    });
  });

  it('stdin, which probing would consume', async () => {
    await expect(probeMedia(bundled.ffprobe, '-')).rejects.toMatchObject({ code: 'E_USAGE' });
  });

  it('with a missing ffprobe: E_FFMPEG_MISSING', async () => {
    await expect(probeMedia('/nonexistent/ffprobe', tmp.file('still.png'))).rejects.toMatchObject({
      code: 'E_FFMPEG_MISSING',
    });
  });
});

describe('probeMedia on other sources', () => {
  it('probes a lavfi graph (no file to check)', async () => {
    const info = await probeMedia(bundled.ffprobe, 'testsrc2=size=64x48:rate=30000/1001', {
      format: 'lavfi',
    });
    expect(info.formatName).toBe('lavfi');
    expect(info.video).toMatchObject({ width: 64, height: 48, frameRate: 30000 / 1001 });
  });
});

describe('gopOf', () => {
  it('takes the longest run between keyframes: the first run of an open GOP is shorter in coded order', () => {
    expect(gopOf(['K_', '__', '__', 'K_', '__', '__', '__', 'K_', '__'])).toBe(4);
    expect(gopOf(['K_', 'K_', 'K_'])).toBe(1);
  });

  it('knows nothing from fewer than two keyframes', () => {
    expect(gopOf(['K_', '__', '__'])).toBeUndefined();
    expect(gopOf([])).toBeUndefined();
  });
});

describe('displaySize', () => {
  it.each([
    [0, 640, 360],
    [90, 360, 640],
    [180, 640, 360],
    [270, 360, 640],
    [-90, 360, 640],
    [89.5, 360, 640],
  ])('turned %s degrees, a 640x360 picture shows as %sx%s', (rotation, width, height) => {
    expect(displaySize({ width: 640, height: 360, rotation })).toEqual({ width, height });
  });
});
