/**
 * encode: the sink. A second ffmpeg reads the input itself (full resolution, never through
 * JavaScript), applies each frame's 3D LUT with `haldclut` (tetrahedral), and encodes.
 *
 * The per-frame LUTs travel to it as a stream of 16-bit Hald CLUT images in Matroska on pipe:3
 * (see `mkv-writer.ts`), each stamped with its frame's timestamp, so `haldclut` pairs every source
 * frame with its own LUT even at a variable frame rate. Audio, subtitles, chapters, metadata,
 * rotation (`-noautorotate` keeps the pixels and the display matrix as they are), colour tags and
 * timestamps (frame-rate passthrough) are carried over from the input.
 *
 * Backpressure: each frame stays checked out of the pool until pipe:3 has taken its LUT; when the
 * pipe is full the stage waits for 'drain' (`writeWithBackpressure`), the pool runs dry, and the
 * decoder stops. A frame is passed on (for progress, then released) once its LUT is written.
 *
 * The LUT is applied in planar float (`gbrpf32le`) where this ffmpeg's `haldclut` takes it (5.x:
 * a SIMD path, about twice as fast at 1080p), else in rgb24/rgb48le.
 *
 * Why a second ffmpeg rather than splitting the decoder's picture into a proxy branch and a graded
 * branch in one process: measured on 4.1 and 5.1, ffmpeg always serves first an output whose
 * encoder is not initialised yet, so the graded output, waiting for its first LUT (which needs
 * the stages' lookahead of proxy frames), starves the proxy output: a deadlock at frame one.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { Writable } from 'node:stream';
import { defineStage, type RunContext } from './stage.js';
import type { OptionValues } from '../pipeline/options.js';
import type { Frame } from '../frame/frame.js';
import { FfmpegExitError, spawnFfmpeg, type FfmpegProcess } from '../ffmpeg/spawn.js';
import { meaningfulLines, STDERR_TAIL_CHARS } from '../ffmpeg/stderr.js';
import { FfmpegArgs } from '../ffmpeg/args.js';
import { writeWithBackpressure } from '../operators/writeWithBackpressure.js';
import { allocLut, identityLut, scaleLut, type Lut3d } from '../correction/lut3d.js';
import { haldCubeSize, haldFrameBytes, haldSide, writeHald16 } from '../correction/hald.js';
import { mkvFramePrefix, mkvHeader } from '../frame/mkv-writer.js';
import { planEncoder } from '../run/encoderSettings.js';
import { rotationPlan } from '../run/rotation.js';
import { RuntimeFailure } from '../util/errors.js';
import { markStdoutClosed } from '../util/stdout.js';

const options = {
  codec: { type: 'string', default: 'auto', help: 'Video encoder (auto: picked for the output type)' },
  crf: {
    type: 'integer',
    default: -1,
    min: -1,
    max: 63,
    help: 'Constant rate factor (-1: the encoder default we pick)',
  },
  preset: { type: 'string', default: 'auto', help: 'Encoder preset, e.g. medium, veryfast (auto: medium)' },
  pix_fmt: {
    type: 'string',
    default: 'auto',
    help: 'Output pixel format (auto: the source layout and depth)',
  },
  strength: {
    type: 'number',
    default: 1,
    min: 0,
    max: 1.5,
    help: 'The whole correction scaled towards the identity (0: untouched, 1: as graded, 1.5: half as much again)',
  },
} as const;

type Options = OptionValues<typeof options>;

/** The encoder's ffmpeg arguments. */
export function encoderArgs(
  opts: Options,
  run: Pick<RunContext, 'input' | 'output' | 'media' | 'caps' | 'geometry'>,
): string[] {
  const media = run.media;
  const fullSize = {
    width: media?.video?.width ?? run.geometry.width,
    height: media?.video?.height ?? run.geometry.height,
  };
  const plan = planEncoder(run.output, media, opts, run.caps, fullSize);
  const mainFormat = run.caps.floatHaldclut ? 'gbrpf32le' : run.geometry.depth === 16 ? 'rgb48le' : 'rgb24';
  const target = run.output.path === '-' ? '-' : (run.output.tmpPath ?? run.output.path);
  return (
    new FfmpegArgs()
      .global('-hide_banner', '-nostdin', '-loglevel', 'level+error', '-y')
      .global(
        '-filter_complex',
        `[0:v:0]format=${mainFormat}[main];[1:v:0]format=rgb48le[clut];[main][clut]haldclut=interp=tetrahedral[graded]`,
      )
      // -noautorotate: the pixels stay as stored and the rotation is put back as metadata.
      .input(run.input.ffmpegInput, {
        format: run.input.format,
        options: [
          ...(run.input.inputOptions ?? []),
          ...(rotationPlan(run.media, run.output) === 'rotate-pixels' ? [] : ['-noautorotate']),
        ],
      })
      .input('pipe:3', { format: 'matroska' })
      .output(target, {
        format: run.output.format,
        options: [
          '-map',
          '[graded]',
          ...plan.streamArgs,
          ...run.caps.passthroughArgs,
          ...plan.videoArgs,
          ...plan.muxerArgs,
        ],
      })
      .toArray()
  );
}

