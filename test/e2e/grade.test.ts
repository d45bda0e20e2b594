import { readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRgb, ffmpeg, frameTimes, probe, tempDir } from '../helpers/media.js';
import { SAMPLE, vgrade } from '../helpers/cli.js';
import { makeClip } from '../helpers/clips.js';
import { withClosedCaptions } from '../helpers/captions.js';

/** Mean of each channel over rgb24 frames. */
function channelMeans(frames: Buffer[]): [number, number, number] {
  const sum = [0, 0, 0];
  let n = 0;
  for (const f of frames) {
    for (let i = 0; i < f.length; i += 3) {
      sum[0]! += f[i]!;
      sum[1]! += f[i + 1]!;
      sum[2]! += f[i + 2]!;
      n++;
    }
  }
  return [sum[0]! / n, sum[1]! / n, sum[2]! / n];
}

const distance = (a: [number, number, number], b: [number, number, number]): number =>
  Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

describe('vgrade grade', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let castClip: string;
  let refClip: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    // A real-looking scene with a strong green cast (the design's green-3 detune: G * 1.3), plus audio.
    castClip = path.join(dir, 'cast.mp4');
    refClip = path.join(dir, 'reference.mp4');
    // Real footage (the shipped sample), 2 s at 320x180, and the same with a green cast plus audio.
    await ffmpeg([
      '-i',
      SAMPLE,
      '-t',
      '2',
      '-vf',
      'scale=320:180',
      '-an',
      '-c:v',
      'libx264',
      '-crf',
      '12',
      refClip,
    ]);
    await ffmpeg([
      '-i',
      refClip,
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=440:sample_rate=48000',
      '-t',
      '2',
      '-vf',
      'colorchannelmixer=gg=1.3:rr=0.9',
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-c:v',
      'libx264',
      '-crf',
      '12',
      '-pix_fmt',
      'yuv420p',
      '-c:a',
      'aac',
      '-metadata',
      'title=cast test',
      castClip,
    ]);
  });
  afterAll(() => cleanup());

  it('grades a file: every frame, audio and metadata kept, the cast reduced, no partial file left', async () => {
    const out = path.join(dir, 'graded.mp4');
    const result = await vgrade(['grade', castClip, '-o', out, '--pipeline', 'classical']);
    expect(result.stderr).toContain('-> ');
    expect(result.code).toBe(0);
    const info = await probe(out);
    const video = info.streams.find((s: any) => s.codec_type === 'video');
    const audio = info.streams.find((s: any) => s.codec_type === 'audio');
    expect(video.codec_name).toBe('h264');
    expect([video.width, video.height]).toEqual([320, 180]);
    expect(Number(video.nb_frames)).toBe(Number((await probe(castClip)).streams[0].nb_frames));
    expect(audio.codec_name).toBe('aac');
    expect(info.format.tags.title).toBe('cast test');
    const reference = channelMeans(await decodeRgb(refClip, 320, 180));
    const before = channelMeans(await decodeRgb(castClip, 320, 180));
    const after = channelMeans(await decodeRgb(out, 320, 180));
    // The green excess over red and blue, about 30 levels in the cast clip, is cut to under a third
    // of it (autobalance leaves a 5% cast alone as the scene's own colour: do no harm), and the
    // channel means come closer to the uncast reference's.
    const greenExcess = (m: [number, number, number]): number => m[1] - (m[0] + m[2]) / 2;
    expect(greenExcess(before) - greenExcess(reference)).toBeGreaterThan(20);
    expect(Math.abs(greenExcess(after) - greenExcess(reference))).toBeLessThan(
      (greenExcess(before) - greenExcess(reference)) / 3,
    );
    expect(distance(after, reference)).toBeLessThan(distance(before, reference));
    expect((await readdir(dir)).filter((f) => f.includes('vgrade-partial'))).toEqual([]);
  });

  it('carries subtitles, chapters and metadata through a Matroska file', async () => {
    const { writeFile } = await import('node:fs/promises');
    const srt = path.join(dir, 'subs.srt');
    await writeFile(
      srt,
      '1\n00:00:00,000 --> 00:00:00,800\nHello\n\n2\n00:00:01,000 --> 00:00:01,500\nWorld\n',
    );
    const meta = path.join(dir, 'chapters.txt');
    await writeFile(
      meta,
      ';FFMETADATA1\ntitle=with extras\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\nEND=1000\ntitle=One\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\nEND=2000\ntitle=Two\n',
    );
    const mkv = path.join(dir, 'extras.mkv');
    await ffmpeg([
      '-f',
      'lavfi',
      '-i',
      'testsrc2=size=160x90:rate=25',
      '-f',
      'lavfi',
      '-i',
      'sine',
      '-i',
      srt,
      '-i',
      meta,
      '-map',
      '0:v',
      '-map',
      '1:a',
      '-map',
      '2:s',
      '-map_metadata',
      '3',
      '-map_chapters',
      '3',
      '-t',
      '2',
      '-c:v',
      'libx264',
      '-c:a',
      'aac',
      '-c:s',
      'srt',
      mkv,
    ]);
    const out = path.join(dir, 'extras-graded.mkv');
    const result = await vgrade(['grade', mkv, '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    const info = await probe(out, ['-show_chapters']);
    expect(info.streams.map((s: any) => s.codec_type)).toEqual(['video', 'audio', 'subtitle']);
    expect(info.chapters.map((c: any) => c.tags.title)).toEqual(['One', 'Two']);
    expect(info.format.tags.title).toBe('with extras');
  });

  it('keeps variable frame rate timestamps frame for frame', async () => {
    const vfr = path.join(dir, 'vfr.mkv');
    await makeClip(vfr, { size: '160x90', fps: 50, duration: 2, variableFrameRate: true, codec: 'ffv1' });
    const out = path.join(dir, 'vfr-graded.mkv');
    const result = await vgrade(['grade', vfr, '-o', out, '--codec', 'ffv1']);
    expect(result.code, result.stderr).toBe(0);
    const source = await frameTimes(vfr);
    const graded = await frameTimes(out);
    expect(source.length).toBeGreaterThan(30);
    expect(graded).toEqual(source);
  });

  it('gives one output frame per input frame where frames share a timestamp', async () => {
    // An RGB clip (so the LUTs meet the picture in the encoder's haldclut) whose last two frames
    // share a timestamp, as some edited clips end.
    const shared = path.join(dir, 'shared-times.mkv');
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=10', '-frames:v', '8'],
      ...['-vf', "setpts='if(eq(N\\,7)\\,6\\,N)/(10*TB)'", '-vsync', 'passthrough'],
      ...['-c:v', 'ffv1', '-pix_fmt', 'bgr0', shared],
    ]);
    const source = await frameTimes(shared);
    expect(source).toHaveLength(8);
    expect(source[7]).toBe(source[6]);
    const out = path.join(dir, 'shared-times-graded.mkv');
    const result = await vgrade(['grade', shared, '-o', out, '--codec', 'ffv1']);
    expect(result.code, result.stderr).toBe(0);
    expect(await frameTimes(out)).toEqual(source);
  });

  it('keeps an interlaced source interlaced, in its field order, on both roads', async () => {
    const fields = async (file: string) => {
      const info = await probe(file, [
        '-select_streams',
        'v:0',
        '-show_entries',
        'frame=interlaced_frame,top_field_first',
      ]);
      const frame = (info.frames as any[])[0];
      return [info.streams[0].field_order, frame.interlaced_frame, frame.top_field_first];
    };
    for (const [order, x264] of [
      ['tt', 'tff=1'],
      ['bb', 'bff=1'],
    ] as const) {
      const source = path.join(dir, `interlaced-${order}.mp4`);
      await ffmpeg([
        ...['-f', 'lavfi', '-i', 'testsrc2=size=160x96:rate=25', '-frames:v', '6', '-pix_fmt', 'yuv420p'],
        ...['-c:v', 'libx264', '-flags', '+ilme+ildct', '-x264-params', x264, source],
      ]);
      expect((await fields(source))[0]).toBe(order);
      for (const apply of ['node', 'encoder']) {
        const out = path.join(dir, `interlaced-${order}-${apply}.mp4`);
        const result = await vgrade(['grade', source, '-o', out, '--set', `encode.apply=${apply}`]);
        expect(result.code, result.stderr).toBe(0);
        expect(await fields(out)).toEqual([order, 1, order === 'tt' ? 1 : 0]);
      }
    }
  });

  it("grades an interlaced source's colours field by field on both roads: its fields' chroma is not mixed", async () => {
    // Fields of unlike colour, as anything that moves between fields has: the top field's lines
    // orange, the bottom field's blue, each field coded in 4:2:0 on its own.
    const source = path.join(dir, 'fields.mp4');
    const rgb = "geq=r='if(mod(Y,2),40,200)':g='90':b='if(mod(Y,2),210,30)'";
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'color=size=160x96:rate=25', '-frames:v', '4'],
      ...['-vf', `format=rgb24,${rgb},scale=interl=1,format=yuv420p,setfield=tff`],
      ...['-c:v', 'libx264', '-qp', '0', '-flags', '+ilme+ildct', '-x264-params', 'tff=1', source],
    ]);
    // Each field's mean colour, decoded field by field.
    const fieldColours = async (file: string) => {
      const frames = await decodeRgb(file, 160, 96, ['-vf', 'scale=interl=1']);
      const rows = (parity: number) =>
        frames.map((f) =>
          Buffer.concat(
            Array.from({ length: 48 }, (_, r) =>
              f.subarray((2 * r + parity) * 480, (2 * r + parity + 1) * 480),
            ),
          ),
        );
      return [channelMeans(rows(0)), channelMeans(rows(1))] as const;
    };
    const [top, bottom] = await fieldColours(source);
    expect(distance(top, [200, 90, 30])).toBeLessThan(4);
    expect(distance(bottom, [40, 90, 210])).toBeLessThan(4);
    const graded = [];
    for (const apply of ['node', 'encoder']) {
      const out = path.join(dir, `fields-${apply}.mp4`);
      const result = await vgrade([
        'grade',
        source,
        '-o',
        out,
        '--crf',
        '0',
        '--set',
        `encode.apply=${apply}`,
      ]);
      expect(result.code, result.stderr).toBe(0);
      const colours = await fieldColours(out);
      // Converted as one picture, the chroma of the two fields is averaged: they came out 114 apart
      // on the encoder's road, where they are 242 apart in the source.
      expect(distance(colours[0], colours[1])).toBeGreaterThan(0.8 * distance(top, bottom));
      graded.push(colours);
    }
    // A correction was applied, and the two roads applied it alike.
    expect(distance(graded[0]![0], top) + distance(graded[0]![1], bottom)).toBeGreaterThan(5);
    expect(distance(graded[0]![0], graded[1]![0])).toBeLessThan(2);
    expect(distance(graded[0]![1], graded[1]![1])).toBeLessThan(2);
  });

  it('grades a ProRes master back into ProRes, in its profile, its fields kept', async () => {
    const source = path.join(dir, 'master.mov');
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=size=160x96:rate=25', '-frames:v', '4', '-vf', 'setfield=tff'],
      ...['-c:v', 'prores_ks', '-profile:v', 'hq', '-flags', '+ildct', '-field_order', 'tt', source],
    ]);
    const out = path.join(dir, 'master-graded.mov');
    const result = await vgrade(['grade', source, '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    const stream = (await probe(out)).streams[0];
    expect([stream.codec_name, stream.profile, stream.pix_fmt, stream.field_order]).toEqual([
      'prores',
      'HQ',
      'yuv422p10le',
      'tt',
    ]);
  });

  it('grades a still at an odd size and keeps its size and format', async () => {
    const png = path.join(dir, 'odd.png');
    await makeClip(png, {
      size: '385x289',
      sourceFilter: 'format=rgb24',
      frames: 1,
      filter: 'colorchannelmixer=bb=1.3',
    });
    const out = path.join(dir, 'odd-graded.png');
    const result = await vgrade(['grade', png, '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    const video = (await probe(out)).streams[0];
    expect([video.codec_name, video.width, video.height, video.pix_fmt]).toEqual(['png', 385, 289, 'rgb24']);
  });

  it('grades a DNxHR master in MXF back into DNxHR, in its profile', async () => {
    const source = path.join(dir, 'avid.mxf');
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-frames:v', '4', '-pix_fmt', 'yuv422p10le'],
      ...['-c:v', 'dnxhd', '-profile:v', 'dnxhr_hqx', source],
    ]);
    const out = path.join(dir, 'avid-graded.mxf');
    const result = await vgrade(['grade', source, '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    const stream = (await probe(out)).streams[0];
    expect([stream.codec_name, stream.profile, stream.pix_fmt]).toEqual([
      'dnxhd',
      'DNXHR HQX',
      'yuv422p10le',
    ]);
  });

  it('grades an XDCAM HD422 master in MXF back into XDCAM HD422: profile, rate, GOP, fields, audio tracks, timecode', async () => {
    const source = path.join(dir, 'xdcam.mxf');
    // XDCAM HD422 at a small size, interlaced (top field first), two mono PCM tracks, a start
    // timecode. The sources end themselves: with -frames:v and audio, ffmpeg 5.1's MXF muxer drops
    // the last pictures.
    await ffmpeg([
      ...['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=1.44,colorchannelmixer=bb=1.2'],
      ...['-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=1.44'],
      ...['-map', '0:v', '-map', '1:a', '-map', '1:a'],
      ...['-c:v', 'mpeg2video', '-pix_fmt', 'yuv422p', '-profile:v', '0', '-b:v', '50M', '-minrate', '50M'],
      ...['-maxrate', '50M', '-bufsize', '17825792', '-g', '12', '-bf', '2', '-flags', '+ilme+ildct'],
      ...[
        '-field_order',
        'tt',
        '-top',
        '1',
        '-c:a',
        'pcm_s24le',
        '-ac',
        '1',
        '-timecode',
        '10:00:00:00',
        source,
      ],
    ]);
    const out = path.join(dir, 'xdcam-graded.mxf');
    const result = await vgrade(['grade', source, '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    const graded = await probe(out);
    const video = graded.streams.find((s: { codec_type: string }) => s.codec_type === 'video');
    expect([video.codec_name, video.profile, video.pix_fmt, video.field_order, video.bit_rate]).toEqual([
      'mpeg2video',
      '4:2:2',
      'yuv422p',
      'tt',
      '50000000',
    ]);
    const audio = graded.streams.filter((s: { codec_type: string }) => s.codec_type === 'audio');
    expect(audio.map((s: { codec_name: string; channels: number }) => [s.codec_name, s.channels])).toEqual([
      ['pcm_s24le', 1],
      ['pcm_s24le', 1],
    ]);
    expect(graded.format.tags.timecode).toBe('10:00:00:00');
    // The GOP as the source's: a keyframe every 12 pictures (10 in the first, open GOP's coded order).
    const packets = await probe(out, ['-select_streams', 'v:0', '-show_entries', 'packet=flags']);
    const keys = packets.packets.flatMap((p: { flags: string }, i: number) =>
      p.flags.startsWith('K') ? [i] : [],
    );
    expect(keys.slice(1, 3).map((k: number, i: number) => k - keys[i])).toEqual([10, 12]);
    expect(packets.packets).toHaveLength(36);
  });

  it('grades an H.264 clip into MXF with its pictures shown in order', async () => {
    const source = path.join(dir, 'moving.mp4');
    await makeClip(source, { size: '160x90', fps: 25, duration: 0.8, pixelFormat: 'yuv420p' });
    const out = path.join(dir, 'moving.mxf');
    const result = await vgrade(['grade', source, '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    // With B-pictures, ffmpeg's MXF muxer gives each picture its coded position as its time
    // (0, 0.08, 0.12, 0.04...): a player shows them out of order.
    const frames = (await probe(out, ['-select_streams', 'v:0', '-show_entries', 'frame=pts_time'])).frames;
    const times = frames.map((f: { pts_time: string }) => Number(f.pts_time));
    expect(times).toHaveLength(20);
    expect(times.slice(1).every((t: number, i: number) => t > times[i])).toBe(true);
  });

  it("keeps a still's alpha as it was, grading only its colour", async () => {
    const png = path.join(dir, 'alpha.png');
    // The sample's first frame with a blue cast, its left half transparent, then alpha rising
    // across the right half (every level of a soft matte's edge).
    await ffmpeg([
      ...['-i', SAMPLE, '-frames:v', '1', '-vf'],
      "scale=160:90,colorchannelmixer=bb=1.3,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,80),0,(X-80)*255/79)'",
      png,
    ]);
    const out = path.join(dir, 'alpha-graded.png');
    const result = await vgrade(['grade', png, '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    expect((await probe(out)).streams[0].pix_fmt).toBe('rgba');
    const rgba = async (file: string) => {
      const raw = `${file}.rgba`;
      await ffmpeg(['-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgba', raw]);
      return readFile(raw);
    };
    const [before, after] = [await rgba(png), await rgba(out)];
    expect(after.length).toBe(160 * 90 * 4);
    let alphaChanged = 0;
    let colourMoved = 0;
    for (let i = 0; i + 3 < Math.min(before.length, after.length); i += 4) {
      if (before[i + 3] !== after[i + 3]) alphaChanged++;
      colourMoved += Math.abs(before[i + 2]! - after[i + 2]!);
    }
    expect(alphaChanged).toBe(0);
    expect(colourMoved / (before.length / 4)).toBeGreaterThan(2);
  });

  it("keeps a VP9 WebM's alpha (read with libvpx's decoder, which alone reads it)", async () => {
    const source = path.join(dir, 'overlay.webm');
    await ffmpeg([
      ...['-f', 'lavfi', '-i'],
      "testsrc2=size=160x90:rate=25:duration=0.4,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,80),0,255)'",
      ...['-c:v', 'libvpx-vp9', '-pix_fmt', 'yuva420p', source],
    ]);
    const out = path.join(dir, 'overlay-graded.webm');
    const result = await vgrade(['grade', source, '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    const raw = `${out}.alpha`;
    await ffmpeg([
      '-c:v',
      'libvpx-vp9',
      '-i',
      out,
      '-vf',
      'alphaextract',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'gray',
      raw,
    ]);
    const alpha = await readFile(raw);
    expect(alpha.length).toBe(10 * 160 * 90);
    const mean = (from: number, to: number): number => {
      let sum = 0;
      let n = 0;
      for (let i = 0; i < alpha.length; i++) {
        const x = i % 160;
        if (x >= from && x < to) {
          sum += alpha[i]!;
          n++;
        }
      }
      return sum / n;
    };
    // Transparent on the left, opaque on the right, as the source (VP9 codes alpha lossily).
    expect(mean(0, 70)).toBeLessThan(3);
    expect(mean(90, 160)).toBeGreaterThan(252);
  });

  it('keeps closed captions carried inside the video (ATSC A/53), picture by picture', async () => {
    const plain = path.join(dir, 'news-plain.mp4');
    await makeClip(plain, {
      size: '160x90',
      fps: 25,
      duration: 0.8,
      pixelFormat: 'yuv420p',
      filter: 'colorchannelmixer=bb=1.2',
    });
    const source = path.join(dir, 'news-cc.mp4');
    expect(await withClosedCaptions(plain, source, '25')).toBe(20);
    const out = path.join(dir, 'news-cc-graded.mp4');
    const result = await vgrade(['grade', source, '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    const captioned = async (file: string): Promise<number> => {
      const frames = (await probe(file, ['-show_frames', '-show_entries', 'frame_side_data=side_data_type']))
        .frames;
      return frames.filter((f: { side_data_list?: { side_data_type: string }[] }) =>
        f.side_data_list?.some((d) => d.side_data_type.includes('A53')),
      ).length;
    };
    // Graded in Node (the default for 8-bit 4:2:0), pictures left without their captions: such a
    // source is graded in the encoder, whose own decode keeps them.
    // (ffmpeg's decoder shows the captions of 18 or 19 of the 20 pictures it was given.)
    const [before, after] = [await captioned(source), await captioned(out)];
    expect(before).toBeGreaterThanOrEqual(18);
    expect(after).toBeGreaterThanOrEqual(before);
    // The same from standard input, read from its head.
    const nut = path.join(dir, 'news-cc.nut');
    await ffmpeg(['-i', source, '-c', 'copy', nut]);
    const piped = await vgrade(['grade', '-', '--input-format', 'nut', '-o', '-', '-f', 'nut'], {
      stdin: await readFile(nut),
    });
    expect(piped.code, piped.stderr.toString()).toBe(0);
    const pipedOut = path.join(dir, 'news-cc-piped.nut');
    await writeFile(pipedOut, piped.stdout);
    expect(await captioned(pipedOut)).toBeGreaterThanOrEqual(before);
  });

  it("keeps a QuickTime master's start timecode, and its exported EDL counts from it", async () => {
    const source = path.join(dir, 'reel.mov');
    await makeClip(path.join(dir, 'reel-plain.mov'), {
      size: '160x90',
      fps: 25,
      duration: 0.8,
      pixelFormat: 'yuv420p',
    });
    await ffmpeg(['-i', path.join(dir, 'reel-plain.mov'), '-c', 'copy', '-timecode', '01:02:03:04', source]);
    const out = path.join(dir, 'reel-graded.mov');
    const looks = path.join(dir, 'reel-looks');
    const result = await vgrade(['grade', source, '-o', out, '--export', looks]);
    expect(result.code, result.stderr).toBe(0);
    const video = (await probe(out)).streams.find((s: { codec_type: string }) => s.codec_type === 'video');
    expect(video.tags.timecode).toBe('01:02:03:04');
    const edl = await readFile(path.join(looks, 'reel.edl'), 'utf8');
    expect(edl).toContain('001  AX       V     C        01:02:03:04 01:02:03:24 01:02:03:04 01:02:03:24');
  });

  it('writes a 16-bit still back at 16 bits', async () => {
    const png = path.join(dir, 'deep.png');
    await makeClip(png, { size: '64x48', frames: 1, pixelFormat: 'rgb48be' });
    const out = path.join(dir, 'deep-graded.png');
    const result = await vgrade(['grade', png, '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    expect((await probe(out)).streams[0].pix_fmt).toBe('rgb48be');
  });

  it('grades several inputs into a folder, each under its own name', async () => {
    const still = path.join(dir, 'batch.png');
    await makeClip(still, { size: '96x64', frames: 1 });
    const outDir = path.join(dir, 'batch-out') + path.sep;
    const result = await vgrade(['grade', castClip, still, '-o', outDir]);
    expect(result.code, result.stderr).toBe(0);
    expect((await readdir(outDir)).sort()).toEqual(['batch.png', 'cast.mp4']);
  });

  it('grades an image sequence into an image sequence', async () => {
    const { mkdir } = await import('node:fs/promises');
    await mkdir(path.join(dir, 'seq'));
    await makeClip(path.join(dir, 'seq', 'f%03d.png'), { size: '96x64', fps: 10, frames: 5 });
    await mkdir(path.join(dir, 'seq-out'));
    const result = await vgrade([
      'grade',
      path.join(dir, 'seq', 'f%03d.png'),
      '-o',
      path.join(dir, 'seq-out', 'g%03d.png'),
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect((await readdir(path.join(dir, 'seq-out'))).sort()).toEqual([
      'g001.png',
      'g002.png',
      'g003.png',
      'g004.png',
      'g005.png',
    ]);
  });

  it('reads a stream from stdin and writes one to stdout', async () => {
    const nut = path.join(dir, 'pipe-in.nut');
    await makeClip(nut, { size: '160x90', fps: 25, audio: true, duration: 1, codec: 'libx264' });
    const result = await vgrade(['grade', '-', '--input-format', 'nut', '-o', '-', '-f', 'nut'], {
      stdin: await readFile(nut),
    });
    expect(result.code, result.stderr).toBe(0);
    const piped = path.join(dir, 'pipe-out.nut');
    await import('node:fs/promises').then((fs) => fs.writeFile(piped, result.stdout));
    const info = await probe(piped, ['-count_frames']);
    expect(info.streams.map((s: any) => s.codec_type).sort()).toEqual(['audio', 'video']);
    expect(Number(info.streams.find((s: any) => s.codec_type === 'video').nb_read_frames)).toBe(25);
  });

  it('keeps a 10-bit source at 10 bits', async () => {
    const deep = path.join(dir, 'deep.mkv');
    await makeClip(deep, {
      size: '128x72',
      fps: 25,
      duration: 0.4,
      pixelFormat: 'yuv422p10le',
      codec: 'ffv1',
    });
    const out = path.join(dir, 'deep-graded.mkv');
    const result = await vgrade(['grade', deep, '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    expect((await probe(out)).streams[0].pix_fmt).toBe('yuv422p10le');
  });

  it('keeps the rotation of a phone video as metadata, pixels untouched', async () => {
    const rotated = path.join(dir, 'rotated.mp4');
    await makeClip(rotated, { size: '160x96', fps: 25, duration: 0.4, codec: 'libx264', rotation: 90 });
    const out = path.join(dir, 'rotated-graded.mp4');
    const result = await vgrade(['grade', rotated, '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    const stream = (await probe(out)).streams[0];
    expect([stream.width, stream.height]).toEqual([160, 96]);
    const source = (await probe(rotated)).streams[0];
    expect(stream.side_data_list?.[0]?.rotation).toBe(source.side_data_list?.[0]?.rotation);
    expect(Math.abs(stream.side_data_list?.[0]?.rotation)).toBe(90);
  });
});

describe('vgrade grade with Debian ffmpeg 5.1 as well', () => {
  it.runIf(existsSync('/usr/bin/ffmpeg'))('grades a clip with /usr/bin/ffmpeg', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const clip = path.join(dir, 'c.mp4');
      await makeClip(clip, { size: '320x180', fps: 25, audio: true, duration: 1, codec: 'libx264' });
      const out = path.join(dir, 'o.mp4');
      const env = { VGRADE_FFMPEG: '/usr/bin/ffmpeg', VGRADE_FFPROBE: '/usr/bin/ffprobe' };
      const doctor = await vgrade(['doctor', '--json'], { env });
      expect(JSON.parse(doctor.stdout.toString()).ffmpeg.release).toMatch(/^5\./);
      expect(JSON.parse(doctor.stdout.toString()).cache).toMatch(/vgrade$/);
      const result = await vgrade(['grade', clip, '-o', out], { env });
      expect(result.code, result.stderr).toBe(0);
      expect(Number((await probe(out)).streams[0].nb_frames)).toBe(25);
    } finally {
      await cleanup();
    }
  });
});
