import { chmod, writeFile } from 'node:fs/promises';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FfmpegExitError, runFfmpeg, spawnFfmpeg } from '../../src/ffmpeg/spawn.js';
import { RuntimeFailure, UsageError } from '../../src/util/errors.js';
import { bundled, scratch } from './helpers.js';

const ffmpeg = bundled.ffmpeg;
/** A lavfi source that never ends, for runs that must be stopped. */
const endless = [
  '-hide_banner',
  '-nostdin',
  '-re',
  '-f',
  'lavfi',
  '-i',
  'testsrc2=size=64x48:rate=25',
  '-f',
  'null',
  '-',
];

describe('spawnFfmpeg', () => {
  it('resolves `exited` when ffmpeg exits with status 0', async () => {
    const proc = spawnFfmpeg(
      ffmpeg,
      ['-hide_banner', '-f', 'lavfi', '-i', 'color=s=16x16', '-frames:v', '2', '-f', 'null', '-'],
      {
        label: 'two frames',
      },
    );
    await expect(proc.exited).resolves.toBeUndefined();
    expect(proc.killedByUs).toBe(false);
    expect(proc.stderrTail()).toContain('Output #0, null');
  });

  it('rejects with E_FFMPEG, the exit code and the reason ffmpeg gave', async () => {
    const proc = spawnFfmpeg(ffmpeg, ['-hide_banner', '-i', '/nonexistent/in.mp4', '-f', 'null', '-'], {
      label: 'decode',
    });
    const err = await proc.exited.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(FfmpegExitError);
    expect(err).toBeInstanceOf(RuntimeFailure);
    expect(err).toMatchObject({
      code: 'E_FFMPEG',
      status: 1,
      signal: null,
      message: 'ffmpeg (decode) exited with code 1: /nonexistent/in.mp4: No such file or directory',
    });
    // The stack points at the code that started ffmpeg, not at Node's child_process internals.
    expect((err as Error).stack).toContain('spawn.test.ts');
  });

  it('names the program ffprobe when the binary is ffprobe', async () => {
    const proc = spawnFfmpeg(bundled.ffprobe, ['-v', 'error', '/nonexistent/in.mp4'], { label: 'probe' });
    await expect(proc.exited).rejects.toThrow(
      /^ffprobe \(probe\) exited with code 1: \/nonexistent\/in\.mp4: No such file or directory$/,
    );
  });

  it('rejects with E_FFMPEG_MISSING naming the path when the binary does not exist', async () => {
    const proc = spawnFfmpeg('/nonexistent/bin/ffmpeg', ['-version'], { label: 'version' });
    await expect(proc.exited).rejects.toBeInstanceOf(UsageError);
    await expect(proc.exited).rejects.toMatchObject({
      code: 'E_FFMPEG_MISSING',
      message: expect.stringMatching(
        /^Cannot run ffmpeg at \/nonexistent\/bin\/ffmpeg \(ENOENT\): no such file\./,
      ),
    });
  });

  describe('with a file that is not executable', () => {
    let tmp: Awaited<ReturnType<typeof scratch>>;
    beforeAll(async () => {
      tmp = await scratch();
    });
    afterAll(() => tmp.remove());

    it('rejects with E_FFMPEG_MISSING (EACCES)', async () => {
      const file = tmp.file('ffmpeg');
      await writeFile(file, 'not a program');
      await chmod(file, 0o644);
      await expect(spawnFfmpeg(file, [], { label: 'x' }).exited).rejects.toMatchObject({
        code: 'E_FFMPEG_MISSING',
        message: expect.stringContaining(`Cannot run ffmpeg at ${file} (EACCES)`),
      });
    });
  });

  it('resolves after kill(): we asked it to stop', async () => {
    const proc = spawnFfmpeg(ffmpeg, endless, { label: 'endless' });
    await new Promise((r) => setTimeout(r, 150));
    proc.kill();
    await expect(proc.exited).resolves.toBeUndefined();
    expect(proc.killedByUs).toBe(true);
  });

  it('rejects when a signal it was not sent by us kills it', async () => {
    const proc = spawnFfmpeg(ffmpeg, endless, { label: 'endless' });
    await new Promise((r) => setTimeout(r, 150));
    proc.child.kill('SIGKILL');
    await expect(proc.exited).rejects.toMatchObject({ code: 'E_FFMPEG', signal: 'SIGKILL', status: null });
    await expect(proc.exited).rejects.toThrow(/^ffmpeg \(endless\) was killed by SIGKILL/);
    expect(proc.killedByUs).toBe(false);
  });

  it('hands every stderr line to onStderrLine while keeping only an 8 KB tail', async () => {
    const frames: number[] = [];
    const proc = spawnFfmpeg(
      ffmpeg,
      [
        '-hide_banner',
        '-f',
        'lavfi',
        '-i',
        'color=s=16x16:r=100',
        '-vf',
        'showinfo',
        '-frames:v',
        '400',
        '-f',
        'null',
        '-',
      ],
      {
        label: 'showinfo',
        onStderrLine: (line) => {
          const m = /\] n:\s*(\d+) pts:/.exec(line);
          if (m) frames.push(Number(m[1]));
        },
      },
    );
    await proc.exited;
    expect(frames).toEqual(Array.from({ length: 400 }, (_, i) => i)); // in order, none lost or split
    expect(proc.stderrTail().length).toBe(8192); // the whole log is far larger
  });

  it('does not crash the process when ffmpeg exits while we still write to its stdin', async () => {
    // ffmpeg refuses the command line and exits without reading stdin. Whether our pending write
    // fails with EPIPE or Node destroys stdin first is a race; either way the process lives on and
    // the exit status says what went wrong.
    const proc = spawnFfmpeg(ffmpeg, ['-hide_banner', '-f', 'nut', '-i', 'pipe:0', '-no_such_option', '-'], {
      label: 'bad stdin',
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    const write = (): void => {
      if (proc.child.stdin?.writable)
        proc.child.stdin.write(Buffer.alloc(64 * 1024), () => setImmediate(write));
    };
    write();
    await expect(proc.exited).rejects.toMatchObject({ code: 'E_FFMPEG', status: 1 });
    await expect(proc.exited).rejects.toThrow(/Unrecognized option 'no_such_option'/);
  });

  it("logs an error on ffmpeg's stdin instead of throwing it", async () => {
    const records: { msg: string; err?: { code?: string } }[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => records.push(JSON.parse(line)) });
    const proc = spawnFfmpeg(ffmpeg, ['-hide_banner', '-f', 'nut', '-i', 'pipe:0', '-f', 'null', '-'], {
      label: 'stdin error',
      stdio: ['pipe', 'ignore', 'pipe'],
      logger,
    });
    // With no 'error' listener this emit would throw out of the test.
    proc.child.stdin?.emit('error', Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
    proc.child.stdin?.end();
    await proc.exited.catch(() => undefined);
    expect(records).toContainEqual(
      expect.objectContaining({
        msg: 'ffmpeg stdin closed',
        err: expect.objectContaining({ code: 'EPIPE' }),
      }),
    );
  });
});

describe('runFfmpeg', () => {
  it("returns the child's stdout", async () => {
    const { stdout } = await runFfmpeg(ffmpeg, ['-hide_banner', '-version'], { label: 'version' });
    expect(stdout).toMatch(/^ffmpeg version /);
  });

  it('kills a child whose output exceeds the limit and says so', async () => {
    const args = ['-hide_banner', '-f', 'lavfi', '-i', 'color=s=64x64', '-f', 'rawvideo', 'pipe:1'];
    await expect(runFfmpeg(ffmpeg, args, { label: 'flood', maxStdoutBytes: 100_000 })).rejects.toMatchObject({
      code: 'E_FFMPEG',
      message: 'ffmpeg (flood) wrote more than 100000 bytes to stdout',
    });
  });
});
