import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { map, Observable, type OperatorFunction } from 'rxjs';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gradeOne, type GradeEnvironment, type GradeProgress } from '../../src/run/grade.js';
import type { InputSource } from '../../src/ffmpeg/input.js';
import { fileOutput, type OutputTarget } from '../../src/ffmpeg/output.js';
import type { CompiledPipeline, StagePlacement } from '../../src/pipeline/compile.js';
import type { PipelineSpec } from '../../src/pipeline/load.js';
import {
  DEFAULT_STREAM_FORMAT,
  defineStage,
  type RunContext,
  type StageDefinition,
  type TransformStage,
} from '../../src/stages/stage.js';
import type { ResolvedBinaries } from '../../src/ffmpeg/binaries.js';
import type { FfmpegCapabilities } from '../../src/ffmpeg/capabilities.js';
import type { MediaInfo } from '../../src/ffmpeg/probe.js';
import type { Frame } from '../../src/frame/frame.js';
import { Interrupted, RuntimeFailure } from '../../src/util/errors.js';
import { tempDir } from '../helpers/media.js';

/**
 * The runtime that runs a compiled pipeline from its source stage to its sink for one input
 * (`gradeOne`, with `buildStream` inside it), on stages made for the test: no ffmpeg runs, so
 * what is checked is the runtime's own work (order, errors, teardown, the pool, the output's name).
 */

/** What the test's stages saw. */
interface Trace {
  /** The run context the source was opened with (its pool is the run's). */
  run?: RunContext;
  /** Frame indices in the order each stage saw them, by stage name. */
  seen: Map<string, number[]>;
  /** Stages whose create was called, in order, with the logger bindings each got. */
  created: Array<{ name: string; bindings: Record<string, unknown> }>;
  /** Stages whose teardown (finalizer) ran. */
  closed: string[];
}

const newTrace = (): Trace => ({ seen: new Map(), created: [], closed: [] });

/** A source of `count` frames (endless when undefined), one per turn of the event loop, from the run's pool. */
function source(trace: Trace, count?: number): StageDefinition {
  return defineStage({
    kind: 'source',
    ends: 'file',
    name: 'frames',
    description: 'test frames',
    options: {},
    open: (_options, run) =>
      new Observable<Frame>((subscriber) => {
        trace.run = run;
        let index = 0;
        let stopped = false;
        const next = (): void => {
          if (stopped) return;
          if (count !== undefined && index >= count) {
            subscriber.complete();
            return;
          }
          const frame = run.pool.tryAcquire();
          if (!frame) {
            run.pool.onAvailable(() => setImmediate(next));
            return;
          }
          frame.index = index++;
          subscriber.next(frame);
          setImmediate(next);
        };
        setImmediate(next);
        return () => {
          stopped = true;
          trace.closed.push('frames');
        };
      }),
  });
}

/** A transform that records each frame it sees and applies `step` to it (which may throw). */
function transform(
  trace: Trace,
  name: string,
  extra: Partial<{
    isIdentity: () => boolean;
    step: (frame: Frame) => void;
    decoderFilter: TransformStage['decoderFilter'];
  }> = {},
): StageDefinition {
  return defineStage({
    kind: 'transform',
    name,
    description: name,
    options: {},
    ...(extra.isIdentity ? { isIdentity: extra.isIdentity } : {}),
    ...(extra.decoderFilter ? { decoderFilter: extra.decoderFilter } : {}),
    create: (_options, run) => {
      trace.created.push({ name, bindings: run.logger.bindings() });
      trace.seen.set(name, []);
      return map((frame) => {
        trace.seen.get(name)!.push(frame.index);
        extra.step?.(frame);
        return frame;
      });
    },
  });
}

/**
 * A transform that holds one frame (a lookahead of one): each frame leaves when the next arrives,
 * the last at the end; the held frame is released in its finalizer, as the house's operators do.
 */
