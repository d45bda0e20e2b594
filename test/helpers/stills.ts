import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ffmpeg, tempDir } from './media.js';
import { SAMPLE } from './cli.js';
import { decodePng } from '../../src/image/png.js';

/** A folder holding `clean.png`: frame 40 of the sample clip at 640x360, for graders to work on. */
export interface SampleStill {
  /** A file's path in the folder. */
  file(name: string): string;
  /** A PNG of the folder as rgb24. */
  rgb(name: string): Promise<Uint8Array>;
  cleanup(): Promise<void>;
}

export async function sampleStill(): Promise<SampleStill> {
  const { dir, cleanup } = await tempDir();
  const file = (name: string): string => path.join(dir, name);
  await ffmpeg(['-i', SAMPLE, '-vf', 'select=eq(n\\,40),scale=640:360', '-frames:v', '1', file('clean.png')]);
  return { file, rgb: async (name) => (await decodePng(await readFile(file(name)))).rgb, cleanup };
}
