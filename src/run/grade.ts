import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Observable, OperatorFunction } from '../util/rx.js';
import type { Logger } from '../util/logger.js';
import type { ResolvedBinaries } from '../ffmpeg/binaries.js';
import type { FfmpegCapabilities } from '../ffmpeg/capabilities.js';
import { displaySize, probeMedia, type MediaInfo } from '../ffmpeg/probe.js';
import { hdrTransfer } from '../color/hdr.js';
import { compilePipeline, decoderGeometry, inSource, type CompiledPipeline } from '../pipeline/compile.js';
import type { PipelineSpec } from '../pipeline/load.js';
import { FramePool } from '../frame/pool.js';
import type { Frame } from '../frame/frame.js';
import type { FileRunContext, FullFrameFormat, RunContext, TransformContext } from '../stages/stage.js';
import { PictureRing } from '../frame/pictureRing.js';
import { yuv420Bytes } from '../lut/yuv420.js';
import type { RunRecord } from '../stages/records.js';
import type { InputSource } from '../ffmpeg/input.js';
import type { OutputTarget } from '../ffmpeg/output.js';
import { Interrupted, RuntimeFailure, systemErrorReason, UsageError } from '../util/errors.js';
import { retagRotation, rotationPlan } from '../ffmpeg/rotation.js';

export interface GradeProgress {
  readonly input: string;
  readonly frames: number;
  /** Expected frames, when the input says. */
  readonly total: number | undefined;
  readonly elapsedSeconds: number;
}

export interface GradeEnvironment {
  readonly logger: Logger;
  readonly binaries: ResolvedBinaries;
  readonly caps: FfmpegCapabilities;
  readonly signal: AbortSignal;
  readonly onProgress?: (progress: GradeProgress) => void;
  /** Receives the records stages make (classify's findings), in the order they are made. */
  readonly onRecord?: (record: RunRecord) => void;
}

export interface GradeResult {
  readonly input: string;
  readonly output: string;
  readonly frames: number;
  readonly seconds: number;
  readonly poolSize: number;
  readonly poolPeak: number;
}

/** The run context for one input: probe, geometry, pool. Exported for tests and `explain`. */
export async function prepareRun(
  pipeline: CompiledPipeline,
  input: InputSource,
  output: OutputTarget,
  env: GradeEnvironment,
  media?: MediaInfo,
): Promise<FileRunContext> {
  const first = pipeline.stages[0]?.definition;
  if (first?.kind === 'source' && first.ends !== 'file') {
    throw new UsageError(
      'E_USAGE',
      `${path.basename(pipeline.spec.file)} is a live pipeline (it starts with ${first.name}): run it with vgrade preview`,
    );
  }
  const info =
    media ??
    (input.probe
      ? await input.probe(env.binaries.ffprobe)
      : await probeMedia(env.binaries.ffprobe, input.ffmpegInput, {
          format: input.format,
          ...(input.inputOptions ? { inputOptions: input.inputOptions } : {}),
          logger: env.logger,
        }));
  const video = info?.video;
  if (!video) {
    throw new RuntimeFailure(
      'E_INPUT_NO_VIDEO',
      `${input.label}: the size of the video must be known before grading starts`,
    );
  }
  const hdr = hdrTransfer(video.colorTransfer);
  if (hdr && pipeline.encodesFrames) {
    // The frames are the SDR view of the source: written as they are, they would be SDR pixels
    // tagged as HDR. LUTs are carried back to the HDR signal; frames are not.
    throw new RuntimeFailure(
      'E_INPUT_HDR',
      `${input.label} is HDR (${hdr}: color_transfer ${video.colorTransfer}), and ${path.basename(pipeline.spec.file)} writes the frames it made (encode pixels: frames, as vgrade detune does), which it can for SDR sources only`,
    );
  }
  if (output.kind === 'image' && !video.isStill && (info.estimatedFrames ?? 2) > 1) {
    throw new UsageError(
      'E_USAGE',
      `${output.label} is a single image but ${input.label} is a video: name an image sequence (e.g. frame_%05d.png) or a video file`,
    );
  }
  // The decoder turns the picture upright.
  const source = {
    ...displaySize(video),
    depth: (video.bitsPerChannel > 8 ? 16 : 8) as 8 | 16,
  };
  const { geometry, filters } = decoderGeometry(pipeline, source);
  const fullFrames = fullFramesFor(pipeline, { media: info, output, caps: env.caps, geometry });
  return {
    kind: 'file',
    logger: env.logger,
    binaries: env.binaries,
    caps: env.caps,
    input,
    output,
    media: info,
    // With full-resolution pictures, a few proxy frames more: read while their pictures arrive.
    pool: new FramePool(
      pipeline.poolSize + (fullFrames ? FULL_PICTURES_AHEAD : 0),
      geometry.width,
      geometry.height,
      geometry.depth,
    ),
    geometry,
    decoderFilters: filters,
    ...pipeline.format,
    label: input.label,
    frameRate: video.avgFrameRate ?? video.frameRate,
    ...(info.timecode && { startTimecode: info.timecode }),
    ...(hdr && { hdr }),
    ...(fullFrames && {
      // The pool's frames, plus the few the decoder may fill ahead of the proxy it pairs them with.
      fullFrames: {
        format: fullFrames,
        ring: new PictureRing(pictureRingSize(pipeline), yuv420Bytes(fullFrames.width, fullFrames.height)),
      },
    }),
    signal: env.signal,
    ...(env.onRecord && { onRecord: env.onRecord }),
  };
}

