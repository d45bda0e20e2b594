import { EventEmitter } from 'node:events';
import { spawnFfmpeg, type FfmpegProcess } from '../ffmpeg/spawn.js';
import { ShowinfoReader, stampSeconds } from '../ffmpeg/showinfo.js';
import type { Logger } from '../util/logger.js';
import type { LiveInput } from './liveInput.js';
import { HdrView, hdrTransfer, type HdrTransfer } from '../color/hdr.js';
import type { Lut3d } from '../correction/lut3d.js';
import { applyLutRgb24 } from '../lut/rgb24Wasm.js';

/** The SDR views of HDR transfers as LUTs, made once (a third of a second each). */
const viewLuts = new Map<HdrTransfer, Lut3d>();

/** One picture from the live source, at the preview's size, as rgb24. */
export interface LiveFrame {
  /** Counts every frame read since the preview started, across reconnects. */
  readonly seq: number;
  /** Epoch ms at which the frame entered ffmpeg (estimated: see {@link LiveSource}). */
  readonly enteredAt: number;
  /** The first frame after a (re)connection. */
  readonly discontinuity: boolean;
  /** The source's own frame rate, from its timestamps (the median step of its recent frames). */
  readonly sourceFps?: number | undefined;
  readonly data: Buffer;
}

export type SourceState = 'connecting' | 'live' | 'reconnecting' | 'stopped';

export interface SourceStatus {
  readonly state: SourceState;
  /** Why the source is reconnecting: ffmpeg's last words, or a stall. */
  readonly reason: string | null;
  readonly reconnects: number;
  readonly since: number;
}

export interface LiveSourceOptions {
  readonly width: number;
  readonly height: number;
  /** No frame for this long on a live source: it is restarted. */
  readonly stallMs?: number;
  readonly logger?: Logger;
}

/** Frames held waiting for their timestamp lines, at most: more, and the oldest is dropped. */
const MAX_UNSTAMPED = 4;

/**
 * When each frame of one connection entered ffmpeg, from its timestamp and its arrival here.
 *
 * A source that runs on its own clock (a camera, a network stream) is stamped `anchor + pts`,
 * where `anchor = min(arrival - pts)` so far: the frame that spent least time inside ffmpeg sets
 * it, so the estimate is never later than the truth, and a frame that waited before ffmpeg read it
 * (in a socket, a driver's buffers) counts as late as it really is.
 *
 * A source that ffmpeg paces itself (`-re`: a file or a lavfi graph) has nothing before ffmpeg
 * where a frame could wait: ffmpeg reads (or makes) each frame at its timestamp's time or, once it
 * has fallen behind, as soon as it has written the frame before. Such a frame is stamped
 * `max(anchor + pts, arrival of the frame before)`. Stamped as a camera's, a source that the
 * machine cannot make in real time would show its growing delay, which no frame spends waiting
 * anywhere, as latency (minutes, after a while). A decoder's own delay (frame threads of a
 * file's decoder) is not counted once ffmpeg is behind: a few frames at most.
 */
export class EntryClock {
  private anchor = Infinity;
  private previous = -Infinity;

  constructor(private readonly paced: boolean) {}

  /** The epoch ms at which a frame with this timestamp (ms), arriving at `arrival`, entered ffmpeg. */
  stamp(ptsMs: number | undefined, arrival: number): number {
    const previous = this.previous;
    this.previous = arrival;
    if (ptsMs === undefined) return arrival;
    this.anchor = Math.min(this.anchor, arrival - ptsMs);
    const scheduled = this.anchor + ptsMs;
    return this.paced ? Math.max(scheduled, previous) : scheduled;
  }
}

/** A source's frame rate from the timestamp steps between its frames: the median of the last 15. */
class FrameRate {
  private readonly steps: number[] = [];
  private last: number | undefined;

  add(ptsMs: number | undefined): void {
    if (ptsMs === undefined) return;
    if (this.last !== undefined && ptsMs > this.last) {
      this.steps.push(ptsMs - this.last);
      if (this.steps.length > 15) this.steps.shift();
    }
    this.last = ptsMs;
  }

  get fps(): number | undefined {
    if (this.steps.length === 0) return undefined;
    const sorted = [...this.steps].sort((a, b) => a - b);
    return 1000 / sorted[sorted.length >> 1]!;
  }
}

