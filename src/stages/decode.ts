/**
 * decode: the source. Runs ffmpeg on the input and reads raw RGB frames from its stdout into the
 * pipeline's frame pool.
 *
 * The ffmpeg command is `-i INPUT -map 0:v:0 <fused filters>,format=rgb24|rgb48le,showinfo -f
 * rawvideo pipe:1` with frame-rate passthrough (no frame is duplicated or dropped, so frame N here
 * is frame N in the encoder's own decode of the same input). `showinfo` reports each frame's exact
 * timestamp on stderr; a frame is emitted once its pixels and its timestamp have both arrived.
 *
 * Backpressure: pixels are copied straight from ffmpeg's stdout chunks into a pooled frame. When the
 * pool has no free frame, the stage pauses stdout; the pipe fills, ffmpeg blocks in write(), and
 * decoding stops until a frame is released. So memory is the pool whatever the footage's length.
 *
 * Live sources cannot wait, so `on_full` can drop instead of blocking: `drop-new` discards an
 * arriving frame when no pooled frame is free to take it; `drop-old` keeps the newest completed
 * frame back while the pool is dry and replaces it when a newer one completes, so what is emitted
 * is always the latest picture. Drops are counted (`droppedFrames`) and the first frame emitted
 * after a dropped one is marked as a discontinuity, so temporal stages restart there.
 *
 * When the sink asks for full-resolution pictures (`RunContext.fullFrames`: `encode` grading an
 * 8-bit 4:2:0 source in Node), the same ffmpeg also writes each frame as decoded, in the source's
 * own layout, to pipe:3 (`split`: one decode, two outputs). Those pictures go into their own fixed
 * ring and a frame is emitted once its proxy, its timestamp and its picture have all arrived;
 * ffmpeg may write a frame or two of one output before the other, so proxies are read ahead while
 * a picture is awaited, and both pipes pause when their ring is full, as stdout alone does.
 *
 * Sources with more than 8 bits per channel are decoded to rgb48le (16 bits), others to rgb24. An
 * HDR source's frames (`RunContext.hdr`: PQ or HLG) are handed on as their SDR view.
 * Any error line ffmpeg logs about the input (a corrupt or truncated file) fails the stream, so a
 * damaged file never yields a silently shortened output; a file with no frames fails too.
 */
import { map, Observable } from '../util/rx.js';
import { HdrView } from '../color/hdr.js';
import { defineStage, endsOf, type FileRunContext } from './stage.js';
import type { OptionValues } from './options.js';
import { spawnFfmpeg } from '../ffmpeg/spawn.js';
import { classifyDecoderLine } from '../ffmpeg/stderr.js';
import { ShowinfoReader, stampMicros, stampSeconds, type ShowinfoStamp } from '../ffmpeg/showinfo.js';
import { FfmpegArgs } from '../ffmpeg/args.js';
import { frameBytes, imageBytes, rawPixelFormat } from '../image/image.js';
import type { Frame, FullPicture } from '../frame/frame.js';
import type { Readable } from 'node:stream';
import { RuntimeFailure } from '../util/errors.js';
import { convertsByField, videoDecoderOptions } from '../ffmpeg/probe.js';

const options = {
  errors: {
    type: 'enum',
    values: ['fail', 'ignore'],
    default: 'fail',
    help: 'What a decoding error does: fail the job (nothing is written) or log it and go on',
  },
  on_full: {
    type: 'enum',
    values: ['block', 'drop-new', 'drop-old'],
    default: 'block',
    help: 'When the pipeline falls behind: block (files: ffmpeg waits) or, for live sources, drop the newest or the oldest waiting frame',
  },
} as const;

