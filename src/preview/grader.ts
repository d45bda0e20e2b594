import { EventEmitter } from 'node:events';
import { Observable, Subject, type Subscription } from '../util/rx.js';
import type { CompiledPipeline, CompiledStage } from '../pipeline/compile.js';
import { decoderGeometry } from '../pipeline/compile.js';
import { buildStream } from '../run/grade.js';
import { FramePool } from '../frame/pool.js';
import type {
  LivePicture,
  LiveRunContext,
  PictureDisplay,
  ShownPicture,
  SourceStage,
} from '../stages/stage.js';
import { FINDINGS } from '../stages/classify.js';
import type { FrameRecord } from '../stages/records.js';
import type { Logger } from '../util/logger.js';
import type { ResolvedBinaries } from '../ffmpeg/binaries.js';
import { UsageError } from '../util/errors.js';
import type { LiveFrame } from './liveSource.js';
import type { Lut3d } from '../correction/lut3d.js';
import { composeLook, IDENTITY_TRIMS, type Trims } from './trims.js';

/** One graded picture: the source and the grade, at the preview's size (rgb24). */
export interface GradedPicture {
  readonly seq: number;
  readonly enteredAt: number;
  readonly before: Buffer;
  readonly after: Buffer;
  /** The pipeline that graded it. */
  readonly pipeline: string;
  /**
   * The pipeline is still starting (a model loading in its thread): this picture is the source as
   * it came, shown while the grade gets ready.
   */
  readonly warming: boolean;
  /** The classifier's record for this frame, when the pipeline has a classify stage. */
  readonly findings: FrameRecord | undefined;
  /**
   * The LUT that made `after` from `before` (the correction with the trims), or undefined when
   * `after` is `before`. Like the pictures, valid only while the listeners run.
   */
  readonly look: Lut3d | undefined;
}

export interface GraderEnvironment {
  readonly width: number;
  readonly height: number;
  readonly logger: Logger;
  readonly binaries: ResolvedBinaries;
  readonly label: string;
  /** `--strength`: each frame's correction scaled towards the identity (1, the default: as graded). */
  readonly strength?: number;
  /** `off` (pipelines/preview-off.yaml): where the grader starts, and what a failed pipeline gives way to. */
  readonly off: CompiledPipeline;
}

/** A Buffer over the same bytes (no copy): what the preview's listeners are given. */
const asBuffer = (bytes: Uint8Array): Buffer =>
  Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * The live source of a pipeline the preview can run, one that starts with `live` and ends with
 * `preview`; a UsageError naming the file for any other (a file pipeline, or one with no sink).
 */
export function checkLivePipeline(pipeline: CompiledPipeline): CompiledStage & { definition: SourceStage } {
  const source = pipeline.stages[0]!;
  const sink = pipeline.stages.at(-1)!.definition;
  const { definition } = source;
  if (definition.kind !== 'source' || definition.ends !== 'live' || sink.kind !== 'sink') {
    throw new UsageError(
      'E_PIPELINE_ORDER',
      `${pipeline.spec.file} is not a live pipeline: the preview runs pipelines that start with live and end with preview (as pipelines/preview.yaml does)`,
    );
  }
  return { ...source, definition };
}

/**
 * One compiled live pipeline running on the file runtime's `buildStream`, from its `live` source
 * to its `preview` sink, with a frame pool of its own: pictures go in with `push`, and come out
 * graded through the display it was given.
 */
class LiveRun {
  private readonly input = new Subject<LivePicture>();
  /**
   * Pictures pushed while the stages do not listen yet: a stage that starts by reading something
   * (match, its reference) subscribes to its input only once it has it, and a live run pushes
   * pictures from the start. They are handed on, in order, when it subscribes; at most the run's
   * frames in flight wait here.
   */
  private readonly early: LivePicture[] = [];
  private readonly pool: FramePool;
  private readonly subscription: Subscription;
  /** Frames the source lets inside at once (its `in_flight`, at most the pool). */
  readonly maxInFlight: number;
  inFlight = 0;
  /** Whether a frame has come out of the stages yet: until then the pipeline is starting. */
  ready = false;

