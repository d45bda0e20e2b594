import { chmod, readdir, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { binaries, ffmpeg, probe, tempDir } from '../helpers/media.js';
import { vgrade } from '../helpers/cli.js';
import { makeClip } from '../helpers/clips.js';

/** A log line on stderr, which may come before the one message: `vgrade: warning: ...`. */
const LOG_LINE = /^vgrade: (?:trace|debug|info|warning|error|fatal): /;

/**
 * Every bad input gives one clear message naming the file and the cause, a non-zero exit status,
 * and nothing under the output's name (no partial file either).
 */
describe('vgrade grade with bad input', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let clip: string;

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    clip = await makeClip(path.join(dir, 'clip.mkv'), {
      size: '320x180',
      fps: 25,
      audio: true,
      duration: 2,
      codec: 'libx264',
    });
  });
  afterAll(() => cleanup());

  const leftovers = async (): Promise<string[]> =>
    (await readdir(dir)).filter((f) => f.includes('vgrade-partial'));

  async function expectFailure(
    args: string[],
    status: number,
    message: RegExp,
    output?: string,
    env?: NodeJS.ProcessEnv,
  ) {
    const result = await vgrade(args, env ? { env } : {});
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(status);
    // One message, not a stack trace (log lines, `vgrade: warning: ...`, may come before it).
    expect(
      result.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('vgrade:') && !LOG_LINE.test(l)),
    ).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    if (output) expect(existsSync(output)).toBe(false);
    expect(await leftovers()).toEqual([]);
    return result;
  }

  it('a missing file', async () => {
    const out = path.join(dir, 'missing-out.mp4');
    await expectFailure(
      ['grade', path.join(dir, 'nope.mp4'), '-o', out],
      2,
      /Input file not found: .*nope\.mp4/,
      out,
    );
  });

  it('a file that is not video', async () => {
    const text = path.join(dir, 'notes.txt');
    await writeFile(text, 'these are not the frames you are looking for\n'.repeat(50));
    const out = path.join(dir, 'notes-out.mp4');
    await expectFailure(
      ['grade', text, '-o', out],
      1,
      /Cannot read .*notes\.txt as media: it is a text file/,
      out,
    );
    const garbage = path.join(dir, 'garbage.mp4');
    await writeFile(garbage, Buffer.alloc(4096, 7));
    await expectFailure(
      ['grade', garbage, '-o', out],
      1,
      /Cannot read .*garbage\.mp4 as media: .*Invalid data found/,
      out,
    );
  });

  it('a file with sound but no picture', async () => {
    const audio = path.join(dir, 'sound.m4a');
    await ffmpeg(['-f', 'lavfi', '-i', 'sine', '-t', '0.5', '-c:a', 'aac', audio]);
    const out = path.join(dir, 'sound-out.mp4');
    await expectFailure(['grade', audio, '-o', out], 1, /sound\.m4a has no video stream/, out);
  });

  it('a truncated file', async () => {
    const { readFile } = await import('node:fs/promises');
    const truncated = path.join(dir, 'truncated.mkv');
    const bytes = await readFile(clip);
    await writeFile(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const out = path.join(dir, 'truncated-out.mp4');
    await expectFailure(
      ['grade', truncated, '-o', out],
      1,
      /truncated\.mkv is damaged: .*(error|Read|Invalid)/i,
      out,
    );
  });

  it('a truncated mp4 (its index is missing)', async () => {
    const { readFile } = await import('node:fs/promises');
    const mp4 = path.join(dir, 'whole.mp4');
    await ffmpeg(['-i', clip, '-c', 'copy', mp4]);
    const truncated = path.join(dir, 'cut.mp4');
    await writeFile(truncated, (await readFile(mp4)).subarray(0, 20000));
    const out = path.join(dir, 'cut-out.mp4');
    await expectFailure(
      ['grade', truncated, '-o', out],
      1,
      /Cannot read .*cut\.mp4 as media: .*moov atom not found/,
      out,
    );
  });

  describe('corrupt input is exit 1 for every command, however the damage shows', () => {
    // Found by the probe (no index to read) or only while decoding (an index that points past the
    // end): the file exists and holds no readable footage, which is about the data, not about how
    // the command was asked (exit 2), as for ffmpeg itself.
    const files = { text: 'words.mp4', indexLast: 'half.mp4', faststart: 'half-faststart.mp4' };
    beforeAll(async () => {
      await writeFile(path.join(dir, files.text), 'a text file, named as if it were a video\n'.repeat(20));
      for (const [name, movflags] of [
        [files.indexLast, undefined],
        [files.faststart, '+faststart'],
      ] as const) {
        const whole = path.join(dir, `whole-${name}`);
        await makeClip(whole, {
          size: '160x90',
          fps: 25,
          duration: 2,
          codec: 'libx264',
          pixelFormat: 'yuv420p',
          movflags,
        });
        const bytes = await readFile(whole);
        await writeFile(path.join(dir, name), bytes.subarray(0, bytes.length >> 1));
      }
    });

    const commands = {
      grade: (input: string, out: string) => ['grade', input, '-o', out, '-p', 'classical'],
      detune: (input: string, out: string) => ['detune', input, '-o', out, '--detune', 'green-2'],
      classify: (input: string) => ['classify', input],
    };
    const cases = [
      ['a text file named .mp4', files.text, /^vgrade: Cannot read .*words\.mp4 as media: .*Invalid data/m],
      [
        'an mp4 cut in half before its index (moov)',
        files.indexLast,
        /^vgrade: Cannot read .*half\.mp4 as media: .*moov atom not found/m,
      ],
      [
        'a faststart mp4 cut in half (its index points past the end)',
        files.faststart,
        /^vgrade: .*half-faststart\.mp4 is damaged: .*partial file/m,
      ],
    ] as const;
    for (const command of ['grade', 'detune', 'classify'] as const) {
      it.each(cases)(`${command}: %s`, async (_, name, message) => {
        const out = path.join(dir, `${command}-${name}-out.mkv`);
        await expectFailure(commands[command](path.join(dir, name), out), 1, message, out);
      });
    }

    it.each(['grade', 'detune', 'classify'] as const)(
      '%s: warnings before the error are plain lines on a stderr that is not a terminal (a cron mail); --log-format json keeps JSON',
      async (command) => {
        const input = path.join(dir, files.faststart);
        const args = commands[command](input, path.join(dir, `${command}-logs-out.mkv`));
        const warning = /^vgrade: warning: decoding error concealed by ffmpeg \(line=".*\[error\] .*"\)$/;

        const text = (await expectFailure(args, 1, /half-faststart\.mp4 is damaged/)).stderr
          .trim()
          .split('\n');
        expect(text.length).toBeGreaterThan(1);
        for (const line of text.slice(0, -1)) expect(line).toMatch(warning);
        expect(text.at(-1)).toMatch(/^vgrade: .*half-faststart\.mp4 is damaged: /);

        const json = (await expectFailure([...args, '--log-format', 'json'], 1, /is damaged/)).stderr
          .trim()
          .split('\n');
        expect(json.slice(0, -1).map((line) => JSON.parse(line) as unknown)).toEqual(
          text.slice(0, -1).map(() =>
            expect.objectContaining({
              level: 40,
              msg: 'decoding error concealed by ffmpeg',
              line: expect.any(String),
            }),
          ),
        );
        expect(json.at(-1)).toBe(text.at(-1));
      },
    );
  });

  it('a video stream with zero frames', async () => {
    // A stream header and no frames (ffmpeg itself writes nothing at all for -frames:v 0).
    const empty = path.join(dir, 'empty.y4m');
    await writeFile(empty, 'YUV4MPEG2 W64 H36 F25:1 Ip A1:1 C420jpeg\n');
    const out = path.join(dir, 'empty-out.mkv');
    await expectFailure(['grade', empty, '-o', out], 1, /empty\.y4m has no video frames/, out);
  });

  it.each([
    [385, 289],
    [1919, 1079],
  ])('odd sizes grade whole: %ix%i', async (w, h) => {
    const odd = path.join(dir, `odd-${w}.mkv`);
    await makeClip(odd, {
      size: `${w}x${h}`,
      fps: 25,
      sourceFilter: 'format=yuv444p',
      duration: 0.2,
      codec: 'ffv1',
    });
    const out = path.join(dir, `odd-${w}-out.mp4`);
    const result = await vgrade(['grade', odd, '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    const stream = (await probe(out)).streams[0];
    expect([stream.width, stream.height, Number(stream.nb_frames)]).toEqual([w, h, 5]);
  });

  it('ffmpeg missing', async () => {
    const out = path.join(dir, 'noffmpeg-out.mp4');
    await expectFailure(['grade', clip, '-o', out], 2, /VGRADE_FFMPEG.*\/nowhere\/ffmpeg/, out, {
      VGRADE_FFMPEG: '/nowhere/ffmpeg',
    });
  });

  it('ffmpeg dying in the middle of the stream', async () => {
    const long = path.join(dir, 'long.mkv');
    await makeClip(long, { size: '640x360', fps: 25, duration: 20, codec: 'libx264', preset: 'ultrafast' });
    const real = await binaries();
    // A stand-in ffmpeg whose decoding run is killed 0.5 s after it starts.
    const wrapper = path.join(dir, 'dying-ffmpeg');
    await writeFile(
      wrapper,
      `#!/bin/sh\ncase "$*" in\n  *rawvideo*) "${real.ffmpeg}" "$@" & pid=$!; sleep 0.5; kill -9 $pid; wait $pid; exit 137;;\n  *) exec "${real.ffmpeg}" "$@";;\nesac\n`,
    );
    await chmod(wrapper, 0o755);
    const out = path.join(dir, 'dying-out.mp4');
    await expectFailure(
      ['grade', long, '-o', out],
      1,
      /ffmpeg \(decoding .*long\.mkv\) exited with code 137/,
      out,
      {
        VGRADE_FFMPEG: wrapper,
        VGRADE_FFPROBE: real.ffprobe,
      },
    );
  });

  it("ffmpeg's encoder failing while frames flow: its own last error lines reach the user", async () => {
    // Regression (fixed): an encoder that closed its LUT pipe and took longer than 2 s to exit was
    // reported as a bare "read ECONNRESET" / "write EPIPE", whatever ffmpeg had said.
    const real = await binaries();
    const wrapper = path.join(dir, 'failing-encoder');
    await writeFile(
      wrapper,
      `#!/bin/sh\ncase "$*" in\n  *pipe:3*) echo "[libx264 @ 0x1234] [error] Error setting preset/tune bogus/(null)." >&2; exec 3>&-; sleep 4; exit 1;;\n  *) exec "${real.ffmpeg}" "$@";;\nesac\n`,
    );
    await chmod(wrapper, 0o755);
    const out = path.join(dir, 'failing-encoder-out.mkv');
    await expectFailure(
      ['grade', clip, '-o', out, '--log-level', 'info'],
      1,
      /ffmpeg \(encoding .*failing-encoder-out\.mkv\).*: \[libx264 @ 0x1234\] \[error\] Error setting preset\/tune bogus/,
      out,
      { VGRADE_FFMPEG: wrapper, VGRADE_FFPROBE: real.ffprobe },
    );
  });

  it('encoder options are checked per encoder before any work: exit 2, house-shaped message', async () => {
    const out = path.join(dir, 'options-out.mkv');
    await expectFailure(
      ['grade', clip, '-o', out, '--preset', 'bogus'],
      2,
      /^vgrade: Expected one of ultrafast, superfast, veryfast, faster, fast, medium, slow, slower, veryslow, placebo for --preset with libx264 but received bogus$/m,
      out,
    );
    await expectFailure(
      ['grade', clip, '-o', out, '--crf', '99'],
      2,
      /^vgrade: Expected number between 0 and 51 for --crf with libx264 but received 99$/m,
      out,
    );
    await expectFailure(
      ['grade', clip, '-o', path.join(dir, 'options-out.webm'), '--crf', '64'],
      2,
      /^vgrade: Expected number between 0 and 63 for --crf with libvpx-vp9 but received 64$/m,
      path.join(dir, 'options-out.webm'),
    );
  });

  it('an output folder that does not exist', async () => {
    const out = path.join(dir, 'no-such-folder', 'out.mp4');
    await expectFailure(
      ['grade', clip, '-o', out],
      1,
      /Cannot write .*out\.mp4: the folder .*no-such-folder does not exist/,
      out,
    );
  });

  it('an output under a file', async () => {
    const out = path.join(clip, 'out.mp4');
    await expectFailure(
      ['grade', clip, '-o', out],
      1,
      /Cannot write .*clip\.mkv\/out\.mp4: .*not a folder/,
      out,
    );
  });

  it('a bad pipeline option names file, line, column, stage and option', async () => {
    const yaml = path.join(dir, 'bad.yaml');
    await writeFile(
      yaml,
      'stages:\n  - decode:\n  - downscale:\n      width: 0\n  - autobalance:\n  - merge:\n  - encode:\n',
    );
    const out = path.join(dir, 'bad-out.mp4');
    await expectFailure(
      ['grade', clip, '-o', out, '--pipeline', yaml],
      2,
      /Expected integer between 16 and 4096 for stages\[1\]\.downscale\.width \(bad\.yaml:4:14\) but received 0 of type number/,
      out,
    );
  });

  it('an unknown command-line option', async () => {
    const result = await vgrade(['grade', clip, '-o', path.join(dir, 'x.mp4'), '--frobnicate']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Unknown argument: frobnicate/);
  });

  it('an option that takes one value, given twice: a usage error naming the option, before any work', async () => {
    // Regression: `-o a -o b` reached the command as an array ("out.endsWith is not a function").
    const [a, b] = [path.join(dir, 'twice-a.mkv'), path.join(dir, 'twice-b.mkv')];
    for (const [args, option, values] of [
      [['grade', clip, '-o', a, '-o', b], 'output', `${a}, ${b}`],
      [['grade', clip, '-o', a, '--pipeline', 'classical', '-p', 'grade'], 'pipeline', 'classical, grade'],
      [['grade', clip, '-o', a, '--codec', 'libx264', '--codec', 'ffv1'], 'codec', 'libx264, ffv1'],
      [['grade', clip, '-o', a, '--crf', '20', '--crf', '22'], 'crf', '20, 22'],
      [['detune', clip, '-o', a, '-d', 'green-2', '--detune', 'blue-1'], 'detune', 'green-2, blue-1'],
      [['classify', clip, '-p', 'classify', '-p', 'classify'], 'pipeline', 'classify, classify'],
      [['--log-format', 'json', 'grade', clip, '-o', a, '--log-format', 'text'], 'log-format', 'json, text'],
    ] as const) {
      const result = await vgrade([...args]);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr.split('\n')[0]).toBe(
        `vgrade: Expected one value for --${option} but received 2: ${values}`,
      );
      expect(result.stderr).not.toMatch(/\n\s+at /);
      for (const out of [a, b]) expect(existsSync(out)).toBe(false);
    }
  });

  it("usage errors point to the command's own help", async () => {
    for (const args of [
      ['grade', clip, '-o', path.join(dir, 'x.mp4'), '--frobnicate'],
      ['grade', clip],
      ['--log-level', 'error', 'grade', clip, '-o', path.join(dir, 'x.mp4'), '-p', 'nosuch'],
      ['ingest', 'frobnicate'],
    ]) {
      const result = await vgrade(args);
      expect(result.code, args.join(' ')).toBe(2);
      const command = args.find((a) => a === 'grade' || a === 'ingest');
      expect(result.stderr.trim().split('\n').pop()).toBe(`Run "vgrade ${command} --help" for usage.`);
    }
  });

  it('a pipeline that is neither a file nor a shipped one: the shipped pipelines are listed', async () => {
    const out = path.join(dir, 'p-out.mp4');
    const result = await expectFailure(
      ['grade', clip, '-o', out, '-p', 'nosuch'],
      2,
      /No pipeline "nosuch": no such file, and not a shipped pipeline \(.*\bclassical\b.*\bgrade\b.*\)/,
      out,
    );
    expect(result.stderr).not.toMatch(/ENOENT/);
  });

  it('an mp4 on standard input with its index at the end: it cannot be streamed, and the message says what can', async () => {
    const mp4 = path.join(dir, 'index-last.mp4');
    // ffmpeg writes an mp4's index (moov) after the media unless told -movflags faststart.
    await ffmpeg(['-i', clip, '-an', '-c:v', 'libx264', '-preset', 'ultrafast', mp4]);
    const out = path.join(dir, 'stdin-out.mp4');
    const result = await vgrade(['grade', '-', '-o', out, '-p', 'classical'], { stdin: await readFile(mp4) });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^vgrade: Standard input is an MP4 with its index \(moov\) at the end/);
    for (const remedy of ['-f nut', '-f matroska', '-movflags faststart'])
      expect(result.stderr).toContain(remedy);
    expect(result.stderr).not.toMatch(/damaged|partial file/);
    expect(existsSync(out)).toBe(false);
  });

  it('Ctrl-C stops cleanly, removes the partial output and exits 130', async () => {
    const long = path.join(dir, 'long-sigint.mkv');
    await makeClip(long, { size: '640x360', fps: 25, duration: 30, codec: 'libx264', preset: 'ultrafast' });
    const out = path.join(dir, 'sigint-out.mp4');
    let sent = false;
    const result = await vgrade(['grade', long, '-o', out, '--progress', 'json'], {
      onStderr: (text, child) => {
        if (!sent && text.includes('"type":"progress"') && /"frames":([1-9]\d*)/.test(text)) {
          sent = true;
          child.kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(result.code).toBe(130);
    expect(result.stderr).toMatch(/interrupted while grading .*long-sigint\.mkv; partial output removed/);
    expect(existsSync(out)).toBe(false);
    expect(await leftovers()).toEqual([]);
  });
});
