import type { Observable, OperatorFunction } from '../util/rx.js';
import type { Logger } from '../util/logger.js';
import type { Frame, FullPicture } from '../frame/frame.js';
import type { FramePool } from '../frame/pool.js';
import type { Depth, Rect } from '../image/image.js';
import type { OptionsTable, OptionValues } from './options.js';
import type { ResolvedBinaries } from '../ffmpeg/binaries.js';
import type { FfmpegCapabilities } from '../ffmpeg/capabilities.js';
import type { MediaInfo } from '../ffmpeg/probe.js';
import type { FieldLayout } from '../lut/yuv420.js';
import type { HdrTransfer } from '../color/hdr.js';
import type { InputSource } from '../ffmpeg/input.js';
import type { OutputTarget } from '../ffmpeg/output.js';
import type { RunRecord } from './records.js';
import type { PictureRing } from '../frame/pictureRing.js';
import type { YcbcrCoding } from '../lut/coding.js';
import type { Lut3d } from '../correction/lut3d.js';
import { UsageError } from '../util/errors.js';

/** The frames a stage receives: size and depth fixed for the whole stream. */
export interface FrameGeometry {
  readonly width: number;
  readonly height: number;
  readonly depth: Depth;
  /** Where the picture lies inside the frame (padding excluded). */
  readonly active: Rect;
}

/** Frames of context a stage holds: it sees `lookbehind` earlier and `lookahead` later frames. */
export interface StageContextNeeds {
  readonly lookbehind: number;
  readonly lookahead: number;
}

/**
 * What a stage leaves on each frame, so the compiler can check that every stage's `requires` is
 * met by a stage before it (a grader feeds `merge`, the classifier's findings feed `invert`).
 * `proxy`: the frames are no longer the input's full-resolution picture (a stage inside the
 * decoder resized them); the compiler adds it itself.
 */
export type FrameProduct = 'graded' | 'correction' | 'lut' | 'proxy' | 'findings';

/** Each product as the compiler's messages name it ("invert needs the classifier's findings"). */
export const PRODUCT_NAMES: Readonly<Record<FrameProduct, string>> = {
  graded: 'graded frames',
  correction: 'a colour correction',
  lut: 'per-frame LUTs',
  proxy: 'proxy frames',
  findings: "the classifier's findings",
};

/**
 * A product a stage makes or needs: always, or only with these option values (`classify` feeds
 * later stages only with `wait: true`). The compiler checks and names the values in its messages.
 */
export type ProductDeclaration<T extends OptionsTable = OptionsTable> =
  FrameProduct | { readonly product: FrameProduct; readonly when: Partial<OptionValues<T>> };

/**
 * What the stream carries besides its frames' geometry, settled once when the pipeline is
 * compiled: each stage's `negotiate` sees the format the stages before it leave.
 */
export interface StreamFormat {
  /** Hald level of the per-frame LUTs (the lattice has level^2 points per axis). */
  readonly haldLevel: number;
}

/** The format before any stage changes it. */
export const DEFAULT_STREAM_FORMAT: StreamFormat = { haldLevel: 6 };

/**
 * Full-resolution pictures that the source hands to Node beside each (proxy) frame, when the sink
 * grades them there (`encode`'s `apply: node`): 8-bit 4:2:0 Y'CbCr as the source stores it.
 */
export interface FullFrameFormat {
  readonly width: number;
  readonly height: number;
  /** ffmpeg's name of the planes' layout: yuvj420p is full range. */
  readonly pixFmt: 'yuv420p' | 'yuvj420p';
  /** How the codes become R'G'B': the source's matrix and range. */
  readonly coding: YcbcrCoding;
  /** Whether the picture is two fields (graded each on its own lines) or one. */
  readonly fields: FieldLayout;
}

/**
 * What every stage knows of the stream it works on, fixed for the whole run: its frames, the
 * compiled pipeline's format, and which input it is.
 */
export interface StreamInfo extends StreamFormat {
  readonly geometry: FrameGeometry;
  /** The input's name, as messages and records give it (`InputSource.label`). */
  readonly label: string;
  /** The input's frames per second, when it says (export's EDL timecodes). */
  readonly frameRate?: number;
  /** The input's start timecode, when it states one (export's EDL times count from it). */
  readonly startTimecode?: string;
  /**
   * The input's HDR transfer, when it has one: the frames are then its SDR view (`color/hdr.ts`),
   * and each correction made on them is carried back to the HDR signal where it is applied.
   */
  readonly hdr?: HdrTransfer;
}