function holdOne(trace: Trace): StageDefinition {
  return defineStage({
    kind: 'transform',
    name: 'hold',
    description: 'holds one frame',
    options: {},
    create: (): OperatorFunction<Frame, Frame> => (input) =>
      new Observable<Frame>((subscriber) => {
        let held: Frame | undefined;
        const subscription = input.subscribe({
          next: (frame) => {
            const previous = held;
            held = frame;
            if (previous) subscriber.next(previous);
          },
          error: (err: unknown) => subscriber.error(err),
          complete: () => {
            const last = held;
            held = undefined;
            if (last) subscriber.next(last);
            subscriber.complete();
          },
        });
        return () => {
          subscription.unsubscribe();
          held?.release();
          held = undefined;
          trace.closed.push('hold');
        };
      }),
  });
}

/** A sink that records each frame and passes it on for the runtime to release. */
function sink(trace: Trace): StageDefinition {
  return defineStage({
    kind: 'sink',
    ends: 'file',
    name: 'sink',
    description: 'test sink',
    options: {},
    create: (_options, run) => {
      trace.created.push({ name: 'sink', bindings: run.logger.bindings() });
      trace.seen.set('sink', []);
      return (input) =>
        new Observable<Frame>((subscriber) => {
          const subscription = input.subscribe({
            next: (frame) => {
              trace.seen.get('sink')!.push(frame.index);
              subscriber.next(frame);
            },
            error: (err: unknown) => subscriber.error(err),
            complete: () => subscriber.complete(),
          });
          return () => {
            subscription.unsubscribe();
            trace.closed.push('sink');
          };
        });
    },
  });
}

/** A compiled pipeline of these stages, as the compiler places them (or as `placements` says). */
function compiled(
  stages: StageDefinition[],
  placements: Record<number, StagePlacement> = {},
): CompiledPipeline {
  return {
    spec: { file: 'test.yaml', description: undefined, stages: [] } satisfies PipelineSpec,
    stages: stages.map((definition, index) => ({
      definition,
      options: {},
      index,
      placement:
        placements[index] ??
        (definition.kind === 'source'
          ? 'decoder ffmpeg'
          : definition.kind === 'sink'
            ? 'encoder ffmpeg'
            : 'node'),
      needs: { lookbehind: 0, lookahead: 0 },
    })),
    poolSize: 4,
    delayFrames: 0,
    format: DEFAULT_STREAM_FORMAT,
    encodesFrames: false,
  };
}

/** An input that describes itself (no ffprobe): a 32x18 8-bit video of `frames` frames. */
const input = (frames: number): InputSource => ({
  path: 'test.mkv',
  label: 'test.mkv',
  format: undefined,
  ffmpegInput: 'test.mkv',
  probe: async (): Promise<MediaInfo> => ({
    path: 'test.mkv',
    formatName: 'matroska,webm',
    audioStreams: 0,
    subtitleStreams: 0,
    dataStreams: 0,
    chapters: 0,
    estimatedFrames: frames,
    video: {
      index: 0,
      codec: 'ffv1',
      width: 32,
      height: 18,
      pixFmt: 'rgb24',
      bitsPerChannel: 8,
      rotation: 0,
      isStill: false,
      hasAlpha: false,
    },
  }),
});

/** The environment of a run, its log lines collected. */
function environment(signal = new AbortController().signal, onProgress?: (p: GradeProgress) => void) {
  const logs: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const env: GradeEnvironment = {
    logger: pino({ level: 'debug', base: undefined }, stream),
    // Never started: the test's stages run no ffmpeg, and the input describes itself.
    binaries: { ffmpeg: '/nonexistent/ffmpeg', ffprobe: '/nonexistent/ffprobe' } as ResolvedBinaries,
    caps: {} as FfmpegCapabilities,
    signal,
    ...(onProgress ? { onProgress } : {}),
  };
  return { env, logs };
}