/**
 * Frames one of the decoder's two outputs may run ahead of the other. ffmpeg serves the output
 * with the earliest timestamp, so in a run the two alternate (measured: the proxy at most one
 * frame ahead), and while it starts up the proxy output is served first (two frames ahead).
 */
const FULL_PICTURES_AHEAD = 3;

/**
 * Full-resolution pictures in the decoder's ring when the sink grades them in Node: one for each
 * frame of the pool (which grows by FULL_PICTURES_AHEAD then) and as many again read ahead.
 */
export function pictureRingSize(pipeline: Pick<CompiledPipeline, 'poolSize'>): number {
  return pipeline.poolSize + 2 * FULL_PICTURES_AHEAD;
}

/** What the pipeline's sink asks of the source besides its frames, for this input. */
function fullFramesFor(
  pipeline: CompiledPipeline,
  run: Pick<FileRunContext, 'media' | 'output' | 'caps' | 'geometry'>,
): FullFrameFormat | undefined {
  const [source] = pipeline.stages;
  const sink = pipeline.stages.at(-1);
  if (source?.definition.kind !== 'source' || sink?.definition.kind !== 'sink') return undefined;
  if (!source.definition.servesFullFrames?.(source.options)) return undefined;
  return sink.definition.fullFrames?.(sink.options, run);
}

/** The whole pipeline as one observable of frames that have left the last stage. */
export function buildStream(pipeline: CompiledPipeline, run: RunContext): Observable<Frame> {
  const [first, ...rest] = pipeline.stages;
  if (!first || first.definition.kind !== 'source')
    throw new Error('a compiled pipeline starts with its source');
  const frames = first.definition.open(first.options, run).pipe(transformChain(pipeline, run));
  // A pipeline without a sink (classify.yaml's analysis) ends with its transforms.
  const last = rest.at(-1);
  if (last?.definition.kind !== 'sink') return frames;
  const logger = run.logger.child({ stage: last.definition.name, index: last.index });
  return frames.pipe(last.definition.create(last.options, { ...run, logger }));
}

/**
 * The pipeline's transforms, in order, as one operator: what runs in Node between the source and
 * the sink (stages fused into the decoder's ffmpeg, and those whose options leave frames as they
 * are, are left out). The file runtime puts it between `decode` and `encode`; the live preview
 * between its camera's frames and its pictures.
 */