/** What the run lends every stage of one input. */
export interface RunServices {
  readonly logger: Logger;
  /** ffmpeg and ffprobe: the source and sink run them, and `match` reads its reference with them. */
  readonly binaries: ResolvedBinaries;
  /** Counters a run reports (e.g. `droppedFrames` from a live decoder). */
  readonly stats?: Map<string, number>;
  /** Aborted when the user interrupts. */
  readonly signal: AbortSignal;
  /** Receives the records stages make (classify's findings), in the order they are made. */
  readonly onRecord?: (record: RunRecord) => void;
}

/** What a transform stage is given: it sees frames, never the input or output themselves. */
export type TransformContext = StreamInfo & RunServices;

/**
 * What only the ends of a file run touch (`decode` and `encode`): the input and output, and the
 * frame pool the source fills. The pool holds just the frames the stages' context needs
 * (`CompiledPipeline.poolSize`): a transform that took one could starve the source.
 */
export interface FileIo {
  readonly kind: 'file';
  readonly input: InputSource;
  readonly output: OutputTarget;
  readonly media: MediaInfo | undefined;
  readonly caps: FfmpegCapabilities;
  readonly pool: FramePool;
  /** The ffmpeg filters that stages fused into the decoder (e.g. downscale), in order. */
  readonly decoderFilters: readonly string[];
  /**
   * Set when the sink asked for full-resolution pictures: the source fills one from `ring` for
   * each frame (`Frame.full`), in this format.
   */
  readonly fullFrames?: { readonly format: FullFrameFormat; readonly ring: PictureRing };
}

/**
 * One picture of a live input (`vgrade preview`'s camera), at the preview's size, as rgb24: what
 * the `live` source makes a frame's proxy from and hands on as the frame's `full` picture.
 */
export interface LivePicture extends FullPicture {
  /** Counts every picture the live input read, across reconnections: later is larger. */
  readonly seq: number;
  /** Epoch ms at which the picture entered ffmpeg (estimated: see the preview's `EntryClock`). */
  readonly enteredAt: number;
  /** The first picture after a (re)connection, a freeze or a drop: temporal stages restart. */
  readonly discontinuity: boolean;
}

/** The pictures a live input hands to one run of a live pipeline. */
export interface LiveInlet {
  /** The pictures' size (rgb24). */
  readonly width: number;
  readonly height: number;
  /** Each picture handed in, in order; completes when the run is closed. */
  readonly pictures: Observable<LivePicture>;
}

/** A graded live picture, as the `preview` sink shows it: valid only while `show` runs. */
export interface ShownPicture {
  readonly picture: LivePicture;
  /** The picture graded: `picture.bytes` itself where the look is undefined. */
  readonly after: Uint8Array;
  /** The LUT that made `after` (the frame's correction and whatever the display adds). */
  readonly look: Lut3d | undefined;
  /** The frame, for what stages left on it (the classifier's findings). */
  readonly frame: Frame;
}

/** Where a live run's graded pictures go (`vgrade preview`'s page and recorder). */
export interface PictureDisplay {
  /**
   * The LUT to show a frame with, given the correction the pipeline found (undefined: none): the
   * display may add its own look (the preview's trims), or leave the picture as it is (undefined).
   */
  look(correction: Lut3d | undefined): Lut3d | undefined;
  show(shown: ShownPicture): void;
}

/** What only the ends of a live run touch (`live` and `preview`): the live input and the display. */
export interface LiveIo {
  readonly kind: 'live';
  readonly pool: FramePool;
  readonly live: LiveInlet;
  readonly display: PictureDisplay;
}

/** What only the ends of the stream touch: a file run's or a live run's. */
export type RunIo = FileIo | LiveIo;

/** Everything the source and the sink are given: one per graded input. */
export type FileRunContext = TransformContext & FileIo;
export type LiveRunContext = TransformContext & LiveIo;
export type RunContext = FileRunContext | LiveRunContext;

/** Where a source reads and a sink writes: files and streams, or a live input and its display. */
export type StreamEnds = RunIo['kind'];

/**
 * The run's context as a stage for `ends` needs it; a clear error where the pipeline's ends and
 * the run's differ (a live pipeline given to `vgrade grade`).
 */
export function endsOf<K extends StreamEnds>(
  run: RunContext,
  ends: K,
  stage: string,
): Extract<RunContext, { kind: K }> {
  if (run.kind !== ends) {
    const runs = run.kind === 'live' ? 'a live preview' : 'a file or stream';
    throw new UsageError(
      'E_PIPELINE_ORDER',
      `${stage} works on ${ends === 'live' ? 'a live input' : 'files and streams'}, but this run is ${runs}: ` +
        (ends === 'live'
          ? 'run this pipeline with vgrade preview'
          : 'a preview pipeline starts with live and ends with preview'),
    );
  }
  return run as Extract<RunContext, { kind: K }>;
}