  constructor(
    readonly name: string,
    pipeline: CompiledPipeline,
    env: GraderEnvironment,
    display: PictureDisplay,
    onLeft: (run: LiveRun) => void,
    onError: (run: LiveRun, err: unknown) => void,
  ) {
    const source = checkLivePipeline(pipeline);
    const { geometry } = decoderGeometry(pipeline, { width: env.width, height: env.height, depth: 8 });
    this.pool = new FramePool(pipeline.poolSize, geometry.width, geometry.height, 8);
    const declared = source.definition.maxInFlight?.(source.options) ?? this.pool.capacity;
    this.maxInFlight = Math.min(this.pool.capacity, declared);
    const pictures = new Observable<LivePicture>((subscriber) => {
      const subscription = this.input.subscribe(subscriber);
      for (const picture of this.early.splice(0)) this.input.next(picture);
      return subscription;
    });
    const run: LiveRunContext = {
      kind: 'live',
      logger: env.logger.child({ pipeline: name }),
      binaries: env.binaries,
      geometry,
      ...pipeline.format,
      label: env.label,
      signal: new AbortController().signal,
      pool: this.pool,
      live: { width: env.width, height: env.height, pictures },
      display,
    };
    this.subscription = buildStream(pipeline, run).subscribe({
      next: (frame) => {
        this.inFlight--;
        frame.release();
        onLeft(this);
      },
      error: (err: unknown) => onError(this, err),
    });
  }

  /** Whether a picture pushed now would be taken. */
  get canTake(): boolean {
    return this.inFlight < this.maxInFlight && this.pool.available > 0;
  }

  /** Hands a picture to the stages (or holds it until they listen); the caller checked `canTake`. */
  push(picture: LivePicture): void {
    this.inFlight++;
    if (this.input.observed) this.input.next(picture);
    else this.early.push(picture);
  }

  close(): void {
    for (const picture of this.early.splice(0)) picture.release();
    this.input.complete();
    // Frames still inside (a worker's answer on its way) are released by the stages' teardown.
    setTimeout(() => this.subscription.unsubscribe(), 5000).unref();
  }
}

/**
 * Grades live frames with one compiled live pipeline at a time (`live` ... `preview`), switchable
 * while running, and never queues: a frame arriving while the pipeline already holds as many as
 * its `live` stage lets in is not graded (and counted), so the delay stays what the pipeline
 * needs, however far behind the machine falls. The pipeline sees the proxy its `live` source
 * makes; its `preview` sink grades the preview picture itself with the correction found, so what
 * is shown is sharp.
 *
 * A pipeline starts before it grades: its model loads in a worker thread, seconds on a busy
 * machine. Meanwhile every frame is shown as it came, marked `warming` (the page says "grading
 * starts"), so the picture is live at once; the pipeline's first graded frame ends that (`ready`).
 *
 * `off` (pipelines/preview-off.yaml) grades nothing; it runs until a pipeline is chosen, and again
 * after the chosen one fails. The trims ({@link setTrims}) follow the
 * correction on every graded picture, and make the whole look under `off`; a warming picture stays
 * as it came.
 */
