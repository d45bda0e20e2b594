import { EventEmitter } from 'node:events';
import { Observable, Subject, type Subscription } from '../util/rx.js';
import type { CompiledPipeline } from '../pipeline/compile.js';
import { decoderGeometry } from '../pipeline/compile.js';
import { transformChain } from '../run/grade.js';
import { FramePool } from '../frame/pool.js';
import type { Frame } from '../frame/frame.js';
import type { TransformContext } from '../stages/stage.js';
import { FINDINGS } from '../stages/classify.js';
import type { FrameRecord } from '../stages/records.js';
import type { Logger } from '../util/logger.js';
import type { ResolvedBinaries } from '../ffmpeg/binaries.js';
import type { LiveFrame } from './liveSource.js';
import { applyLutRgb24, downscaleRgb24 } from './lutApply.js';
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
  /** Frames inside the pipeline at once: more keeps the cores busier, fewer keeps latency lower. */
  readonly maxInFlight?: number;
  /** `--strength`: each frame's correction scaled towards the identity (1, the default: as graded). */
  readonly strength?: number;
}

/** One pipeline's stages over a Subject, with its own frame pool. */
class Chain {
  private readonly input = new Subject<Frame>();
  /**
   * Frames pushed while the stages do not listen yet: a stage that starts by reading something
   * (match, its reference) subscribes to its input only once it has it, and a live chain pushes
   * frames from the start. They are handed on, in order, when it subscribes; at most the chain's
   * frames in flight wait here.
   */
  private readonly early: Frame[] = [];
  readonly pool: FramePool;
  readonly run: TransformContext;
  private readonly subscription: Subscription;
  inFlight = 0;
  /** Whether a frame has come out of the stages yet: until then the pipeline is starting. */
  ready = false;

  constructor(
    readonly name: string,
    pipeline: CompiledPipeline,
    env: GraderEnvironment,
    onFrame: (chain: Chain, frame: Frame) => void,
    onError: (chain: Chain, err: unknown) => void,
  ) {
    const { geometry } = decoderGeometry(pipeline, { width: env.width, height: env.height, depth: 8 });
    this.pool = new FramePool(pipeline.poolSize, geometry.width, geometry.height, 8);
    this.run = {
      logger: env.logger.child({ pipeline: name }),
      binaries: env.binaries,
      geometry,
      ...pipeline.format,
      label: env.label,
      signal: new AbortController().signal,
    };
    const frames = new Observable<Frame>((subscriber) => {
      const subscription = this.input.subscribe(subscriber);
      for (const frame of this.early.splice(0)) this.input.next(frame);
      return subscription;
    });
    // The pipeline's transforms as a file's grade runs them; the live frames stand for decode's,
    // and the pictures the LiveGrader shows for encode's output.
    this.subscription = frames.pipe(transformChain(pipeline, this.run)).subscribe({
      next: (frame) => onFrame(this, frame),
      error: (err: unknown) => onError(this, err),
    });
  }

  /** Hands a frame to the stages, or holds it until they listen. */
  push(frame: Frame): void {
    if (this.input.observed) this.input.next(frame);
    else this.early.push(frame);
  }

  close(): void {
    for (const frame of this.early.splice(0)) frame.release();
    this.input.complete();
    // Frames still inside (a worker's answer on its way) are released by the stages' teardown.
    setTimeout(() => this.subscription.unsubscribe(), 5000).unref();
  }
}

/**
 * Grades live frames with one pipeline at a time, switchable while running, and never queues:
 * a frame arriving while the chain already holds as many frames as its pool has is dropped (and
 * counted), so the delay stays what the chain needs, however far behind the machine falls. The
 * chain sees the proxy (box-averaged from the preview picture); the correction it finds (the LUT
 * left by `merge`) is applied to the preview picture itself, so what is shown is sharp.
 *
 * A pipeline starts before it grades: its model loads in a worker thread, seconds on a busy
 * machine. Meanwhile every frame is shown as it came, marked `warming` (the page says "grading
 * starts"), so the picture is live at once; the pipeline's first graded frame ends that (`ready`).
 *
 * `off` passes pictures through ungraded. The trims ({@link setTrims}) follow the correction on
 * every graded picture, and make the whole look under `off`; a warming picture stays as it came.
 */