describe('the runtime: gradeOne runs a compiled pipeline from its source to its sink', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let n = 0;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('vgrade-runtime-'));
  });
  afterAll(() => cleanup());

  /** A fresh output in the temporary folder. */
  const output = (): OutputTarget => fileOutput(path.join(dir, `out-${n++}.mkv`));
  /** Partial files left in the temporary folder. */
  const partials = async (): Promise<string[]> =>
    (await readdir(dir)).filter((f) => f.includes('vgrade-partial'));

  it('every frame passes every stage and reaches the sink in order; the result and progress count them', async () => {
    const trace = newTrace();
    const progress: GradeProgress[] = [];
    const { env } = environment(undefined, (p) => progress.push(p));
    const target = output();
    const pipeline = compiled([source(trace, 10), transform(trace, 'a'), transform(trace, 'b'), sink(trace)]);
    const result = await gradeOne(pipeline, input(10), target, env);
    const order = [...Array(10).keys()];
    expect(trace.seen.get('a')).toEqual(order);
    expect(trace.seen.get('b')).toEqual(order);
    expect(trace.seen.get('sink')).toEqual(order);
    expect(result).toMatchObject({ input: 'test.mkv', output: target.path, frames: 10, poolSize: 4 });
    expect(progress.map((p) => [p.frames, p.total])).toEqual(order.map((k) => [k + 1, 10]));
  });

  it('at the end the pool is whole again, every stage is torn down, and the output is in place', async () => {
    const trace = newTrace();
    const { env, logs } = environment();
    const target = output();
    const result = await gradeOne(
      compiled([source(trace, 7), holdOne(trace), sink(trace)]),
      input(7),
      target,
      env,
    );
    expect(trace.seen.get('sink')).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(trace.run!.pool.inUse).toBe(0);
    expect(result.poolPeak).toBeGreaterThanOrEqual(2);
    expect(result.poolPeak).toBeLessThanOrEqual(4);
    expect(trace.closed.sort()).toEqual(['frames', 'hold', 'sink']);
    expect(logs.filter((l) => l['msg'] === 'frames still checked out after the run')).toEqual([]);
    expect(existsSync(target.path)).toBe(true);
    expect(await partials()).toEqual([]);
  });

  it('says so when a stage kept frames it never gave back', async () => {
    const trace = newTrace();
    const { env, logs } = environment();
    const leak = transform(trace, 'leak', {
      step: (frame) => {
        if (frame.index % 2 === 0) frame.retain();
      },
    });
    await gradeOne(compiled([source(trace, 6), leak, sink(trace)]), input(6), output(), env);
    expect(trace.run!.pool.inUse).toBe(3);
    expect(logs).toContainEqual(
      expect.objectContaining({ level: 40, msg: 'frames still checked out after the run', inUse: 3 }),
    );
  });

  it('creates only the stages that run in Node: not one fused into the decoder, nor one at its identity', async () => {
    const trace = newTrace();
    const { env } = environment();
    const stages = [
      source(trace, 3),
      transform(trace, 'fused', {
        decoderFilter: (_options, from) => ({
          filter: 'scale=16:9',
          geometry: { ...from, width: 16, height: 9, active: { x: 0, y: 0, width: 16, height: 9 } },
        }),
      }),
      transform(trace, 'identity', { isIdentity: () => true }),
      transform(trace, 'active', { isIdentity: () => false }),
      sink(trace),
    ];
    await gradeOne(compiled(stages, { 1: 'decoder ffmpeg' }), input(3), output(), env);
    expect(trace.created.map((c) => c.name)).toEqual(['active', 'sink']);
    expect(trace.seen.get('active')).toEqual([0, 1, 2]);
    // The fused stage is the decoder's filter: the frames, and the pool, have the size it leaves.
    expect(trace.run?.kind === 'file' && trace.run.decoderFilters).toEqual(['scale=16:9']);
    expect([trace.run!.geometry.width, trace.run!.geometry.height]).toEqual([16, 9]);
    expect([trace.run!.pool.width, trace.run!.pool.height]).toEqual([16, 9]);
  });

  it('gives each stage a logger of its own, bound to its name and place in the pipeline', async () => {
    const trace = newTrace();
    const { env } = environment();
    await gradeOne(
      compiled([source(trace, 1), transform(trace, 'a'), transform(trace, 'b'), sink(trace)]),
      input(1),
      output(),
      env,
    );
    expect(trace.created).toEqual([
      { name: 'a', bindings: { stage: 'a', index: 1 } },
      { name: 'b', bindings: { stage: 'b', index: 2 } },
      { name: 'sink', bindings: { stage: 'sink', index: 3 } },
    ]);
  });

  it("a stage's error reaches the caller as it was raised, with its code; every stage is torn down, no partial output is left", async () => {
    const trace = newTrace();
    const { env } = environment();
    const failure = new RuntimeFailure('E_FFMPEG', 'ffmpeg (encoding out.mkv) exited with code 1');
    const failing = transform(trace, 'failing', {
      step: (frame) => {
        if (frame.index === 3) throw failure;
      },
    });
    const target = output();
    const run = gradeOne(compiled([source(trace, 10), failing, sink(trace)]), input(10), target, env);
    await expect(run).rejects.toBe(failure);
    await expect(run).rejects.toMatchObject({ code: 'E_FFMPEG', exitCode: 1 });
    expect(trace.seen.get('sink')).toEqual([0, 1, 2]);
    expect(trace.closed.sort()).toEqual(['frames', 'sink']);
    expect(existsSync(target.path)).toBe(false);
    expect(await partials()).toEqual([]);
  });

  it('a stage that cannot start: its error reaches the caller, the source never starts, no partial output is left', async () => {
    const trace = newTrace();
    const { env } = environment();
    const broken = defineStage({
      kind: 'transform',
      name: 'broken',
      description: 'cannot start',
      options: {},
      create: () => {
        throw new RuntimeFailure('E_MODEL', 'no model at models/none');
      },
    });
    const target = output();
    await expect(
      gradeOne(compiled([source(trace, 3), broken, sink(trace)]), input(3), target, env),
    ).rejects.toMatchObject({ code: 'E_MODEL' });
    expect(trace.run).toBeUndefined();
    expect(existsSync(target.path)).toBe(false);
    expect(await partials()).toEqual([]);
  });

  it('an abort (Ctrl-C) stops the run: E_INTERRUPTED, every stage torn down, the held frames given back, no partial output', async () => {
    const trace = newTrace();
    const abort = new AbortController();
    const { env } = environment(abort.signal, (p) => {
      if (p.frames === 5) abort.abort();
    });
    const target = output();
    const run = gradeOne(compiled([source(trace), holdOne(trace), sink(trace)]), input(1000), target, env);
    await expect(run).rejects.toBeInstanceOf(Interrupted);
    await expect(run).rejects.toMatchObject({
      code: 'E_INTERRUPTED',
      exitCode: 130,
      message: 'interrupted while grading test.mkv',
    });
    expect(trace.closed.sort()).toEqual(['frames', 'hold', 'sink']);
    expect(trace.run!.pool.inUse).toBe(0);
    expect(existsSync(target.path)).toBe(false);
    expect(await partials()).toEqual([]);
  });

  it('aborted before it starts: E_INTERRUPTED, no stage opened, no partial output', async () => {
    const trace = newTrace();
    const abort = new AbortController();
    abort.abort();
    const { env } = environment(abort.signal);
    const target = output();
    await expect(
      gradeOne(compiled([source(trace, 3), transform(trace, 'a'), sink(trace)]), input(3), target, env),
    ).rejects.toMatchObject({ code: 'E_INTERRUPTED' });
    expect(trace.run).toBeUndefined();
    expect(trace.created).toEqual([]);
    expect(existsSync(target.path)).toBe(false);
    expect(await partials()).toEqual([]);
  });
});
