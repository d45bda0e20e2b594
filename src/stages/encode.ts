/**
 * encode: the sink. A second ffmpeg reads the input itself (full resolution, never through
 * JavaScript), applies each frame's 3D LUT with `haldclut` (tetrahedral), and encodes.
 *
 * `pixels: frames` instead encodes the frames as they leave Node (their graded pixels, else the
 * decoded ones), for pipelines whose frames are the full-resolution picture (no downscale, no
 * merge): `vgrade detune`, which must apply the detune table exactly, not through a LUT. The frames
 * travel on pipe:3 in the same Matroska stream, and the input's own video, decoded again, still
 * sets the timing: `blend` with opacity 0 outputs the second input's pixels exactly (checked on
 * 4.1 and 5.1, 8 and 16 bits) with the first input's timestamps, aspect ratio and colour tags,
 * pairing frames by timestamp just as `haldclut` pairs LUTs. The encoder's copy of the input is
 * turned upright like the decoder's, so a rotated source comes out with upright pixels.
 *
 * The per-frame LUTs travel to it as a stream of 16-bit Hald CLUT images in Matroska on pipe:3
 * (see `ffmpeg/mkvWriter.ts`), each stamped with its frame's timestamp, so `haldclut` pairs every source
 * frame with its own LUT even at a variable frame rate. Audio, subtitles, chapters, metadata,
 * rotation (`-noautorotate` keeps the pixels and the display matrix as they are), colour tags,
 * interlacing (the field order, and x264 coding fields) and timestamps (frame-rate passthrough)
 * are carried over from the input.
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
import type { Logger } from '../util/logger.js';
import { Observable, type OperatorFunction } from '../util/rx.js';
import type { Writable } from 'node:stream';
import { defineStage, endsOf, type FileRunContext, type FullFrameFormat } from './stage.js';
import type { OptionValues } from './options.js';
import type { Frame } from '../frame/frame.js';
import { FfmpegExitError, spawnFfmpeg, type FfmpegProcess } from '../ffmpeg/spawn.js';
import { meaningfulLines, STDERR_TAIL_CHARS } from '../ffmpeg/stderr.js';
import { FfmpegArgs } from '../ffmpeg/args.js';
import { OutputClosedError, writeWithBackpressure } from '../operators/writeWithBackpressure.js';
import { allocLut, identityLut, scaleLut, STRENGTH_RANGE, type Lut3d } from '../correction/lut3d.js';
import { haldCubeSize, haldSide, writeHald16 } from '../correction/hald.js';
import { imageBytes, rawPixelFormat } from '../image/image.js';
import { mkvAnchor, mkvFramePrefix, mkvHeader } from '../ffmpeg/mkvWriter.js';
import { WasmYuv420Lut } from '../lut/yuv420Wasm.js';
import { yuv420Frame } from '../lut/yuv420.js';
import { codingOfTags } from '../lut/coding.js';
import { planEncoder, rgbPixFmt } from '../ffmpeg/encoderSettings.js';
import { rotationPlan } from '../ffmpeg/rotation.js';
import { convertsByField, topFieldFirst, videoDecoderOptions } from '../ffmpeg/probe.js';
import { HdrView, hdrTransfer } from '../color/hdr.js';
import { RuntimeFailure, UsageError } from '../util/errors.js';
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
    ...STRENGTH_RANGE,
    help: 'The whole correction scaled towards the identity (0: untouched, 1: as graded, 1.5: half as much again)',
  },
  apply: {
    type: 'enum',
    values: ['auto', 'encoder', 'node'],
    default: 'auto',
    help: "Where each frame's LUT meets the full-resolution picture: encoder (its ffmpeg decodes the input again, haldclut), node (the decoder's own pictures, through the LUT composed into Y'CbCr: one decode; 8-bit 4:2:0 sources), auto (node where the source allows it)",
  },
  pixels: {
    type: 'enum',
    values: ['lut', 'frames'],
    default: 'lut',
    help: "lut: the input re-read at full resolution through each frame's LUT; frames: the frames from Node as they are (exact; they must be full resolution)",
  },
} as const;

type Options = OptionValues<typeof options>;

/** The encoder's ffmpeg arguments. */
export function encoderArgs(
  opts: Options,
  run: Pick<FileRunContext, 'input' | 'output' | 'media' | 'caps' | 'geometry' | 'fullFrames'> & {
    readonly logger?: Logger;
  },
): string[] {
  const media = run.media;
  const fullSize = {
    width: media?.video?.width ?? run.geometry.width,
    height: media?.video?.height ?? run.geometry.height,
  };
  const plan = planEncoder(run.output, media, opts, run.caps, fullSize);
  if (plan.subtitlesLeftOut) {
    run.logger?.warn(
      { output: run.output.label, streams: plan.subtitlesLeftOut },
      "subtitles the output's container cannot hold are left out (Matroska, .mkv, holds any)",
    );
  }
  const frames = opts.pixels === 'frames';
  const target = run.output.path === '-' ? '-' : (run.output.tmpPath ?? run.output.path);
  const fieldOrder = media?.video?.fieldOrder;
  // An interlaced source's Y'CbCr is converted to RGB and back field by field: each field's 4:2:0
  // chroma is its own, and converting the woven frame would mix the two fields' chroma.
  const interlaced = convertsByField(media?.video);
  const toRgb = interlaced ? 'scale=interl=1,' : '';
  let graph: string;
  let toOutput = outputConversion(plan.videoArgs, interlaced);
  if (run.fullFrames) {
    // The graded pictures arrive in the output's own layout and coding: nothing to convert. The
    // pixel aspect ratio, which the Matroska stream does not carry, comes from the source.
    const sar = media?.video?.sampleAspectRatio;
    graph = `[1:v:0]${sar ? `setsar=${sar.replace(':', '/')}` : 'null'}[graded]`;
    toOutput = undefined;
  } else if (frames) {
    graph = framesGraph(run.geometry.depth, media?.video?.hasAlpha === true, toRgb);
  } else {
    // With alpha where the source has it: haldclut grades the colour and passes deep alpha on
    // (its conversion is exact); 8-bit alpha is copied around the LUT (alphaextract, alphamerge),
    // as ffmpeg 5.1's conversion of RGBA to planar GBRA moved it by a code.
    const alpha = media?.video?.hasAlpha === true;
    const copiesAlpha = alpha && run.geometry.depth === 8;
    const lutAlpha = alpha && !copiesAlpha;
    const mainFormat = run.caps.floatHaldclut
      ? `gbr${lutAlpha ? 'a' : ''}pf32le`
      : rgbPixFmt(run.geometry.depth === 16, lutAlpha, 'le');
    const lut = `${toRgb}format=${mainFormat}[main];[1:v:0]format=rgb48le[clut];[main][clut]haldclut=interp=tetrahedral`;
    graph = copiesAlpha ? alphaCopiedAround(lut) : `[0:v:0]${lut}[graded]`;
  }
  // The frames leave the graph marked with the source's field order, whichever road made them,
  // so the encoder codes the right fields.
  const setField = fieldOrder ? `setfield=${topFieldFirst(fieldOrder) ? 'tff' : 'bff'}` : undefined;
  if (toOutput || setField) {
    graph += `;[graded]${[toOutput, setField].filter(Boolean).join(',')}[out]`;
  }
  return (
    new FfmpegArgs()
      .global('-hide_banner', '-nostdin', '-loglevel', 'level+error', '-y')
      .global('-filter_complex', graph)
      // -noautorotate: the pixels stay as stored and the rotation is put back as metadata.
      .input(run.input.ffmpegInput, {
        format: run.input.format,
        options: [
          ...(run.input.inputOptions ?? []),
          ...videoDecoderOptions(run.media?.video),
          ...(rotationPlan(run.media, run.output, frames) === 'rotate-pixels' ? [] : ['-noautorotate']),
        ],
      })
      .input('pipe:3', { format: 'matroska' })
      .output(target, {
        format: run.output.format,
        options: [
          '-map',
          toOutput || setField ? '[out]' : '[graded]',
          ...plan.streamArgs,
          ...run.caps.passthroughArgs,
          ...plan.videoArgs,
          ...plan.muxerArgs,
        ],
      })
      .toArray()
  );
}