export class LiveGrader extends EventEmitter<{
  picture: [GradedPicture];
  error: [Error];
  free: [];
  /** The pipeline (by name) graded its first frame. */
  ready: [string];
}> {
  private chain: Chain | undefined;
  private current = 'off';
  private index = 0;
  private readonly waiting = new Map<number, LiveFrame>();
  private lastSeq = -1;
  private readonly scratch: Buffer;
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
    this.scratch = Buffer.alloc(env.width * env.height * 3);
    this.trims = { ...IDENTITY_TRIMS, strength: env.strength ?? IDENTITY_TRIMS.strength };
    this.trimsOnly = composeLook(undefined, this.trims);
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

  /** Switches to a compiled pipeline (or `off`, with none); frames already inside finish. */
  use(name: string, pipeline: CompiledPipeline | undefined): void {
    this.chain?.close();
    this.chain = pipeline
      ? new Chain(
          name,
          pipeline,
          this.env,
          (chain, frame) => this.finish(chain, frame),
          (chain, err) => {
            this.env.logger.error(
              { err, pipeline: chain.name },
              'pipeline failed: preview continues ungraded',
            );
            if (this.chain === chain) {
              this.chain = undefined;
              this.current = 'off';
            }
            this.emit('error', err as Error);
          },
        )
      : undefined;
    this.current = pipeline ? name : 'off';
  }

  /** Whether the chosen pipeline is still starting (its pictures are shown ungraded meanwhile). */
  get warming(): boolean {
    return this.chain !== undefined && !this.chain.ready;
  }

  /** Frames inside the chosen pipeline now: never more than `maxInFlight`. */
  get inFlight(): number {
    return this.chain?.inFlight ?? 0;
  }

  /** Whether a frame pushed now would be shown (not dropped). */
  get canTake(): boolean {
    const chain = this.chain;
    return !chain || !chain.ready || (chain.inFlight < this.maxInFlight(chain) && chain.pool.available > 0);
  }

  /**
   * Takes a live frame: graded, passed through (`off`, or shown as it came while the pipeline
   * starts), or dropped when the chain is full.
   */
  push(live: LiveFrame): void {
    const chain = this.chain;
    if (!chain) {
      // `off`: no correction, but the trims still apply (a look made by hand).
      const look = this.trimsOnly;
      if (look) applyLutRgb24(look, live.data, this.scratch, this.env.width * this.env.height);
      this.show(live, look ? this.scratch : live.data, 'off', undefined, false, look);
      this.recycle(live.data);
      return;
    }
    const taken = this.feed(chain, live);
    // Asked after feeding: a pipeline without a model may have graded this very frame already.
    if (!chain.ready) {
      // The chain may hold this frame to start with; graded, it will be older than what was
      // shown meanwhile, and not shown again.
      this.show(live, live.data, chain.name, undefined, true, undefined);
      if (!taken) this.recycle(live.data);
      return;
    }
    if (!taken) {
      this.dropped++;
      this.recycle(live.data);
    }
  }

  /** Hands a live frame's proxy to the chain; false when the chain is full. */
  private feed(chain: Chain, live: LiveFrame): boolean {
    const frame = chain.inFlight < this.maxInFlight(chain) ? chain.pool.tryAcquire() : undefined;
    if (!frame) return false;
    const { geometry } = chain.run;
    frame.index = this.index++;
    frame.pts = live.enteredAt / 1000;
    frame.ptsMicros = Math.round(live.enteredAt * 1000);
    frame.discontinuity = live.discontinuity || frame.index === 0;
    frame.sceneCut = false;
    frame.notes.clear();
    frame.active = geometry.active;
    frame.lut = undefined;
    frame.correction = undefined;
    frame.hasGraded = false;
    const proxy = frame.image.data as Uint8Array;
    // Only a padded proxy (fit: pad) has pixels outside the picture; they stay black.
    if (geometry.active.width !== geometry.width || geometry.active.height !== geometry.height) proxy.fill(0);
    downscaleRgb24(live.data, this.env.width, this.env.height, proxy, geometry.width, geometry.active);
    this.waiting.set(frame.index, live);
    chain.inFlight++;
    chain.push(frame);
    return true;
  }

  /** The frame's LUT with the trims: `strength` as `encode` trims a file's, then their CDL. */
  private trimmed(lut: Lut3d): Lut3d {
    const look = composeLook(lut, this.trims, this.lookLut)!;
    if (look !== lut) this.lookLut = look;
    return look;
  }

  private maxInFlight(chain: Chain): number {
    return Math.min(chain.pool.capacity, this.env.maxInFlight ?? chain.pool.capacity);
  }

  private finish(chain: Chain, frame: Frame): void {
    chain.inFlight--;
    if (!chain.ready) {
      chain.ready = true;
      if (chain === this.chain) this.emit('ready', chain.name);
    }
    const live = this.waiting.get(frame.index);
    this.waiting.delete(frame.index);
    const lut = frame.lut;
    const findings = frame.notes.get(FINDINGS);
    try {
      if (!live) return;
      // A frame the pipeline left ungraded (no LUT) gets the trims alone.
      const look = lut ? this.trimmed(lut) : this.trimsOnly;
      if (look) applyLutRgb24(look, live.data, this.scratch, this.env.width * this.env.height);
      this.show(live, look ? this.scratch : live.data, chain.name, findings, false, look);
      this.recycle(live.data);
    } finally {
      frame.release();
      this.emit('free');
    }
  }

  /** Emits a picture, unless a newer one was shown; its listeners copy what they keep. */
  private show(
    live: LiveFrame,
    after: Buffer,
    pipeline: string,
    findings: FrameRecord | undefined,
    warming: boolean,
    look: Lut3d | undefined,
  ): void {
    // After a switch, a frame of the old chain may finish after one of the new: never go back.
    if (live.seq > this.lastSeq) {
      this.lastSeq = live.seq;
      this.emit('picture', {
        seq: live.seq,
        enteredAt: live.enteredAt,
        before: live.data,
        after,
        pipeline,
        findings,
        warming,
        look,
      });
    }
  }

  close(): void {
    this.chain?.close();
    this.chain = undefined;
  }
}
