/**
 * What the ffmpeg tests share: the ffmpeg builds present on this machine and a scratch folder.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import ffmpegInstaller from '@ffmpeg-installer/ffmpeg';
import ffprobeInstaller from '@ffprobe-installer/ffprobe';
import { runFfmpeg } from '../../src/ffmpeg/spawn.js';

/** One ffmpeg build with its ffprobe. */
export interface Build {
  name: string;
  ffmpeg: string;
  ffprobe: string;
}

/** The binaries inside the npm packages (ffmpeg 4.1 git snapshot, ffprobe 6.x git snapshot). */
export const bundled: Build = {
  name: 'bundled',
  ffmpeg: ffmpegInstaller.path,
  ffprobe: ffprobeInstaller.path,
};

/** Every build on this machine: the bundled one, and the distribution's when installed. */
export const builds: Build[] = [bundled];
if (existsSync('/usr/bin/ffmpeg') && existsSync('/usr/bin/ffprobe')) {
  builds.push({ name: 'system', ffmpeg: '/usr/bin/ffmpeg', ffprobe: '/usr/bin/ffprobe' });
}

/** Runs ffmpeg quietly, overwriting outputs; rejects with ffmpeg's error if it fails. */
export async function ffmpeg(binary: string, args: string[]): Promise<string> {
  const { stdout } = await runFfmpeg(binary, ['-hide_banner', '-nostdin', '-v', 'error', '-y', ...args], {
    label: 'test fixture',
  });
  return stdout;
}

/** A fresh temporary folder and a function that removes it. */
export async function scratch(): Promise<{
  dir: string;
  file: (name: string) => string;
  remove: () => Promise<void>;
}> {
  const dir = await mkdtemp(path.join(tmpdir(), 'vgrade-ffmpeg-test-'));
  return {
    dir,
    file: (name) => path.join(dir, name),
    remove: () => rm(dir, { recursive: true, force: true, maxRetries: 10 }),
  };
}