/**
 * `pixels: frames`: the frames from Node (input 1) on the source's clock (input 0), in planar RGB,
 * which `blend` takes at 8 and 16 bits (packed RGB to planar is lossless): blend's normal mode at
 * opacity 0 takes the second input's plane, at 1 the first's. The frames come without alpha, so a
 * source's alpha plane is put back as it was: at 16 bits through blend (RGBA64 to planar GBRA is
 * exact); at 8 bits copied with alphaextract and alphamerge, since ffmpeg 5.1's conversion of
 * RGBA to planar GBRA moved alpha by a code (and alphamerge takes no 16-bit formats).
 */
export function framesGraph(depth: 8 | 16, alpha: boolean, toRgb: string): string {
  const blend = (format: string, opacity: string): string =>
    `format=${format}[main];[1:v:0]format=${format}[frames];[main][frames]blend=all_mode=normal:${opacity}`;
  if (!alpha) return `[0:v:0]${toRgb}${blend(depth === 16 ? 'gbrp16le' : 'gbrp', 'all_opacity=0')}[graded]`;
  if (depth === 16) {
    return `[0:v:0]${toRgb}${blend('gbrap16le', 'c0_opacity=0:c1_opacity=0:c2_opacity=0:c3_opacity=1')}[graded]`;
  }
  return alphaCopiedAround(`${toRgb}${blend('gbrp', 'all_opacity=0')}`);
}