interface StageBase<T extends OptionsTable> {
  /** The YAML key. */
  readonly name: string;
  /** One line for `vgrade explain`, the schema and the README. */
  readonly description: string;
  readonly options: T;
  /** Checks option values beyond their table (e.g. a detune list); throws a UsageError. */
  check?(options: OptionValues<T>): void;
  /** Frames of context the stage holds; none when absent. */
  context?(options: OptionValues<T>): StageContextNeeds;
  /**
   * Starts slow preparation (a model worker's load) as soon as the pipeline is compiled, so it
   * overlaps probing the input; `create` later takes what it started. Must not throw: problems
   * are reported by `create`.
   */
  warm?(options: OptionValues<T>): void;
  /** Products a stage before this one must leave on the frames, or the compiler refuses the file. */
  readonly requires?: readonly ProductDeclaration<T>[];
  /** Products this stage leaves on the frames, for the stages after it. */
  readonly produces?: readonly ProductDeclaration<T>[];
  /**
   * The stream's format after this stage, given the format it receives (`merge` sets the LUT
   * level); the compiler asks each stage in order. Absent: the format passes through unchanged.
   */
  negotiate?(options: OptionValues<T>, format: StreamFormat): StreamFormat;
  /**
   * Checks the stage's place for these options, given what the stages before it produce (where a
   * fixed `requires` is not enough); throws a UsageError saying where it belongs.
   */
  checkOrder?(options: OptionValues<T>, before: ReadonlySet<FrameProduct>): void;
}

/** Produces the stream's frames (`decode`). */
export interface SourceStage<T extends OptionsTable = OptionsTable> extends StageBase<T> {
  readonly kind: 'source';
  /** What it reads: files and streams (`decode`), or a live input (`live`). */
  readonly ends: StreamEnds;
  /**
   * Frames the source lets inside the pipeline at once, for these options: a live source drops
   * what comes while they are all inside. Absent: the pool alone bounds them (a file waits).
   */
  maxInFlight?(options: OptionValues<T>): number;
  /** True when, with these options, the source can fill `Frame.full` as `RunContext.fullFrames` asks. */
  servesFullFrames?(options: OptionValues<T>): boolean;
  open(options: OptionValues<T>, run: RunContext): Observable<Frame>;
}

/**
 * Changes frames in Node, or, when `decoderFilter` is given and the stage directly follows
 * `decode`, inside the decoder's ffmpeg (so full-resolution pixels never reach JavaScript).
 */
export interface TransformStage<T extends OptionsTable = OptionsTable> extends StageBase<T> {
  readonly kind: 'transform';
  /**
   * The ffmpeg filter this stage becomes inside the decoder, and the frames it then produces from
   * frames of `source`'s geometry (the input's, or the previous decoder stage's).
   */
  decoderFilter?(
    options: OptionValues<T>,
    source: FrameGeometry,
  ): { filter: string; geometry: FrameGeometry };
  /**
   * True when, with these options, the live source can make what `decoderFilter` makes (an area
   * average of the whole picture into the proxy's picture rectangle): then it may follow `live`.
   */
  madeByLiveSource?(options: OptionValues<T>): boolean;
  /** True when these options leave every frame as it is. */
  isIdentity?(options: OptionValues<T>): boolean;
  create(options: OptionValues<T>, run: TransformContext): OperatorFunction<Frame, Frame>;
}

/** Consumes frames (`encode`); passes each on once it is written, for progress and release. */
export interface SinkStage<T extends OptionsTable = OptionsTable> extends StageBase<T> {
  readonly kind: 'sink';
  /** What it writes to: files and streams (`encode`), or a live display (`preview`). */
  readonly ends: StreamEnds;
  /**
   * The full-resolution pictures this sink wants from the source beside each frame, for this
   * input and output, or undefined to take only the frames (asked before the source starts).
   */
  fullFrames?(
    options: OptionValues<T>,
    run: Pick<FileRunContext, 'media' | 'output' | 'caps' | 'geometry'>,
  ): FullFrameFormat | undefined;
  create(options: OptionValues<T>, run: RunContext): OperatorFunction<Frame, Frame>;
}

export type StageDefinition<T extends OptionsTable = OptionsTable> =
  SourceStage<T> | TransformStage<T> | SinkStage<T>;

/** Identity for `defineStage`, so option values are typed from the table inside the definition. */
export function defineStage<T extends OptionsTable>(stage: SourceStage<T>): SourceStage<T>;
export function defineStage<T extends OptionsTable>(stage: TransformStage<T>): TransformStage<T>;
export function defineStage<T extends OptionsTable>(stage: SinkStage<T>): SinkStage<T>;
export function defineStage<T extends OptionsTable>(stage: StageDefinition<T>): StageDefinition<T> {
  return stage;
}