export function transformChain(
  pipeline: CompiledPipeline,
  run: TransformContext,
): OperatorFunction<Frame, Frame> {
  const operators: OperatorFunction<Frame, Frame>[] = [];
  for (const stage of pipeline.stages) {
    const def = stage.definition;
    if (def.kind !== 'transform' || inSource(stage.placement)) continue;
    if (def.isIdentity?.(stage.options)) continue;
    const logger = run.logger.child({ stage: def.name, index: stage.index });
    operators.push(def.create(stage.options, { ...run, logger }));
  }
  return (source) => operators.reduce((stream, op) => stream.pipe(op), source);
}

/** Checks that the output's folder exists and a file can be created there, before any work. */
async function checkWritable(output: OutputTarget): Promise<void> {
  if (output.path === '-') return;
  const dir = path.dirname(output.path);
  const fail = (why: string, cause?: unknown): never => {
    throw new RuntimeFailure('E_OUTPUT', `Cannot write ${output.label}: ${why}`, { cause });
  };
  try {
    const s = await stat(dir);
    if (!s.isDirectory()) fail(`${dir} is not a folder`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') fail(`the folder ${dir} does not exist`, err);
    if (err instanceof RuntimeFailure) throw err;
    fail(systemErrorReason(err), err);
  }
  if (output.tmpPath) {
    try {
      const handle = await open(output.tmpPath, 'w');
      await handle.close();
    } catch (err) {
      fail(systemErrorReason(err), err);
    }
  }
}

/**
 * Grades one input into one output with a compiled pipeline.
 *
 * The output is written under a temporary name beside it and renamed when ffmpeg has finished it;
 * on any failure or interruption the temporary file is removed, so the output's name never holds
 * a partial file. Like Node's `pipeline`, the first error wins and every child is stopped.
 */
export async function gradeOne(
  spec: PipelineSpec | CompiledPipeline,
  input: InputSource,
  output: OutputTarget,
  env: GradeEnvironment,
  media?: MediaInfo,
): Promise<GradeResult> {
  const pipeline = 'poolSize' in spec ? spec : compilePipeline(spec);
  const run = await prepareRun(pipeline, input, output, env, media);
  await checkWritable(output);
  const started = process.hrtime.bigint();
  const total = run.media?.estimatedFrames;
  let frames = 0;
  const elapsed = (): number => Number(process.hrtime.bigint() - started) / 1e9;
  env.logger.info(
    {
      input: input.label,
      output: output.label,
      pool: pipeline.poolSize,
      proxy: `${run.geometry.width}x${run.geometry.height}`,
    },
    'grading',
  );
  try {
    await new Promise<void>((resolve, reject) => {
      if (env.signal.aborted) {
        reject(new Interrupted());
        return;
      }
      const onAbort = (): void => {
        subscription.unsubscribe();
        reject(new Interrupted(`interrupted while grading ${input.label}`));
      };
      const subscription = buildStream(pipeline, run).subscribe({
        next: (frame) => {
          frames++;
          frame.release();
          env.onProgress?.({ input: input.label, frames, total, elapsedSeconds: elapsed() });
        },
        error: (err: unknown) => {
          env.signal.removeEventListener('abort', onAbort);
          reject(err);
        },
        complete: () => {
          env.signal.removeEventListener('abort', onAbort);
          resolve();
        },
      });
      env.signal.addEventListener('abort', onAbort, { once: true });
    });
    if (output.tmpPath && run.media && rotationPlan(run.media, output, pipeline.encodesFrames) === 'retag') {
      await retagRotation(env.binaries.ffmpeg, output.tmpPath, run.media);
    }
    if (output.tmpPath) await rename(output.tmpPath, output.path);
  } catch (err) {
    if (output.tmpPath) await rm(output.tmpPath, { force: true });
    throw err;
  }
  if (run.pool.inUse !== 0)
    env.logger.warn({ inUse: run.pool.inUse }, 'frames still checked out after the run');
  const seconds = elapsed();
  env.logger.info(
    { input: input.label, output: output.label, frames, seconds: +seconds.toFixed(2) },
    'graded',
  );
  return {
    input: input.label,
    output: output.label,
    frames,
    seconds,
    poolSize: pipeline.poolSize,
    poolPeak: run.pool.peakInUse,
  };
}