/** The decoder's ffmpeg arguments. */
export function decoderArgs(
  run: Pick<FileRunContext, 'input' | 'caps' | 'decoderFilters' | 'geometry' | 'fullFrames' | 'media'>,
): string[] {
  const pixFmt = rawPixelFormat(run.geometry.depth);
  // Full-resolution frames of an interlaced source are converted to RGB field by field, as each
  // field's 4:2:0 chroma is its own (a proxy is a resize, which blends the fields anyway).
  const fieldByField = convertsByField(run.media?.video) && run.decoderFilters.length === 0;
  const filters = [
    ...(fieldByField ? ['scale=interl=1'] : []),
    ...run.decoderFilters,
    `format=${pixFmt}`,
    'showinfo',
  ].join(',');
  const args = new FfmpegArgs()
    .global('-hide_banner', '-nostdin', '-loglevel', 'level+info')
    .input(run.input.ffmpegInput, {
      format: run.input.format,
      options: [...(run.input.inputOptions ?? []), ...videoDecoderOptions(run.media?.video)],
    });
  const proxyOptions = ['-an', '-sn', '-dn', ...run.caps.passthroughArgs];
  const full = run.fullFrames?.format;
  if (!full) {
    return args
      .output('-', {
        format: 'rawvideo',
        options: ['-map', '0:v:0', ...proxyOptions, '-vf', filters, '-pix_fmt', pixFmt],
      })
      .toArray();
  }
  // One decode, two outputs: the proxy on stdout as always, and the picture as decoded (no
  // conversion: the source's own layout) on pipe:3. `split` passes references, not copies. The
  // picture is held to the probed size and layout, so that a stream that changes either midway
  // (a broadcast feed's SD break) still gives pictures of the ring's size; where nothing changes,
  // `scale` and `format` pass frames through untouched.
  const picture = `scale=${full.width}:${full.height},format=${full.pixFmt}`;
  return args
    .global('-filter_complex', `[0:v:0]split=2[f][p];[f]${picture}[full];[p]${filters}[proxy]`)
    .output('-', { format: 'rawvideo', options: ['-map', '[proxy]', ...proxyOptions, '-pix_fmt', pixFmt] })
    .output('pipe:3', {
      format: 'rawvideo',
      options: ['-map', '[full]', ...run.caps.passthroughArgs, '-pix_fmt', full.pixFmt],
    })
    .toArray();
}

/**
 * Copies bytes from the first chunk of `queue` into `target` after the `filled` already there, up
 * to `size` in all (with no target, skips them); a chunk used up leaves the queue, a chunk used in
 * part keeps its rest. Returns the new fill.
 */
function fillFromQueue(
  queue: Buffer[],
  target: Uint8Array | undefined,
  filled: number,
  size: number,
): number {
  const chunk = queue[0]!;
  const n = Math.min(size - filled, chunk.length);
  target?.set(chunk.subarray(0, n), filled);
  if (n === chunk.length) queue.shift();
  else queue[0] = chunk.subarray(n);
  return filled + n;
}