function encodeFrames(opts: Options, run: RunContext): OperatorFunction<Frame, Frame> {
  return (source) =>
    new Observable<Frame>((subscriber) => {
      const level = run.haldLevel;
      const side = haldSide(level);
      const identity = identityLut(haldCubeSize(level));
      const strength = opts.strength;
      let scratch: Lut3d | undefined;
      const scaled = (size: number): Lut3d => {
        if (scratch?.size !== size) scratch = allocLut(size);
        return scratch;
      };
      const spare: Uint16Array[] = [];
      const inUse = new Map<Frame, Uint16Array>();
      let first = true;
      let upstreamDone = false;
      let finished = false;

      const args = encoderArgs(opts, run);
      run.logger.debug({ args }, 'encoder ffmpeg');
      const proc = spawnFfmpeg(run.binaries.ffmpeg, args, {
        label: `encoding ${run.output.label}`,
        stdio: [
          run.input.connect ? 'pipe' : 'ignore',
          run.output.path === '-' ? 1 : 'ignore',
          'pipe',
          'pipe',
        ],
        logger: run.logger,
      });
      run.input.connect?.(proc.child, 'encoder');
      const clut = proc.child.stdio[3] as Writable;
      // A failed ffmpeg closes the pipe: its own exit status says why, so pipe errors wait for it.
      clut.on('error', () => {});
      clut.write(mkvHeader(side, side, 'rgb48le'));

      const giveBack = (frame: Frame): void => {
        const buffer = inUse.get(frame);
        if (buffer) {
          inUse.delete(frame);
          spare.push(buffer);
        }
      };
      const chunks = (frame: Frame): Uint8Array[] => {
        const hald = spare.pop() ?? new Uint16Array(side * side * 3);
        inUse.set(frame, hald);
        // The frame's LUT is final here (after merge and blend): `strength` trims the whole
        // correction, whichever stages made it.
        const lut = (frame.lut ?? identity) as Lut3d;
        writeHald16(
          strength === 1 || !frame.lut ? lut : scaleLut(lut, strength, scaled(lut.size)),
          level,
          hald,
        );
        const bytes = new Uint8Array(hald.buffer, hald.byteOffset, hald.byteLength);
        const length = haldFrameBytes(level);
        const parts = [mkvFramePrefix(frame.ptsMicros, length), bytes];
        if (first && frame.ptsMicros > 0) {
          // The LUT stream must start at 0 like the source does after ffmpeg's start-time shift.
          parts.unshift(mkvFramePrefix(0, length), bytes);
        }
        first = false;
        return parts;
      };

      const fail = (err: unknown): void => {
        if (finished) return;
        finished = true;
        subscriber.error(err);
      };

      proc.exited.then(
        () => {
          if (finished) return;
          if (!upstreamDone) {
            fail(
              new RuntimeFailure(
                'E_FFMPEG',
                `ffmpeg (encoding ${run.output.label}) stopped before the last frame${stderrReasons(proc)}`,
              ),
            );
            return;
          }
          finished = true;
          subscriber.complete();
        },
        (err: unknown) => {
          // Writing to standard output, ffmpeg's only way to a broken pipe is its reader going
          // away (`-o - | head -c 100000`): a normal end for a shell tool, not a failure.
          if (run.output.path === '-' && brokenPipe(err)) markStdoutClosed();
          fail(err);
        },
      );

      const inner = source
        .pipe(
          writeWithBackpressure<Frame>(clut, {
            chunks,
            written: giveBack,
            release: (frame) => {
              giveBack(frame);
              frame.release();
            },
          }),
        )
        .subscribe({
          next: (frame) => subscriber.next(frame),
          error: (err: unknown) => {
            // A broken pipe means ffmpeg died: report its exit instead, if it comes soon. (pipe:3
            // is a socket pair: ffmpeg gone with LUT bytes unread resets it, ECONNRESET.)
            const code = (err as NodeJS.ErrnoException | undefined)?.code;
            if (
              code === 'EPIPE' ||
              code === 'ECONNRESET' ||
              code === 'ERR_STREAM_DESTROYED' ||
              String(err).includes('closed before')
            ) {
              // Should ffmpeg still not have exited, the pipe error is reported with what ffmpeg
              // said so far: never a bare "read ECONNRESET" without ffmpeg's own reasons.
              const timer = setTimeout(() => {
                proc.kill('SIGKILL');
                fail(
                  new RuntimeFailure(
                    'E_FFMPEG',
                    `ffmpeg (encoding ${run.output.label}) stopped reading LUTs (${(err as Error).message})${stderrReasons(proc)}`,
                    { cause: err },
                  ),
                );
              }, 2000);
              proc.exited.finally(() => clearTimeout(timer)).catch(() => {});
              return;
            }
            proc.kill('SIGKILL');
            fail(err);
          },
          complete: () => {
            upstreamDone = true;
            clut.end();
          },
        });

      return () => {
        inner.unsubscribe();
        if (!finished) {
          finished = true;
          proc.kill('SIGKILL');
        }
      };
    });
}

/** ": " and the last lines of ffmpeg's stderr that explain something, or "" when there are none. */
function stderrReasons(proc: FfmpegProcess): string {
  const tail = proc.stderrTail();
  const reasons = meaningfulLines(tail, tail.length >= STDERR_TAIL_CHARS);
  return reasons.length > 0 ? `: ${reasons.join('\n')}` : '';
}

/** ffmpeg stopped by a closed output pipe: killed by SIGPIPE, or (ignoring it) failed with EPIPE. */
function brokenPipe(err: unknown): boolean {
  return err instanceof FfmpegExitError && (err.signal === 'SIGPIPE' || /Broken pipe/i.test(err.stderr));
}

export const encode = defineStage({
  kind: 'sink',
  name: 'encode',
  description:
    "Applies each frame's LUT to the full-resolution input in ffmpeg (haldclut) and encodes; other streams copied",
  options,
  create: encodeFrames,
});
