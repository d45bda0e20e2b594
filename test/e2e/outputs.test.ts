import { chmod, mkdir, readdir, readFile, stat, utimes, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, probe, tempDir } from '../helpers/media.js';
import { writePgs } from '../helpers/pgs.js';
import { vgrade } from '../helpers/cli.js';
import { makeClip } from '../helpers/clips.js';

const isRoot = process.getuid?.() === 0;

/** Where vgrade writes, what it says when it cannot, and what it says when it is done. */
describe('vgrade grade outputs', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let still: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('vgrade-outputs-'));
    await mkdir(path.join(dir, 'seq'));
    const sequence = path.join(dir, 'seq', '%05d.png');
    await makeClip(sequence, { size: '96x64', fps: 5, frames: 3 });
    still = await makeClip(path.join(dir, 'still.png'), { size: '96x64', frames: 1 });
  });
  afterAll(() => cleanup());

  const grade = (args: string[]) => vgrade(['grade', ...args, '-p', 'classical'], { cwd: dir });

  describe('creates the folder it is asked to fill', () => {
    it("an image sequence's: -o 'seqout/%05d.png'", async () => {
      const result = await grade(['seq/%05d.png', '-o', 'seqout/%05d.png']);
      expect(result.code, result.stderr).toBe(0);
      expect((await readdir(path.join(dir, 'seqout'))).sort()).toEqual([
        '00001.png',
        '00002.png',
        '00003.png',
      ]);
    });

    it('a folder named with a trailing slash: -o graded/', async () => {
      const result = await grade(['still.png', '-o', 'graded/']);
      expect(result.code, result.stderr).toBe(0);
      expect(await readdir(path.join(dir, 'graded'))).toEqual(['still.png']);
    });
  });

  describe('an output that cannot be written: one line naming it and the cause', () => {
    const expectOneLine = (stderr: string, line: string): void => {
      expect(stderr).toBe(`vgrade: ${line}\n`);
      expect(stderr).not.toMatch(/E[A-Z]{3,}|vgrade-partial/);
    };

    it('under a path through a regular file', async () => {
      await writeFile(path.join(dir, 'afile'), 'not a folder\n');
      const result = await grade(['still.png', '-o', 'afile/sub/out.png']);
      expect(result.code).toBe(1);
      expectOneLine(result.stderr, 'Cannot write afile/sub/out.png: not a directory');
    });

    it("an image sequence's folder under a regular file", async () => {
      await writeFile(path.join(dir, 'afile'), 'not a folder\n');
      const result = await grade(['seq/%05d.png', '-o', 'afile/seq/%05d.png']);
      expect(result.code).toBe(1);
      expectOneLine(result.stderr, 'Cannot create the folder afile/seq: not a directory');
    });

    // root writes into a read-only folder all the same (the message itself: test/util/errors.test.ts)
    it.skipIf(isRoot)('in a read-only folder', async () => {
      await mkdir(path.join(dir, 'ro'));
      await chmod(path.join(dir, 'ro'), 0o555);
      const result = await grade(['still.png', '-o', 'ro/out2.png']);
      expect(result.code).toBe(1);
      expectOneLine(result.stderr, 'Cannot write ro/out2.png: permission denied');
      expect(await readdir(path.join(dir, 'ro'))).toEqual([]);
    });
  });

  describe('an output already there: -y overwrites it, -n skips it, neither refuses (as ffmpeg)', () => {
    const old = Buffer.from('not graded yet\n');
    const past = new Date('2020-01-02T03:04:05Z');
    /** A file at `name` with known bytes and time, to tell whether anything touched it. */
    async function placeholder(name: string): Promise<void> {
      await mkdir(path.dirname(path.join(dir, name)), { recursive: true });
      await writeFile(path.join(dir, name), old);
      await utimes(path.join(dir, name), past, past);
    }
    async function expectUntouched(name: string): Promise<void> {
      expect(await readFile(path.join(dir, name))).toEqual(old);
      expect((await stat(path.join(dir, name))).mtimeMs).toBe(past.getTime());
    }
    const leftovers = async (sub = '.'): Promise<string[]> =>
      (await readdir(path.join(dir, sub))).filter((f) => f.includes('vgrade-partial'));

    it('neither: refused before any work, exit 2, one line naming it and both ways out; untouched', async () => {
      await placeholder('kept.png');
      const result = await grade(['still.png', '-o', 'kept.png']);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe('vgrade: kept.png already exists; -y overwrites it, -n skips it\n');
      await expectUntouched('kept.png');
      expect(await leftovers()).toEqual([]);
    });

    it('-y: overwritten with the graded still', async () => {
      await placeholder('replaced.png');
      const result = await grade(['-y', 'still.png', '-o', 'replaced.png']);
      expect(result.code, result.stderr).toBe(0);
      const bytes = await readFile(path.join(dir, 'replaced.png'));
      expect(bytes.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(result.stderr).toMatch(/^still\.png -> replaced\.png \(1 frame, /m);
    });

    it('-n: the input skipped and said so on stderr, exit 0; untouched', async () => {
      await placeholder('skipped.png');
      const result = await grade(['still.png', '-o', 'skipped.png', '-n']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toBe('skipped still.png: skipped.png already exists (-n)\n');
      await expectUntouched('skipped.png');
    });

    it('-y and -n together: a usage error', async () => {
      const result = await grade(['still.png', '-o', 'kept.png', '-y', '-n']);
      expect(result.code).toBe(2);
      expect(result.stderr).toMatch(
        /^vgrade: -y \(overwrite\) and -n \(skip existing outputs\) cannot both be given$/m,
      );
      await expectUntouched('kept.png');
    });

    describe('a batch into a folder where one output is there', () => {
      it('neither: the whole batch refused before its first job, nothing written', async () => {
        await placeholder('batch/still-b.png');
        await writeFile(path.join(dir, 'still-b.png'), await readFile(still));
        const result = await grade(['still.png', 'still-b.png', '-o', 'batch/']);
        expect(result.code).toBe(2);
        expect(result.stderr).toBe(
          'vgrade: batch/still-b.png already exists; -y overwrites it, -n skips it\n',
        );
        expect(await readdir(path.join(dir, 'batch'))).toEqual(['still-b.png']);
        await expectUntouched('batch/still-b.png');
      });

      it('-n: that input skipped and said, the others graded, exit 0', async () => {
        const result = await grade(['still.png', 'still-b.png', '-o', 'batch/', '-n']);
        expect(result.code, result.stderr).toBe(0);
        expect(result.stderr).toMatch(/^skipped still-b\.png: batch\/still-b\.png already exists \(-n\)$/m);
        expect(result.stderr).toMatch(/^still\.png -> batch\/still\.png \(1 frame, /m);
        expect((await readdir(path.join(dir, 'batch'))).sort()).toEqual(['still-b.png', 'still.png']);
        await expectUntouched('batch/still-b.png');
        expect(await leftovers('batch')).toEqual([]);
      });

      it('-n with --progress json: a "skipped" record for machines', async () => {
        const result = await grade(['still.png', 'still-b.png', '-o', 'batch/', '-n', '--progress', 'json']);
        expect(result.code, result.stderr).toBe(0);
        const records = result.stderr
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        expect(records.filter((r) => r['type'] === 'skipped')).toEqual([
          { type: 'skipped', input: 'still.png', output: 'batch/still.png', existing: 'batch/still.png' },
          {
            type: 'skipped',
            input: 'still-b.png',
            output: 'batch/still-b.png',
            existing: 'batch/still-b.png',
          },
        ]);
      });
    });

    it('an image sequence is there when any file in its folder matches its pattern', async () => {
      await placeholder('seqthere/00003.png');
      const result = await grade(['seq/%05d.png', '-o', 'seqthere/%05d.png']);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(
        'vgrade: seqthere/00003.png already exists; -y overwrites it, -n skips it\n',
      );
      expect(await readdir(path.join(dir, 'seqthere'))).toEqual(['00003.png']);
    });

    it('--export: a correction already exported for that input counts as an output too', async () => {
      await placeholder('looks/still.ccc');
      const result = await grade(['still.png', '-o', 'new.png', '--export', 'looks']);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe('vgrade: looks/still.ccc already exists; -y overwrites it, -n skips it\n');
      expect(await readdir(dir)).not.toContain('new.png');
      await expectUntouched('looks/still.ccc');
    });

    it('standard output is never there already, even beside a file named "-"', async () => {
      await placeholder('-');
      const result = await grade(['still.png', '-o', '-', '-f', 'nut']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout.subarray(0, 8).toString()).toBe('nut/mult');
      await expectUntouched('-');
    });

    it("detune and the preview's recording refuse the same way", async () => {
      await placeholder('kept.mkv');
      const detune = await vgrade(['detune', 'still.png', '-o', 'kept.png', '--detune', 'green-1'], {
        cwd: dir,
      });
      expect(detune.code).toBe(2);
      expect(detune.stderr).toBe('vgrade: kept.png already exists; -y overwrites it, -n skips it\n');
      const preview = await vgrade(['preview', '--input', 'lavfi:testsrc2', '-o', 'kept.mkv'], { cwd: dir });
      expect(preview.code).toBe(2);
      expect(preview.stderr).toBe('vgrade: kept.mkv already exists; -y overwrites it\n');
      await expectUntouched('kept.png');
      await expectUntouched('kept.mkv');
    });
  });

  describe('what a container cannot hold as it is: audio encoded for it, subtitles converted or left out by name; every picture arrives', () => {
    beforeAll(async () => {
      const clip = { size: '96x64', fps: 25, duration: 0.8, pixelFormat: 'yuv420p' } as const;
      // H.264 with AAC at 44.1 kHz, as phones and cameras write it.
      await makeClip(path.join(dir, 'phone.mp4'), { ...clip, audio: { sampleRate: 44100 } });
      // A master with 24-bit PCM at 48 kHz.
      await makeClip(path.join(dir, 'master.mov'), {
        ...clip,
        audio: { sampleRate: 48000 },
        audioCodec: 'pcm_s24le',
      });
    });

    it.each([
      ['phone.mp4', 'phone.mxf', ['h264', 'pcm_s24le'], '48000'],
      ['phone.mp4', 'phone.mpg', ['h264', 'mp2'], '44100'],
      ['phone.mp4', 'phone.vob', ['h264', 'ac3'], '44100'],
      ['phone.mp4', 'phone.ogv', ['theora', 'vorbis'], '44100'],
      ['master.mov', 'master.mp4', ['h264', 'aac'], '48000'],
      ['master.mov', 'master.ts', ['h264', 'aac'], '48000'],
    ])('%s -> %s: %j', async (source, name, codecs, rate) => {
      const result = await grade([source, '-o', name]);
      expect(result.code, result.stderr).toBe(0);
      const info = await probe(path.join(dir, name), ['-count_frames']);
      expect(info.streams.map((s: { codec_name: string }) => s.codec_name)).toEqual(codecs);
      expect(info.streams[0].nb_read_frames).toBe('20');
      expect(info.streams[1].sample_rate).toBe(rate);
    });

    it("MP4 takes a film's text subtitles and leaves its Blu-ray (bitmap) ones out, saying so; Matroska keeps both", async () => {
      await writePgs(path.join(dir, 'captions.sup'), 96, 64);
      await writeFile(path.join(dir, 'captions.srt'), '1\n00:00:00,100 --> 00:00:00,600\nHello\n');
      const film = path.join(dir, 'film.mkv');
      await ffmpeg([
        ...['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=25:duration=0.8'],
        ...['-i', path.join(dir, 'captions.sup'), '-i', path.join(dir, 'captions.srt')],
        ...['-map', '0', '-map', '1', '-map', '2', '-c:v', 'libx264', '-c:s', 'copy', film],
      ]);
      const mp4 = await grade(['film.mkv', '-o', 'film.mp4']);
      expect(mp4.code, mp4.stderr).toBe(0);
      expect(mp4.stderr).toMatch(
        /subtitles the output's container cannot hold are left out.*#0 hdmv_pgs_subtitle/,
      );
      const codecs = async (name: string) =>
        (await probe(path.join(dir, name))).streams.map((s: { codec_name: string }) => s.codec_name);
      expect(await codecs('film.mp4')).toEqual(['h264', 'mov_text']);
      const mkv = await grade(['film.mkv', '-o', 'film-graded.mkv']);
      expect(mkv.code, mkv.stderr).toBe(0);
      expect(await codecs('film-graded.mkv')).toEqual(['h264', 'hdmv_pgs_subtitle', 'subrip']);
    });

    it('y4m: the pictures as they are', async () => {
      const result = await grade(['phone.mp4', '-o', 'phone.y4m']);
      expect(result.code, result.stderr).toBe(0);
      const info = await probe(path.join(dir, 'phone.y4m'), ['-count_frames']);
      expect(info.streams.map((s: { codec_name: string }) => s.codec_name)).toEqual(['rawvideo']);
      expect(info.streams[0].nb_read_frames).toBe('20');
    });
  });

  it('when done: the wall time the user waited, start-up included, and "1 frame"', async () => {
    const started = performance.now();
    const result = await grade(['still.png', '-o', 'done.png']);
    const waited = (performance.now() - started) / 1000;
    expect(result.code, result.stderr).toBe(0);
    const done = /^still\.png -> done\.png \(1 frame, (\d+\.\d) s\)$/m.exec(result.stderr);
    expect(done, result.stderr).not.toBeNull();
    const printed = Number(done![1]);
    // Printed to a tenth; what it cannot see: Node's own start before its clock, and the exit.
    expect(printed).toBeLessThanOrEqual(waited + 0.05);
    expect(printed).toBeGreaterThanOrEqual(waited - 0.3);
  });
});
