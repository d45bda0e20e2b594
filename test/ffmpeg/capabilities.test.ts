import { execFile } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  getCapabilities,
  getProbeVersion,
  hasOption,
  parseFilters,
  parseMuxers,
  parseVersionOutput,
} from '../../src/ffmpeg/capabilities.js';
import { spawnFfmpeg } from '../../src/ffmpeg/spawn.js';
import { builds } from './helpers.js';
import { packageRoot } from '../../src/util/packageRoot.js';

/** -fps_mode arrived in ffmpeg 5.1; the code detects it, the test cross-checks with the version. */
const hasFpsMode = (v: { major: number; minor: number }): boolean =>
  v.major > 5 || (v.major === 5 && v.minor >= 1);

describe.each(builds)('getCapabilities on the $name ffmpeg', (build) => {
  it('reads the version, from the banner or guessed from libavutil', async () => {
    const caps = await getCapabilities(build.ffmpeg);
    expect(caps.path).toBe(build.ffmpeg);
    expect(caps.libraries.libavutil?.major).toBeGreaterThanOrEqual(56);
    if (build.name === 'bundled') {
      // @ffmpeg-installer ships a git snapshot ("N-47683-g0e8eb07980-static") with libavutil 56.24: after 4.1.
      expect(caps).toMatchObject({
        version: 'N-47683-g0e8eb07980-static',
        major: 4,
        minor: 1,
        versionGuessed: true,
      });
    } else {
      const [, major, minor] = /^n?(\d+)\.(\d+)/.exec(caps.version) ?? [];
      expect(caps).toMatchObject({ major: Number(major), minor: Number(minor), versionGuessed: false });
    }
  });

  it('lists the encoders, filters, muxers and pixel formats vgrade relies on', async () => {
    const caps = await getCapabilities(build.ffmpeg);
    for (const encoder of ['libx264', 'png', 'ffv1', 'rawvideo']) expect(caps.encoders).toContain(encoder);
    for (const filter of ['haldclut', 'lut3d', 'showinfo', 'scale', 'testsrc2'])
      expect(caps.filters).toContain(filter);
    for (const muxer of ['nut', 'matroska', 'yuv4mpegpipe', 'rawvideo', 'null', 'ssegment'])
      expect(caps.muxers).toContain(muxer);
    expect(caps.pixFmts.get('rgb24')).toEqual({ input: true, output: true, components: 3, bitsPerPixel: 24 });
    expect(caps.pixFmts.get('rgb48le')).toMatchObject({ components: 3, bitsPerPixel: 48 });
    expect(caps.encoders).not.toContain('no_such_encoder');
  });

  it('detects whether -fps_mode exists (5.1 and later) and falls back to -vsync', async () => {
    const caps = await getCapabilities(build.ffmpeg);
    expect(caps.passthroughArgs).toEqual(
      hasFpsMode(caps) ? ['-fps_mode', 'passthrough'] : ['-vsync', 'passthrough'],
    );
  });

  it('gives passthrough args that this binary accepts: a 3-frame lavfi encode passes every frame', async () => {
    const caps = await getCapabilities(build.ffmpeg);
    const seen: number[] = [];
    const args = ['-hide_banner', '-f', 'lavfi', '-i', 'testsrc2=size=64x48:rate=25', '-vf', 'showinfo'];
    const proc = spawnFfmpeg(
      build.ffmpeg,
      [...args, '-frames:v', '3', ...caps.passthroughArgs, '-f', 'null', '-'],
      {
        label: 'passthrough',
        onStderrLine: (line) => {
          const n = /\] n:\s*(\d+)/.exec(line)?.[1];
          if (n !== undefined) seen.push(Number(n));
        },
      },
    );
    await proc.exited;
    expect(seen).toEqual([0, 1, 2]);
  });

  it('answers a second call from its cache', () => {
    expect(getCapabilities(build.ffmpeg)).toBe(getCapabilities(build.ffmpeg));
  });

  it('reads the version of the matching ffprobe', async () => {
    const version = await getProbeVersion(build.ffprobe);
    expect(version.path).toBe(build.ffprobe);
    expect(version.major).toBeGreaterThanOrEqual(5);
    expect(version.libraries.libavformat).toBeDefined();
  });
});

describe('the spelling matters', () => {
  it('ffmpeg 4.1 refuses -fps_mode, which is why it is detected rather than assumed', async () => {
    const old = builds.find((b) => b.name === 'bundled')!;
    const proc = spawnFfmpeg(
      old.ffmpeg,
      ['-f', 'lavfi', '-i', 'color', '-fps_mode', 'passthrough', '-f', 'null', '-'],
      {
        label: 'fps_mode on 4.1',
      },
    );
    await expect(proc.exited).rejects.toThrow(/Unrecognized option 'fps_mode'/);
  });
});

