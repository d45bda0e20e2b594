import { execFile } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from '../util/logger.js';
import type { ResolvedBinaries } from '../ffmpeg/binaries.js';
import type { FfmpegCapabilities } from '../ffmpeg/capabilities.js';
import { applyOverrides, loadPipeline } from '../pipeline/load.js';
import { compilePipeline, type CompiledPipeline } from '../pipeline/compile.js';
import { gradeOne } from '../run/grade.js';
import { fileInput } from '../ffmpeg/input.js';
import { fileOutput } from '../ffmpeg/output.js';
import { resolvePipelinePath } from '../util/packageRoot.js';
import { CganModel } from '../models/cgan/model.js';
import { decodePng } from '../image/png.js';

const run = promisify(execFile);

/** One sample to grade: its detuned frames as an ffconcat list beside them, and their size. */
export interface GradeItem {
  readonly list: string;
  readonly width: number;
  readonly height: number;
  readonly inputs: readonly Uint8Array[];
}

/** Something that grades a sample's frames: the input as it came, an ffmpeg filter, a pipeline. */
export interface Grader {
  readonly name: string;
  grade(item: GradeItem): Promise<Uint8Array[]>;
}

export const identityGrader: Grader = { name: 'input', grade: async (item) => item.inputs.slice() };

function splitFrames(bytes: Buffer, width: number, height: number): Uint8Array[] {
  const size = width * height * 3;
  const out: Uint8Array[] = [];
  for (let i = 0; i + size <= bytes.length; i += size) out.push(new Uint8Array(bytes.subarray(i, i + size)));
  return out;
}

/** ffmpeg's own automatic correction filters, run on the sample as one sequence. */
export function ffmpegFilterGrader(ffmpeg: string, name: string, filter: string): Grader {
  return {
    name,
    grade: async (item) => {
      const { stdout } = await run(
        ffmpeg,
        [
          '-hide_banner',
          '-loglevel',
          'error',
          '-f',
          'concat',
          '-i',
          item.list,
          '-vf',
          `${filter},format=rgb24`,
          '-f',
          'rawvideo',
          '-',
        ],
        { encoding: 'buffer', maxBuffer: 1024 * 1024 * 1024 },
      );
      return splitFrames(stdout, item.width, item.height);
    },
  };
}

/** The filters this ffmpeg has, of those the issue names as baselines. */
export function ffmpegBaselines(binaries: ResolvedBinaries, caps: FfmpegCapabilities): Grader[] {
  const out: Grader[] = [];
  if (caps.filters.has('normalize'))
    out.push(ffmpegFilterGrader(binaries.ffmpeg, 'ffmpeg normalize', 'normalize'));
  if (caps.filters.has('grayworld'))
    out.push(ffmpegFilterGrader(binaries.ffmpeg, 'ffmpeg grayworld', 'format=gbrpf32le,grayworld'));
  if (caps.filters.has('colorcorrect'))
    out.push(ffmpegFilterGrader(binaries.ffmpeg, 'ffmpeg colorcorrect', 'colorcorrect=analyze=average'));
  return out;
}

/** One of our pipelines, run exactly as `vgrade grade` runs it, writing a PNG sequence. */
export async function pipelineGrader(
  pipelineName: string,
  sets: readonly string[],
  env: { logger: Logger; binaries: ResolvedBinaries; caps: FfmpegCapabilities; signal: AbortSignal },
): Promise<Grader> {
  const pipeline: CompiledPipeline = compilePipeline(
    applyOverrides(await loadPipeline(resolvePipelinePath(pipelineName)), sets),
  );
  return {
    name: `vgrade ${pipelineName}`,
    grade: async (item) => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-eval-'));
      try {
        await gradeOne(
          pipeline,
          fileInput(item.list, 'concat'),
          fileOutput(path.join(dir, 'g_%06d.png')),
          env,
        );
        const files = (await readdir(dir)).filter((f) => f.endsWith('.png')).sort();
        const frames: Uint8Array[] = [];
        for (const f of files) frames.push(await readRgb(env.binaries.ffmpeg, path.join(dir, f)));
        return frames;
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Reads a PNG's pixels as rgb24: with our own decoder where it reads the file (8-bit PNGs, which is
 * what `vgrade dataset` and the graders write), else through ffmpeg, which every install has.
 */
export async function readRgb(ffmpeg: string, file: string): Promise<Uint8Array> {
  try {
    return decodePng(await readFile(file)).rgb;
  } catch {
    // not a PNG this decoder reads: ffmpeg does
  }
  const { stdout } = await run(
    ffmpeg,
    ['-hide_banner', '-loglevel', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    {
      encoding: 'buffer',
      maxBuffer: 256 * 1024 * 1024,
    },
  );
  return new Uint8Array(stdout);
}

/**
 * The cGAN run directly on the sample's proxy frames. A run is corrected in consecutive windows of
 * `window` frames (the last one filled out by repeating its final frame); `window` 1 corrects each
 * frame alone.
 */
export function cganGrader(model: CganModel, window: number, name: string): Grader {
  return {
    name,
    grade: async (item) => {
      model.checkInput(item.width, item.height, 'the data set');
      const out: Uint8Array[] = [];
      const w = item.inputs.length > 1 ? window : 1;
      for (let i = 0; i < item.inputs.length; i += w) {
        const chunk = item.inputs.slice(i, i + w);
        const real = chunk.length;
        while (chunk.length < w) chunk.push(chunk[chunk.length - 1]!);
        const corrections = model.corrections(chunk, w);
        for (let k = 0; k < real; k++) {
          const dst = new Uint8Array(chunk[k]!.length);
          out.push(CganModel.applyCorrection(corrections[k]!, chunk[k]!, item.width, item.height, dst));
        }
      }
      return out;
    },
  };
}