export class LiveGrader extends EventEmitter<{
  picture: [GradedPicture];
  error: [Error];
  free: [];
  /** The pipeline (by name) graded its first frame. */
  ready: [string];
}> {
  private run: LiveRun | undefined;
  private current = 'off';
  private lastSeq = -1;
  private trims: Trims;
  /** Where each frame's look is composed (its correction with the trims). */
  private lookLut: Lut3d | undefined;
  /** The look of the trims alone (no correction: `off`), made once per change of the trims. */
  private trimsOnly: Lut3d | undefined;
  dropped = 0;

  constructor(
    private readonly env: GraderEnvironment,
    private readonly recycle: (data: Buffer) => void,
  ) {
    super();
    this.trims = { ...IDENTITY_TRIMS, strength: env.strength ?? IDENTITY_TRIMS.strength };
    this.trimsOnly = composeLook(undefined, this.trims);
    this.use('off', env.off);
  }

  /** The trims applied over every frame's correction from the next frame on ({@link composeLook}). */
  setTrims(trims: Trims): void {
    this.trims = trims;
    this.trimsOnly = composeLook(undefined, trims);
  }

  get currentTrims(): Trims {
    return this.trims;
  }

  get pipeline(): string {
    return this.current;
  }

  /**
   * Switches to a compiled live pipeline; frames already inside the one before finish. Throws a
   * UsageError, the pipeline unchanged, for one that is not live.
   */
  use(name: string, pipeline: CompiledPipeline): void {
    const run = new LiveRun(
      name,
      pipeline,
      this.env,
      this.displayFor(name),
      () => this.emit('free'),
      (failed, err) => {
        this.env.logger.error({ err, pipeline: failed.name }, 'pipeline failed: preview continues ungraded');
        // No correction until another is chosen; the trims still apply.
        if (this.run === failed) this.use('off', this.env.off);
        this.emit('error', err as Error);
      },
    );
    this.run?.close();
    this.run = run;
    this.current = name;
  }

  /** Whether the chosen pipeline is still starting (its pictures are shown ungraded meanwhile). */
  get warming(): boolean {
    return this.run !== undefined && !this.run.ready;
  }

  /** Frames inside the chosen pipeline now: never more than its `live` stage's `in_flight`. */
  get inFlight(): number {
    return this.run?.inFlight ?? 0;
  }

  /** Whether a frame pushed now would be shown (not dropped). */
  get canTake(): boolean {
    const run = this.run;
    return !run || !run.ready || run.canTake;
  }

  /**
   * Takes a live frame: graded, shown as it came while the pipeline starts, or not graded when
   * the pipeline is full.
   */
  push(live: LiveFrame): void {
    const run = this.run;
    if (!run) {
      // Closed: the preview is stopping.
      this.recycle(live.data);
      return;
    }
    const taken = run.canTake;
    if (taken) run.push(this.picture(live));
    // Asked after pushing: a pipeline without a model may have graded this very frame already.
    if (!run.ready) {
      // The pipeline may hold this frame to start with; graded, it will be older than what was
      // shown meanwhile, and not shown again.
      this.emitPicture(live.seq, live.enteredAt, live.data, live.data, run.name, undefined, true, undefined);
      if (!taken) this.recycle(live.data);
      return;
    }
    if (!taken) {
      this.dropped++;
      this.recycle(live.data);
    }
  }

  /** A live frame as the `live` stage takes it: its buffer goes back to the source when released. */
  private picture(live: LiveFrame): LivePicture {
    let released = false;
    return {
      seq: live.seq,
      enteredAt: live.enteredAt,
      discontinuity: live.discontinuity,
      bytes: live.data,
      release: () => {
        if (released) return;
        released = true;
        this.recycle(live.data);
      },
    };
  }

  /** What the `preview` sink of the pipeline `name` shows through: the trims, then the page. */
  private displayFor(name: string): PictureDisplay {
    return {
      // A frame the pipeline left ungraded (no LUT) gets the trims alone.
      look: (correction) => (correction ? this.trimmed(correction) : this.trimsOnly),
      show: (shown: ShownPicture) => {
        const run = this.run?.name === name ? this.run : undefined;
        if (run && !run.ready) {
          run.ready = true;
          this.emit('ready', name);
        }
        const { picture, frame } = shown;
        this.emitPicture(
          picture.seq,
          picture.enteredAt,
          asBuffer(picture.bytes),
          asBuffer(shown.after),
          name,
          frame.notes.get(FINDINGS),
          false,
          shown.look,
        );
      },
    };
  }

  /** The frame's LUT with the trims: `strength` as `encode` trims a file's, then their CDL. */
  private trimmed(lut: Lut3d): Lut3d {
    const look = composeLook(lut, this.trims, this.lookLut)!;
    if (look !== lut) this.lookLut = look;
    return look;
  }

  /** Emits a picture, unless a newer one was shown; its listeners copy what they keep. */
  private emitPicture(
    seq: number,
    enteredAt: number,
    before: Buffer,
    after: Buffer,
    pipeline: string,
    findings: FrameRecord | undefined,
    warming: boolean,
    look: Lut3d | undefined,
  ): void {
    // After a switch, a frame of the old pipeline may finish after one of the new: never go back.
    if (seq <= this.lastSeq) return;
    this.lastSeq = seq;
    this.emit('picture', { seq, enteredAt, before, after, pipeline, findings, warming, look });
  }

  close(): void {
    this.run?.close();
    this.run = undefined;
  }
}
