import { chmod, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, tempDir } from '../helpers/media.js';
import { vgrade } from '../helpers/cli.js';

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
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=96x64:rate=5', '-frames:v', '3', sequence]);
    still = path.join(dir, 'still.png');
    await ffmpeg(['-f', 'lavfi', '-i', 'testsrc2=size=96x64', '-frames:v', '1', still]);
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