export function decodeFrames(opts: OptionValues<typeof options>, run: FileRunContext): Observable<Frame> {
  return new Observable<Frame>((subscriber) => {
    const { pool, geometry, logger } = run;
    const frameSize = frameBytes(geometry.width, geometry.height, geometry.depth);
    // Each frame's timestamp, by the frame's place in the output (see ShowinfoReader).
    const ptsByIndex = new Map<number, ShowinfoStamp | undefined>();
    const showinfo = new ShowinfoReader();
    let current: Frame | undefined;
    let filled = 0;
    let nextIndex = 0;
    let complete: Frame | undefined; // pixels complete, waiting for its timestamp line
    const queue: Buffer[] = []; // chunks read from stdout and not yet copied (stdout is paused meanwhile)
    let filledScratch = 0;
    let scratchIndex = 0;
    let waitingForPool = false;
    const live = opts.on_full !== 'block';
    let skipping = false; // the arriving frame is being dropped (drop-new): its bytes are skipped
    let dropped = 0;
    // The discontinuity is where the emitted indices skip a dropped one. Not "the next frame
    // emitted after a drop": a frame can be dropped while the one before it still waits for its
    // timestamp line, and that earlier frame is no discontinuity.
    let lastEmittedIndex = -1;
    const drop = (frame: Frame | undefined, index: number): void => {
      dropped++;
      ptsByIndex.delete(index);
      run.stats?.set('droppedFrames', dropped);
      logger.debug({ frame: index, dropped }, 'frame dropped: the pipeline is behind a live source');
      frame?.release();
    };
    let pumping = false;
    let pumpAgain = false;
    let closed = false;
    let lastMicros = -1;
    let firstError: string | undefined;
    let stdoutEnded = false;
    let exited = false;

    const demuxers = new Set(run.media ? [run.media.formatName, ...run.media.formatName.split(',')] : []);
    const args = decoderArgs(run);
    logger.debug({ args }, 'decoder ffmpeg');
    const full = run.fullFrames;
    if (full && live) {
      subscriber.error(new Error('decode: full-resolution pictures are decoded only with on_full block'));
      return;
    }
    const proc = spawnFfmpeg(run.binaries.ffmpeg, args, {
      label: `decoding ${run.input.label}`,
      stdio: [run.input.connect ? 'pipe' : 'ignore', 'pipe', 'pipe', ...(full ? (['pipe'] as const) : [])],
      logger,
      onStderrLine: (line) => {
        const timestamp = showinfo.read(line, (index, stamp) => {
          ptsByIndex.set(index, stamp);
          if (complete?.index === index) pump();
        });
        if (timestamp) return;
        const kind = classifyDecoderLine(line, demuxers);
        if (kind === 'input-error' && opts.errors === 'fail') {
          firstError ??= line.replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/, '').trim();
        } else if (kind === 'input-error' || kind === 'concealed') {
          logger.warn({ line }, 'decoding error concealed by ffmpeg');
        } else if (kind === 'output') {
          // The raw muxer on our side (timestamps, interleaving): not a decoding error.
          logger.debug({ line }, 'ffmpeg output-side message');
        }
      },
    });
    run.input.connect?.(proc.child, 'decoder');
    const stdout = proc.child.stdout!;

    /** Emits the completed frame once its timestamp is known. */
    const tryEmit = (): void => {
      const frame = complete;
      if (!frame || closed || !ptsByIndex.has(frame.index)) {
        emitPaired();
        return;
      }
      // drop-old: while the pool is dry, hold the newest frame back (a newer one may replace it).
      if (opts.on_full === 'drop-old' && pool.available === 0) {
        if (!waitingForPool) {
          waitingForPool = true;
          pool.onAvailable(() => {
            waitingForPool = false;
            pump();
          });
        }
        return;
      }
      if (frame.index !== lastEmittedIndex + 1) frame.discontinuity = true;
      lastEmittedIndex = frame.index;
      const stamp = ptsByIndex.get(frame.index);
      ptsByIndex.delete(frame.index);
      complete = undefined;
      if (stamp !== undefined) {
        frame.pts = stampSeconds(stamp);
        // Floored, so the CLUT timestamp is never later than the frame it belongs to. Frames that
        // share a timestamp keep it, as the encoder's ffmpeg reads them: a CLUT one microsecond
        // later than its frame is, after the last frame, one more output frame from `haldclut`
        // (a 455-frame clip ending on two frames at 15.182 s came out with 456).
        frame.ptsMicros = Math.max(stampMicros(stamp), lastMicros);
      } else {
        frame.pts = undefined;
        frame.ptsMicros = lastMicros + 1;
        logger.warn({ frame: frame.index }, 'frame without timestamp');
      }
      lastMicros = frame.ptsMicros;
      if (full) {
        // ffmpeg may write a frame or two of proxies before the first full-resolution picture:
        // the frame waits for its picture while the proxies after it are read.
        awaitingFull.push(frame);
        emitPaired();
        return;
      }
      subscriber.next(frame);
    };

    /**
     * Emits, in order, the frames whose full-resolution picture has arrived. Not re-entrant, like
     * `pump`: a release during `next` that brings another picture only asks for another round.
     */
    let emitting = false;
    let emitAgain = false;
    const emitPaired = (): void => {
      if (emitting) {
        emitAgain = true;
        return;
      }
      emitting = true;
      do {
        emitAgain = false;
        while (!closed && awaitingFull.length > 0 && fullDone.has(awaitingFull[0]!.index)) {
          const frame = awaitingFull.shift()!;
          frame.full = fullDone.get(frame.index);
          fullDone.delete(frame.index);
          subscriber.next(frame);
        }
      } while (emitAgain && !closed);
      emitting = false;
    };

    /**
     * Copies queued stdout bytes into pooled frames, in order. Not re-entrant: emitting a frame can
     * release another synchronously and call back in here, which only asks for another round.
     * stdout stays paused while any bytes wait, so at most one chunk (64 KiB) waits here.
     */
    const pump = (): void => {
      if (pumping) {
        pumpAgain = true;
        return;
      }
      pumping = true;
      do {
        pumpAgain = false;
        tryEmit();
        while (queue.length > 0 && !closed && (live || !complete)) {
          if (!current && !skipping) {
            current = pool.tryAcquire();
            if (!current && live) {
              // Never stop reading a live source: drop a frame instead.
              if (opts.on_full === 'drop-old' && complete) {
                // The held-back frame is the oldest waiting: its slot takes the new one.
                current = complete;
                complete = undefined;
                drop(undefined, current.index);
                current.discontinuity = false;
              } else {
                skipping = true;
                filledScratch = 0;
                scratchIndex = nextIndex++;
                continue;
              }
            }
            if (!current) {
              if (!waitingForPool) {
                waitingForPool = true;
                pool.onAvailable(() => {
                  waitingForPool = false;
                  pump();
                });
              }
              break;
            }
            current.index = nextIndex++;
            current.discontinuity = current.index === 0;
            current.notes.clear();
            current.active = geometry.active;
            filled = 0;
          }
          if (!current) {
            // Skipping a dropped frame's bytes (drop-new).
            filledScratch = fillFromQueue(queue, undefined, filledScratch, frameSize);
            if (filledScratch === frameSize) {
              skipping = false;
              drop(undefined, scratchIndex);
            }
            continue;
          }
          filled = fillFromQueue(queue, imageBytes(current.image), filled, frameSize);
          if (filled === frameSize) {
            if (complete) drop(complete, complete.index); // drop-old: a newer frame replaces it
            complete = current;
            current = undefined;
            tryEmit();
          }
        }
      } while (pumpAgain && !closed);
      pumping = false;
      if (closed) return;
      if (queue.length === 0) stdout.resume();
      else stdout.pause();
      finishIfDone();
    };

    const finishIfDone = (): void => {
      if (closed || !stdoutEnded || !exited || complete || queue.length > 0) return;
      if (full && (!fullEnded || fullQueue.length > 0)) return;
      closed = true;
      const unpaired = awaitingFull.length > 0 || fullDone.size > 0 || fullCurrent !== undefined;
      releaseFull();
      if (current) {
        current.release();
        current = undefined;
        if (filled > 0) {
          subscriber.error(
            new RuntimeFailure(
              'E_INPUT_CORRUPT',
              `${run.input.label}: the decoder stopped in the middle of a frame`,
            ),
          );
          return;
        }
      }
      if (firstError) {
        subscriber.error(
          new RuntimeFailure('E_INPUT_CORRUPT', `${run.input.label} is damaged: ${firstError}`),
        );
        return;
      }
      if (full && (unpaired || fullNext !== nextIndex)) {
        subscriber.error(
          new RuntimeFailure(
            'E_FFMPEG',
            `decoding ${run.input.label}: the decoder gave ${nextIndex} proxy frames but ${fullNext} full-resolution ones`,
          ),
        );
        return;
      }
      if (nextIndex === 0) {
        subscriber.error(new RuntimeFailure('E_INPUT_EMPTY', `${run.input.label} has no video frames`));
        return;
      }
      subscriber.complete();
    };

    // The full-resolution pictures (pipe:3), read into the ring in order and paired with their
    // proxy frame by index when it is emitted. Like stdout, the pipe is paused while bytes wait.
    const fullDone = new Map<number, FullPicture>(); // complete, waiting for their proxy frame
    const awaitingFull: Frame[] = []; // proxy frames complete, waiting for their picture
    const fullQueue: Buffer[] = [];
    let fullCurrent: FullPicture | undefined;
    let fullFilled = 0;
    let fullNext = 0;
    let fullEnded = !full;
    let fullWaiting = false;
    let fullPumping = false;
    let fullAgain = false;
    const fullPipe = full ? (proc.child.stdio[3] as Readable) : undefined;
    const releaseFull = (): void => {
      fullQueue.length = 0;
      fullCurrent?.release();
      fullCurrent = undefined;
      for (const picture of fullDone.values()) picture.release();
      fullDone.clear();
      for (const frame of awaitingFull) frame.release();
      awaitingFull.length = 0;
    };
    const pumpFull = (): void => {
      if (!full || !fullPipe) return;
      if (fullPumping) {
        fullAgain = true;
        return;
      }
      fullPumping = true;
      const size = full.ring.bytes;
      do {
        fullAgain = false;
        while (fullQueue.length > 0 && !closed) {
          if (!fullCurrent) {
            fullCurrent = full.ring.tryAcquire();
            if (!fullCurrent) {
              if (!fullWaiting) {
                fullWaiting = true;
                full.ring.onAvailable(() => {
                  fullWaiting = false;
                  pumpFull();
                });
              }
              break;
            }
            fullFilled = 0;
          }
          fullFilled = fillFromQueue(fullQueue, fullCurrent.bytes, fullFilled, size);
          if (fullFilled === size) {
            fullDone.set(fullNext++, fullCurrent);
            fullCurrent = undefined;
            emitPaired();
          }
        }
      } while (fullAgain && !closed);
      fullPumping = false;
      if (closed) return;
      if (fullQueue.length === 0) fullPipe.resume();
      else fullPipe.pause();
      finishIfDone();
    };
    if (fullPipe) {
      // A failed ffmpeg closes the pipe: its exit status says why.
      fullPipe.on('error', () => {});
      fullPipe.on('data', (chunk: Buffer) => {
        fullQueue.push(chunk);
        pumpFull();
      });
      fullPipe.on('end', () => {
        fullEnded = true;
        finishIfDone();
      });
    }

    stdout.on('data', (chunk: Buffer) => {
      queue.push(chunk);
      pump();
    });
    stdout.on('end', () => {
      stdoutEnded = true;
      finishIfDone();
    });
    proc.exited.then(
      () => {
        exited = true;
        finishIfDone();
      },
      (err: unknown) => {
        if (closed) return;
        closed = true;
        current?.release();
        current = undefined;
        complete?.release();
        complete = undefined;
        releaseFull();
        subscriber.error(
          firstError
            ? new RuntimeFailure('E_INPUT_CORRUPT', `${run.input.label} is damaged: ${firstError}`, {
                cause: err,
              })
            : err,
        );
      },
    );

    return () => {
      closed = true;
      queue.length = 0;
      current?.release();
      current = undefined;
      complete?.release();
      complete = undefined;
      releaseFull();
      proc.kill('SIGKILL');
    };
  });
}

export const decode = defineStage({
  kind: 'source',
  name: 'decode',
  description: 'Reads the input with ffmpeg into pooled RGB frames (8 or 16 bits), exact timestamps kept',
  ends: 'file',
  options,
  // Files only: a live source that drops frames would drop them from one output and not the other.
  servesFullFrames: (opts) => opts.on_full === 'block',
  open: (opts, run) => {
    const file = endsOf(run, 'file', 'decode');
    const frames = decodeFrames(opts, file);
    if (!file.hdr) return frames;
    // An HDR source: the stages see its SDR view (color/hdr.ts); the encoder carries their
    // corrections back to the HDR signal.
    const view = new HdrView(file.hdr);
    return frames.pipe(
      map((frame) => {
        view.toSdrInPlace(frame.image.data);
        return frame;
      }),
    );
  },
});