/**
 * A live source that never queues and never gives up. One ffmpeg reads SOURCE, scales and pads it
 * to the preview's size and writes rgb24 frames; they are read as fast as ffmpeg writes them (so
 * a camera or socket never backs up behind us) and handed to `frame` listeners at once: a listener
 * that is busy drops frames, it does not queue them. If ffmpeg exits, or no frame arrives for
 * `stallMs`, it is restarted with a growing pause (0.5 s to 8 s), and the `status` event says so.
 *
 * When a frame entered ffmpeg is estimated from its timestamp and its arrival: see
 * {@link EntryClock}.
 */
export class LiveSource extends EventEmitter<{ frame: [LiveFrame]; status: [SourceStatus] }> {
  private proc: FfmpegProcess | undefined;
  private stopped = false;
  private seq = 0;
  private reconnects = 0;
  private backoffMs = 500;
  private lastFrameAt = 0;
  private watchdog: NodeJS.Timeout | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private current: SourceStatus = { state: 'connecting', reason: null, reconnects: 0, since: Date.now() };
  private readonly free: Buffer[] = [];
  /** Frames lost because their timestamp line did not come in time (newer frames took their place). */
  unstamped = 0;
  private readonly frameBytes: number;

  constructor(
    private readonly ffmpeg: string,
    private readonly input: LiveInput,
    private readonly passthroughArgs: readonly string[],
    private readonly opts: LiveSourceOptions,
  ) {
    super();
    this.frameBytes = opts.width * opts.height * 3;
  }

  get status(): SourceStatus {
    return this.current;
  }

  /** The ffmpeg command line after the binary. */
  args(): string[] {
    const { width, height } = this.opts;
    const fit =
      `scale=${width}:${height}:force_original_aspect_ratio=decrease,` +
      `pad=${width}:${height}:(ow-iw)/2:(oh-ih)/2:black,setsar=1,format=rgb24,showinfo`;
    return [
      '-hide_banner',
      '-nostdin',
      '-loglevel',
      'level+info',
      ...this.input.args,
      '-map',
      '0:v:0',
      '-an',
      '-sn',
      '-dn',
      ...this.passthroughArgs,
      '-vf',
      fit,
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-flush_packets',
      '1',
      'pipe:1',
    ];
  }