/**
 * `[graded]` from the source (input 0) through `chain`, a filter chain that ends in RGB without
 * alpha, with the source's 8-bit alpha plane copied around it code for code.
 */
function alphaCopiedAround(chain: string): string {
  return `[0:v:0]split[source][alpha];[source]${chain}[rgb];[alpha]alphaextract[plane];[rgb][plane]alphamerge[graded]`;
}

/** swscale's names of the Y'CbCr matrices ffprobe reports (`color_space`). */
const SWS_MATRIX: Readonly<Record<string, string>> = {
  bt709: 'bt709',
  bt470bg: 'bt470',
  smpte170m: 'smpte170m',
  smpte240m: 'smpte240m',
  fcc: 'fcc',
  bt2020nc: 'bt2020',
  bt2020c: 'bt2020',
};

/**
 * The conversion of the graded RGB to the output's Y'CbCr, with the matrix and range the output
 * is tagged with, or undefined where ffmpeg's own choice is right (RGB output, no matrix tag, a
 * progressive picture). Needed because ffmpeg 5.1 converts to RGB with the source's matrix but
 * back with BT.601 whatever the tags say: an identity grade of a BT.709 clip moved a saturated
 * red from Y'CbCr (98, 103, 209) to (111, 94, 209). (ffmpeg 4.1 used the tags both ways.) An
 * interlaced picture is converted field by field (`interl=1`), whatever the output.
 */
export function outputConversion(videoArgs: readonly string[], interlaced = false): string | undefined {
  const value = (flag: string): string | undefined => {
    const i = videoArgs.indexOf(flag);
    return i >= 0 ? videoArgs[i + 1] : undefined;
  };
  const pix = value('-pix_fmt') ?? '';
  const matrix = SWS_MATRIX[value('-colorspace') ?? ''];
  const options: string[] = [];
  if (/^(yuv|nv|p0|p2)/.test(pix) && matrix !== undefined) {
    const range = value('-color_range');
    options.push(`out_color_matrix=${matrix}`);
    if (range === 'tv' || range === 'pc') options.push(`out_range=${range}`);
  }
  if (interlaced) options.push('interl=1');
  return options.length > 0 ? `scale=${options.join(':')}` : undefined;
}

/** What pipe:3 carries: a Matroska header, then one picture per frame. */
interface FramePictures {
  readonly header: Uint8Array;
  /**
   * True when the stream must start at 0 with a copy of the first picture (a LUT at 0 that the
   * source's first frame pairs with); false when the header's anchor keeps the timestamps.
   */
  readonly padStart: boolean;
  /** The frame's picture; its bytes stay untouched until `done(frame)`. */
  picture(frame: Frame): Uint8Array;
  /** The frame's picture is written (or never will be): its buffer may be reused. */
  done(frame: Frame): void;
}

/** `pixels: lut`: each frame's LUT (after `strength`) as a 16-bit Hald CLUT image. */
function haldPictures(opts: Options, run: FileRunContext): FramePictures {
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
  // An HDR source: the frames' LUTs correct its SDR view, and are carried back to its signal here.
  const view = run.hdr ? new HdrView(run.hdr) : undefined;
  let onSignal: Lut3d | undefined;
  const toSignal = (lut: Lut3d): Lut3d => {
    if (!view) return lut;
    if (onSignal?.size !== lut.size) onSignal = allocLut(lut.size);
    return view.composeLut(lut, onSignal);
  };
  return {
    header: mkvHeader(side, side, 'rgb48le'),
    padStart: true,
    picture: (frame) => {
      const hald = spare.pop() ?? new Uint16Array(side * side * 3);
      inUse.set(frame, hald);
      // The frame's LUT is final here (after merge and blend): `strength` trims the whole
      // correction, whichever stages made it.
      if (frame.lut) {
        const lut = frame.lut as Lut3d;
        writeHald16(toSignal(strength === 1 ? lut : scaleLut(lut, strength, scaled(lut.size))), level, hald);
      } else {
        writeHald16(identity, level, hald);
      }
      return new Uint8Array(hald.buffer, hald.byteOffset, hald.byteLength);
    },
    done: (frame) => {
      const buffer = inUse.get(frame);
      if (buffer) {
        inUse.delete(frame);
        spare.push(buffer);
      }
    },
  };
}

