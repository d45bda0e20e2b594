import { chmod, mkdir, symlink, writeFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOnPath, resolveBinaries } from '../../src/ffmpeg/binaries.js';
import { UsageError } from '../../src/util/errors.js';
import { bundled, scratch } from './helpers.js';

describe('resolveBinaries', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  beforeAll(async () => {
    tmp = await scratch();
  });
  afterAll(() => tmp.remove());

  describe('VGRADE_FFMPEG', () => {
    it('naming a file that does not exist is an E_FFMPEG_MISSING usage error naming the variable and path', async () => {
      const missing = tmp.file('no-such-ffmpeg');
      const failure = resolveBinaries({ PATH: process.env.PATH, VGRADE_FFMPEG: missing });
      await expect(failure).rejects.toBeInstanceOf(UsageError);
      await expect(failure).rejects.toMatchObject({
        code: 'E_FFMPEG_MISSING',
        exitCode: 2,
        message: `VGRADE_FFMPEG is set to ${JSON.stringify(missing)}, which does not exist. Point VGRADE_FFMPEG at an executable file, or unset it to use the bundled binary.`,
      });
    });

    it('naming a file that is not executable is refused, not skipped', async () => {
      const plain = tmp.file('plain-file');
      await writeFile(plain, 'not a program');
      await chmod(plain, 0o644);
      await expect(resolveBinaries({ VGRADE_FFMPEG: plain })).rejects.toMatchObject({
        code: 'E_FFMPEG_MISSING',
        message: expect.stringContaining('which is not executable'),
      });
    });

    it('naming a directory is refused', async () => {
      await expect(resolveBinaries({ VGRADE_FFMPEG: tmp.dir })).rejects.toMatchObject({
        code: 'E_FFMPEG_MISSING',
        message: expect.stringContaining('which is not a regular file'),
      });
    });

    it('naming a real binary wins over the bundled one; ffprobe is then looked for beside it', async () => {
      const dir = tmp.file('custom');
      await mkdir(dir);
      await symlink(bundled.ffmpeg, `${dir}/ffmpeg`);
      await symlink(bundled.ffprobe, `${dir}/ffprobe`);
      await expect(resolveBinaries({ PATH: '', VGRADE_FFMPEG: `${dir}/ffmpeg` })).resolves.toEqual({
        ffmpeg: `${dir}/ffmpeg`,
        ffprobe: `${dir}/ffprobe`,
        source: 'env',
        probeSource: 'beside-ffmpeg',
      });
    });

    it('without an ffprobe beside it, ffprobe continues the usual order', async () => {
      const dir = tmp.file('ffmpeg-only');
      await mkdir(dir);
      await symlink(bundled.ffmpeg, `${dir}/ffmpeg`);
      await expect(resolveBinaries({ PATH: '', VGRADE_FFMPEG: `${dir}/ffmpeg` })).resolves.toEqual({
        ffmpeg: `${dir}/ffmpeg`,
        ffprobe: bundled.ffprobe,
        source: 'env',
        probeSource: '@ffprobe-installer',
      });
    });
  });

  describe('VGRADE_FFPROBE', () => {
    it('wins for ffprobe alone', async () => {
      const resolved = await resolveBinaries({ PATH: '', VGRADE_FFPROBE: bundled.ffprobe });
      expect(resolved).toMatchObject({
        ffprobe: bundled.ffprobe,
        probeSource: 'env',
        source: '@ffmpeg-installer',
      });
    });

    it('naming a missing file is an error naming VGRADE_FFPROBE', async () => {
      await expect(resolveBinaries({ VGRADE_FFPROBE: tmp.file('nope') })).rejects.toMatchObject({
        code: 'E_FFMPEG_MISSING',
        message: expect.stringMatching(/^VGRADE_FFPROBE is set to ".*nope", which does not exist\./),
      });
    });
  });

  describe('by default (no variables)', () => {
    it("prefers an ffmpeg on PATH (the distribution's, usually newer) and takes the ffprobe beside it", async () => {
      const dir = tmp.file('on-path');
      await mkdir(dir);
      await symlink(bundled.ffmpeg, `${dir}/ffmpeg`);
      await symlink(bundled.ffprobe, `${dir}/ffprobe`);
      await expect(resolveBinaries({ PATH: dir })).resolves.toEqual({
        ffmpeg: `${dir}/ffmpeg`,
        ffprobe: `${dir}/ffprobe`,
        source: 'PATH',
        probeSource: 'beside-ffmpeg',
      });
    });

    it("falls back to @ffmpeg-installer's and @ffprobe-installer's binaries when PATH has no ffmpeg (ffmpeg-static is not installed here)", async () => {
      await expect(resolveBinaries({ PATH: tmp.file('no-such-dir') })).resolves.toEqual({
        ffmpeg: bundled.ffmpeg,
        ffprobe: bundled.ffprobe,
        source: '@ffmpeg-installer',
        probeSource: '@ffprobe-installer',
      });
    });

    it('answers the same environment from its cache', () => {
      const env = { PATH: process.env.PATH };
      expect(resolveBinaries(env)).toBe(resolveBinaries({ ...env }));
    });
  });
});

describe('findOnPath', () => {
  let tmp: Awaited<ReturnType<typeof scratch>>;
  beforeAll(async () => {
    tmp = await scratch();
    await mkdir(tmp.file('a'));
    await mkdir(tmp.file('b'));
    await mkdir(tmp.file('c'));
    await mkdir(tmp.file('a/ffmpeg')); // a directory of that name is not a program
    await writeFile(tmp.file('b/ffmpeg'), '#!/bin/sh\n', { mode: 0o644 }); // nor is a file that cannot run
    await writeFile(tmp.file('c/ffmpeg'), '#!/bin/sh\n', { mode: 0o755 });
  });
  afterAll(() => tmp.remove());

  it('returns the first executable regular file along PATH', async () => {
    const PATH = ['', tmp.file('a'), tmp.file('b'), tmp.file('c')].join(':');
    await expect(findOnPath('ffmpeg', { PATH })).resolves.toBe(tmp.file('c/ffmpeg'));
  });

  it('returns undefined when no directory has one', async () => {
    await expect(findOnPath('ffmpeg', { PATH: tmp.file('a') })).resolves.toBeUndefined();
    await expect(findOnPath('ffmpeg', {})).resolves.toBeUndefined();
  });
});
