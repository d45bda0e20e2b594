import { EventEmitter } from 'node:events';
import { spawnFfmpeg, type FfmpegProcess } from '../ffmpeg/spawn.js';
import type { Logger } from '../util/logger.js';
import type { LiveInput } from './liveInput.js';

/** One picture from the live source, at the preview's size, as rgb24. */
export interface LiveFrame {
  /** Counts every frame read since the preview started, across reconnects. */
  readonly seq: number;
  /** Epoch ms at which the frame entered ffmpeg (estimated: see {@link LiveSource}). */
  readonly enteredAt: number;
  /** The first frame after a (re)connection. */
  readonly discontinuity: boolean;
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

const SHOWINFO = /\bn:\s*(\d+)\b.*?\bpts_time:\s*(-?[\d.]+|NOPTS)/;

/**
 * A live source that never queues and never gives up. One ffmpeg reads SOURCE, scales and pads it
 * to the preview's size and writes rgb24 frames; they are read as fast as ffmpeg writes them (so
 * a camera or socket never backs up behind us) and handed to `frame` listeners at once: a listener
 * that is busy drops frames, it does not queue them. If ffmpeg exits, or no frame arrives for
 * `stallMs`, it is restarted with a growing pause (0.5 s to 8 s), and the `status` event says so.
 *
 * When a frame entered ffmpeg is estimated from its timestamp: for a source paced in real time,
 * arrival minus timestamp is smallest for the frame that spent least time inside ffmpeg, so
 * `enteredAt = pts + min(arrival - pts)` (per connection) is never later than the truth, and a
 * latency measured from it is never flattering.
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
    const ptsBySeq = new Map<number, number | undefined>();
    let offset = Infinity;
    let n = 0; // frames of this connection
    let filled = 0;
    let buffer: Buffer | undefined;
    let waiting: Buffer | undefined; // pixels complete, timestamp line not yet read
    let first = true;
    let lastLine = '';
    const emit = (data: Buffer, index: number): void => {
      const pts = ptsBySeq.get(index);
      ptsBySeq.delete(index);
      const now = Date.now();
      this.lastFrameAt = now;
      const ptsMs = pts === undefined ? undefined : pts * 1000;
      if (ptsMs !== undefined) offset = Math.min(offset, now - ptsMs);
      const enteredAt = ptsMs === undefined ? now : offset + ptsMs;
      if (first) {
        this.backoffMs = 500;
        this.setStatus('live', null);
      }
      this.emit('frame', { seq: this.seq++, enteredAt, discontinuity: first, data });
      first = false;
    };
    this.stallReason = undefined;
    const proc = spawnFfmpeg(this.ffmpeg, this.args(), {
      label: `live source ${this.input.label}`,
      stdio: ['ignore', 'pipe', 'pipe'],
      onStderrLine: (line) => {
        const m = SHOWINFO.exec(line);
        if (m) {
          const index = Number(m[1]);
          ptsBySeq.set(index, m[2] === 'NOPTS' ? undefined : Number(m[2]));
          if (waiting && index === n - 1) {
            const data = waiting;
            waiting = undefined;
            emit(data, index);
          }
          return;
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
          if (ptsBySeq.has(index)) emit(data, index);
          else {
            if (waiting) this.recycle(waiting); // its line never came: the newer frame wins
            waiting = data;
          }
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