/**
 * `pixels: frames`: each frame's own full-resolution pixels, the graded ones where a stage left
 * them. The frame stays checked out of the pool until they are written, so nothing is copied.
 */
function framePictures(run: FileRunContext): FramePictures {
  const { width, height, depth } = run.geometry;
  return {
    header: mkvHeader(width, height, rawPixelFormat(depth)),
    padStart: true,
    picture: (frame) => imageBytes(frame.hasGraded ? frame.graded : frame.image),
    done: () => {},
  };
}

/**
 * `apply: node`: each frame's full-resolution picture, graded in place through its LUT (after
 * `strength`) composed with the source's Y'CbCr coding (`lut/yuv420Wasm.ts`: a 33^3 lattice over
 * the 8-bit codes, tetrahedral, each 4:2:0 site's chroma the mean of its four lookups). The part
 * of a colour outside R'G'B' passes through, so a frame with no correction, or an identity LUT,
 * comes out exactly as decoded. The video track carries the graded pictures themselves, so an
 * anchor track keeps a late first frame's timestamp (see `mkvHeader`).
 */
function yuvPictures(
  opts: Options,
  run: FileRunContext,
  full: NonNullable<FileRunContext['fullFrames']>,
): FramePictures {
  const { width, height, pixFmt, coding, fields } = full.format;
  // The decoder's ring keeps its pictures in the kernel's memory: each is graded in place there
  // and written to the pipe from there, never copied in and out (two copies of the picture a frame).
  const kernel = new WasmYuv420Lut(width, height, { pictures: full.ring.capacity });
  full.ring.allocateWith(() => kernel.takePicture());
  const strength = opts.strength;
  let scratch: Lut3d | undefined;
  // A frame whose LUT is the identity (the classifier found nothing to undo over the whole blend
  // window) is left as decoded, with no lattice composed and no pass over its pixels: exactly what
  // the kernel would give, as the identity's lattice is exact at every point for every coding
  // (tested), so every lookup returns its own codes.
  let identity: Lut3d | undefined;
  const isIdentity = (lut: Lut3d): boolean => {
    if (identity?.size !== lut.size) identity = identityLut(lut.size);
    const a = lut.data;
    const b = identity.data;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  };
  const header = mkvHeader(width, height, pixFmt, { anchor: true });
  const anchor = mkvAnchor();
  const both = new Uint8Array(header.length + anchor.length);
  both.set(header);
  both.set(anchor, header.length);
  return {
    header: both,
    padStart: false,
    picture: (frame) => {
      const picture = frame.full;
      if (!picture) throw new Error(`frame ${frame.index} has no full-resolution picture to grade`);
      if (frame.lut && strength !== 0) {
        let lut = frame.lut;
        if (strength !== 1) {
          if (scratch?.size !== lut.size) scratch = allocLut(lut.size);
          lut = scaleLut(lut, strength, scratch);
        }
        if (!isIdentity(lut)) {
          kernel.compose(lut, { coding, outOfGamut: 'extend' }, YUV_LUT_STEP);
          const planes = yuv420Frame(width, height, picture.bytes);
          kernel.apply('average', planes, planes, fields);
        }
      }
      return picture.bytes;
    },
    done: () => {},
  };
}

/** Codes between lattice points of the Y'CbCr LUT: 33^3 points, within 1-2 levels of the float reference. */
const YUV_LUT_STEP = 8;