  start(): void {
    this.stopped = false;
    this.connect();
    this.watchdog = setInterval(() => this.checkStall(), 250);
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.watchdog);
    clearTimeout(this.restartTimer);
    this.proc?.kill('SIGKILL');
    this.setStatus('stopped', null);
  }

  /** Gives a frame's buffer back for reuse once its listener is done with it. */
  recycle(data: Buffer): void {
    if (data.length === this.frameBytes && this.free.length < 8) this.free.push(data);
  }

  private setStatus(state: SourceState, reason: string | null): void {
    if (this.current.state === state && this.current.reason === reason) return;
    this.current = { state, reason, reconnects: this.reconnects, since: Date.now() };
    this.emit('status', this.current);
  }

  private checkStall(): void {
    const stallMs = this.opts.stallMs ?? 5000;
    const waitingSince = this.current.state === 'live' ? this.lastFrameAt : this.current.since;
    if (this.proc && Date.now() - waitingSince > (this.current.state === 'live' ? stallMs : 2 * stallMs)) {
      this.opts.logger?.warn({ source: this.input.label }, 'source stalled: reconnecting');
      this.stallReason = `no frame for ${((Date.now() - waitingSince) / 1000).toFixed(1)} s`;
      this.proc.kill('SIGKILL');
    }
  }

  private stallReason: string | undefined;

  private connect(): void {
    if (this.stopped) return;
    // Each frame's timestamp (s), by its place in this connection's output (see ShowinfoReader:
    // a feed that changes size midway restarts showinfo's own count).
    const ptsBySeq = new Map<number, number | undefined>();
    const showinfo = new ShowinfoReader();
    // `-re`: ffmpeg paces the source itself (files and lavfi graphs, see parseLiveInput).
    const clock = new EntryClock(this.input.args.includes('-re'));
    const rate = new FrameRate();
    let n = 0; // frames of this connection
    let filled = 0;
    let buffer: Buffer | undefined;
    // Frames whose pixels are in but whose timestamp line is not read yet, oldest first. ffmpeg
    // prints a frame's line before it writes the frame, but the two pipes are read in whatever
    // order the event loop sees them: on a busy machine, a few frames' pixels may come first.
    const waiting: Array<{ readonly index: number; readonly data: Buffer }> = [];
    const flush = (): void => {
      while (waiting.length > 0 && ptsBySeq.has(waiting[0]!.index)) {
        const { index, data } = waiting.shift()!;
        emit(data, index);
      }
    };
    let first = true;
    let lastLine = '';
    // An HDR source (its stream line names PQ or HLG, before any frame's line): its frames are
    // shown and graded as their SDR view, as files are (color/hdr.ts).
    let hdrView: Lut3d | undefined;
    let streamSeen = false;
    const emit = (data: Buffer, index: number): void => {
      if (hdrView) applyLutRgb24(hdrView, data, data, data.length / 3);
      const pts = ptsBySeq.get(index);
      // This frame's line, and those of earlier frames whose pixels were replaced by newer ones.
      for (const seen of ptsBySeq.keys()) if (seen <= index) ptsBySeq.delete(seen);
      const now = Date.now();
      this.lastFrameAt = now;
      const ptsMs = pts === undefined ? undefined : pts * 1000;
      const enteredAt = clock.stamp(ptsMs, now);
      rate.add(ptsMs);
      if (first) {
        this.backoffMs = 500;
        this.setStatus('live', null);
      }
      this.emit('frame', { seq: this.seq++, enteredAt, discontinuity: first, sourceFps: rate.fps, data });
      first = false;
    };
    this.stallReason = undefined;
    const proc = spawnFfmpeg(this.ffmpeg, this.args(), {
      label: `live source ${this.input.label}`,
      stdio: ['ignore', 'pipe', 'pipe'],
      onStderrLine: (line) => {
        const timestamp = showinfo.read(line, (index, stamp) => {
          ptsBySeq.set(index, stamp === undefined ? undefined : stampSeconds(stamp));
          flush();
        });
        if (timestamp) return;
        if (!streamSeen && / Video: /.test(line)) {
          // The input's stream, which ffmpeg describes first: "yuv420p10le(tv, bt2020nc/bt2020/arib-std-b67)".
          streamSeen = true;
          const transfer = hdrTransfer(/\/(smpte2084|arib-std-b67)\b/.exec(line)?.[1]);
          if (transfer) {
            hdrView = viewLuts.get(transfer) ?? new HdrView(transfer).viewLut();
            viewLuts.set(transfer, hdrView);
            this.opts.logger?.info(
              { source: this.input.label, transfer },
              'HDR source: shown and graded as its SDR view',
            );
          }
        }
        if (/\[(error|fatal)\]/.test(line))
          lastLine = line.replace(/^\[[^\]]*\]\s*/, '').replace(/^\[[^\]]*@ 0x[0-9a-f]+\]\s*/, '');
      },
    });
    this.proc = proc;
    proc.child.stdout!.on('data', (chunk: Buffer) => {
      let at = 0;
      while (at < chunk.length) {
        buffer ??= this.free.pop() ?? Buffer.allocUnsafeSlow(this.frameBytes);
        const take = Math.min(this.frameBytes - filled, chunk.length - at);
        chunk.copy(buffer, filled, at, at + take);
        filled += take;
        at += take;
        if (filled === this.frameBytes) {
          const index = n++;
          const data = buffer;
          buffer = undefined;
          filled = 0;
          waiting.push({ index, data });
          if (waiting.length > MAX_UNSTAMPED) {
            // Lines this far behind are not coming (ffmpeg wrote no timestamp): newer frames win.
            this.unstamped++;
            this.recycle(waiting.shift()!.data);
          }
          flush();
        }
      }
    });
    void proc.exited
      .catch(() => {})
      .then(() => {
        if (this.proc !== proc) return;
        this.proc = undefined;
        if (this.stopped) return;
        const reason = this.stallReason ?? (lastLine || 'the source ended');
        this.reconnects++;
        this.setStatus('reconnecting', reason);
        this.opts.logger?.warn(
          { source: this.input.label, reason, retryInMs: this.backoffMs },
          'source lost: reconnecting',
        );
        this.restartTimer = setTimeout(() => this.connect(), this.backoffMs);
        this.backoffMs = Math.min(this.backoffMs * 2, 8000);
      });
  }
}