describe('parseVersionOutput', () => {
  it('reads a release version from the banner', () => {
    const text =
      'ffmpeg version 5.1.6-0+deb12u1 Copyright (c) 2000-2024 the FFmpeg developers\nlibavutil      57. 28.100 / 57. 28.100\n';
    expect(parseVersionOutput(text)).toEqual({
      version: '5.1.6-0+deb12u1',
      major: 5,
      minor: 1,
      versionGuessed: false,
      libraries: { libavutil: { major: 57, minor: 28, micro: 100 } },
    });
    expect(parseVersionOutput('ffmpeg version n7.0.2 Copyright')).toMatchObject({ major: 7, minor: 0 });
    expect(parseVersionOutput('ffmpeg version 4.1 Copyright')).toMatchObject({ major: 4, minor: 1 });
  });

  it('guesses the release of a git snapshot from libavutil: the newest release it contains', () => {
    const snapshot = (avutil: string): string =>
      `ffmpeg version N-47683-g0e8eb07980-static https://johnvansickle.com/ffmpeg/\nlibavutil      ${avutil} / ${avutil}\n`;
    expect(parseVersionOutput(snapshot('56. 24.101'))).toMatchObject({
      version: 'N-47683-g0e8eb07980-static',
      major: 4,
      minor: 1,
      versionGuessed: true,
    });
    expect(parseVersionOutput(snapshot('56. 22.100'))).toMatchObject({ major: 4, minor: 1 });
    expect(parseVersionOutput(snapshot('57. 17.100'))).toMatchObject({ major: 5, minor: 0 });
    expect(parseVersionOutput(snapshot('58. 14.100'))).toMatchObject({ major: 6, minor: 0 });
    expect(parseVersionOutput(snapshot('59. 39.100'))).toMatchObject({ major: 7, minor: 1 });
    expect(parseVersionOutput('ffmpeg version weird')).toMatchObject({
      version: 'weird',
      major: 0,
      minor: 0,
    });
  });
});

describe('listing parsers', () => {
  it('parseMuxers reads aliases and names that run into their description', () => {
    const text =
      'File formats:\n D. = Demuxing supported\n .E = Muxing supported\n --\n  E matroska        Matroska\n  E mkvtimestamp_v2 extract pts as timecode\n  E stream_segment,ssegment streaming segment muxer\n D  mpegts          MPEG-TS (MPEG-2 Transport Stream)\n';
    expect([...parseMuxers(text)]).toEqual(['matroska', 'mkvtimestamp_v2', 'stream_segment', 'ssegment']);
  });

  it('parseFilters reads filter rows and skips the legend', () => {
    const text =
      'Filters:\n  T.. = Timeline support\n  | = Source or sink filter\n TS. haldclut          VV->V      Adjust colors using a Hald CLUT.\n ... testsrc2          |->V       Generate another test pattern.\n';
    expect([...parseFilters(text)]).toEqual(['haldclut', 'testsrc2']);
  });

  it('hasOption finds an option row in -h full output', () => {
    const help =
      '-vsync              set video sync method globally; deprecated, use -fps_mode\n-fps_mode           set framerate mode\n';
    expect(hasOption(help, 'fps_mode')).toBe(true);
    expect(hasOption('-vsync              video sync method\n', 'fps_mode')).toBe(false);
  });
});

describe('the capabilities cache on disk', () => {
  /** Asks for a binary's capabilities in a fresh Node process (an empty in-memory cache). */
  async function askInNewProcess(
    binary: string,
    cacheDir: string,
  ): Promise<{ fpsMode: string; floatHaldclut: boolean }> {
    const module = path.join(packageRoot(), 'dist', 'src', 'ffmpeg', 'capabilities.js');
    const script = `
      import { getCapabilities } from ${JSON.stringify(module)};
      const caps = await getCapabilities(${JSON.stringify(binary)});
      console.log(JSON.stringify({ fpsMode: caps.passthroughArgs[0], floatHaldclut: caps.floatHaldclut }));
    `;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      env: { ...process.env, VGRADE_CACHE_DIR: cacheDir },
      timeout: 30_000, // a hang is a failure, not a process left spinning
    });
    return JSON.parse(stdout) as { fpsMode: string; floatHaldclut: boolean };
  }

  it('asks a binary once across runs, and again once the binary is replaced', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-caps-'));
    try {
      // A wrapper that logs each start, then runs the real binary.
      const log = path.join(dir, 'starts.log');
      const wrapper = path.join(dir, 'ffmpeg');
      await writeFile(
        wrapper,
        `#!/bin/sh\necho start >> ${JSON.stringify(log)}\nexec ${JSON.stringify(builds.at(-1)!.ffmpeg)} "$@"\n`,
      );
      await chmod(wrapper, 0o755);
      const starts = async (): Promise<number> =>
        (await readFile(log, 'utf8').catch(() => '')).split('\n').filter(Boolean).length;
      const cache = path.join(dir, 'cache');

      const first = await askInNewProcess(wrapper, cache);
      const asked = await starts();
      expect(asked).toBeGreaterThanOrEqual(6);
      expect(await askInNewProcess(wrapper, cache)).toEqual(first);
      expect(await starts()).toBe(asked); // answered from the cache: no ffmpeg started

      await utimes(wrapper, new Date(), new Date(Date.now() + 5000)); // "replaced": a new modification time
      expect(await askInNewProcess(wrapper, cache)).toEqual(first);
      expect(await starts()).toBe(2 * asked);
    } finally {
      await rm(dir, { recursive: true, force: true, maxRetries: 10 });
    }
  });

  it('goes on without the cache when it cannot be written', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-caps-'));
    try {
      const file = path.join(dir, 'a-file');
      await writeFile(file, '');
      const caps = await askInNewProcess(builds[0]!.ffmpeg, path.join(file, 'vgrade')); // ENOTDIR
      expect(caps.fpsMode).toMatch(/^-(fps_mode|vsync)$/);
      // Node's recursive mkdir never settles for this one: the folders are made a level at a time.
      expect(await askInNewProcess(builds[0]!.ffmpeg, '/proc/no-such-dir/vgrade')).toEqual(caps);
    } finally {
      await rm(dir, { recursive: true, force: true, maxRetries: 10 });
    }
  });
});