function encodeFrames(opts: Options, run: FileRunContext): OperatorFunction<Frame, Frame> {
  return (source) =>
    new Observable<Frame>((subscriber) => {
      const pictures = run.fullFrames
        ? yuvPictures(opts, run, run.fullFrames)
        : opts.pixels === 'frames'
          ? framePictures(run)
          : haldPictures(opts, run);
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
      const pipe3 = proc.child.stdio[3] as Writable;
      // A failed ffmpeg closes the pipe: its own exit status says why, so pipe errors wait for it.
      pipe3.on('error', () => {});
      pipe3.write(pictures.header);

      const chunks = (frame: Frame): Uint8Array[] => {
        const bytes = pictures.picture(frame);
        const parts = [mkvFramePrefix(frame.ptsMicros, bytes.length), bytes];
        if (first && pictures.padStart && frame.ptsMicros > 0) {
          // The pipe:3 stream must start at 0 like the source does after ffmpeg's start-time shift.
          parts.unshift(mkvFramePrefix(0, bytes.length), bytes);
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
          writeWithBackpressure<Frame>(pipe3, {
            chunks,
            written: (frame) => pictures.done(frame),
            release: (frame) => {
              pictures.done(frame);
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
              err instanceof OutputClosedError
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
            pipe3.end();
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
  ends: 'file',
  description:
    "Applies each frame's LUT to the full-resolution input in ffmpeg (haldclut), or takes the frames as they are, and encodes; other streams copied",
  options,
  check: (opts) => {
    if (opts.pixels === 'frames' && opts.strength !== 1) {
      throw new UsageError(
        'E_USAGE',
        `Expected 1 for strength with pixels frames (strength scales each frame's LUT; pixels frames encodes the frames as they are) but received ${opts.strength}`,
      );
    }
  },
  // Frames that are a proxy, or a LUT that nothing would apply, are refused rather than encoded.
  checkOrder: (opts, before) => {
    if (opts.pixels !== 'frames') return;
    if (before.has('proxy')) {
      throw new UsageError(
        'E_PIPELINE_ORDER',
        'encode with pixels frames encodes the frames themselves, so they must be full resolution: no downscale or oversample before it',
      );
    }
    if (before.has('lut')) {
      throw new UsageError(
        'E_PIPELINE_ORDER',
        "encode with pixels frames encodes the frames themselves and would ignore merge's LUT: remove merge, or use pixels lut",
      );
    }
  },
  fullFrames: (opts, run) => {
    if (opts.pixels === 'frames' || opts.apply === 'encoder') return undefined;
    const format = nodeApplyFormat(opts, run);
    if (typeof format === 'string') {
      if (opts.apply === 'node') throw new UsageError('E_USAGE', `encode apply node: ${format}`);
      return undefined;
    }
    return format;
  },
  create: (opts, run) => encodeFrames(opts, endsOf(run, 'file', 'encode')),
});

/**
 * The full-resolution pictures `apply: node` grades, or why this input or output cannot be graded
 * that way (then `auto` applies the LUT in the encoder, as for every other source).
 */
export function nodeApplyFormat(
  opts: Options,
  run: Pick<FileRunContext, 'media' | 'output' | 'caps'>,
): FullFrameFormat | string {
  const video = run.media?.video;
  if (!video) return 'the input was not described';
  const pixFmt = video.pixFmt;
  if (pixFmt !== 'yuv420p' && pixFmt !== 'yuvj420p')
    return `it grades 8-bit 4:2:0 Y'CbCr (yuv420p, yuvj420p) and the input is ${pixFmt}`;
  if (video.rotation !== 0) return 'the input is rotated';
  const hdr = hdrTransfer(video.colorTransfer);
  if (hdr) return `the input is HDR (${hdr}): its corrections are carried to the HDR signal in the encoder`;
  if (video.isStill) return 'the input is a still image';
  // The decoder hands Node pictures alone; the encoder's own decode keeps each frame's captions.
  if (video.closedCaptions) return 'the input carries closed captions in its video stream';
  const range = pixFmt === 'yuvj420p' || video.colorRange === 'pc' ? 'full' : 'limited';
  const coding = codingOfTags(video.colorSpace, range);
  if (!coding) return `the input's colour matrix (${video.colorSpace ?? 'untagged'}) is not one it models`;
  const plan = planEncoder(run.output, run.media, opts, run.caps, video);
  const out = plan.videoArgs[plan.videoArgs.indexOf('-pix_fmt') + 1];
  if (!plan.videoArgs.includes('-pix_fmt') || out !== pixFmt)
    return `the output is written as ${out ?? 'the encoder default'}, not the input's ${pixFmt}`;
  const fields = convertsByField(video) ? 'interlaced' : 'progressive';
  return { width: video.width, height: video.height, pixFmt, coding, fields };
}
