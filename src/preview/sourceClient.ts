import { EventEmitter } from 'node:events';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../util/workerThread.js';
import type { LiveFrame, SourceStatus } from './liveSource.js';
import type { FromSourceWorker, SourceWorkerData, ToSourceWorker } from './sourceWorker.js';

/**
 * The main thread's side of the source thread ({@link ./sourceWorker.ts}): frames come only when
 * asked for with `request()`, one per request, always the newest; `dropped` counts the frames the
 * source thread skipped because nobody was ready for them.
 */
export class SourceClient extends EventEmitter<{ frame: [LiveFrame]; status: [SourceStatus] }> {
  private readonly worker: Worker;
  private asked = false;
  private current: SourceStatus = { state: 'connecting', reason: null, reconnects: 0, since: Date.now() };
  dropped = 0;

  constructor(init: SourceWorkerData) {
    super();
    this.worker = startWorker(import.meta.url, 'sourceWorker', { workerData: init });
    this.worker.on('message', (msg: FromSourceWorker) => {
      if (msg.type === 'status') {
        this.current = msg.status;
        this.emit('status', msg.status);
        return;
      }
      this.asked = false;
      this.dropped = msg.dropped;
      this.emit('frame', {
        seq: msg.seq,
        enteredAt: msg.enteredAt,
        discontinuity: msg.discontinuity,
        sourceFps: msg.sourceFps,
        data: Buffer.from(msg.data),
      });
    });
    this.worker.on('error', (err) => {
      this.current = {
        state: 'reconnecting',
        reason: err.message,
        reconnects: this.current.reconnects,
        since: Date.now(),
      };
      this.emit('status', this.current);
    });
  }

  get status(): SourceStatus {
    return this.current;
  }

  /** Asks for the next frame, unless one is already asked for. */
  request(): void {
    if (this.asked) return;
    this.asked = true;
    this.worker.postMessage({ type: 'next' } satisfies ToSourceWorker);
  }

  /** Hands a frame's buffer back to the source thread for reuse. */
  recycle(data: Buffer): void {
    if (data.byteOffset !== 0 || data.length !== data.buffer.byteLength) return;
    const buffer = data.buffer as ArrayBuffer;
    this.worker.postMessage({ type: 'recycle', data: buffer } satisfies ToSourceWorker, [buffer]);
  }

  async stop(): Promise<void> {
    this.worker.postMessage({ type: 'stop' } satisfies ToSourceWorker);
    await new Promise((resolve) => setTimeout(resolve, 200));
    await this.worker.terminate();
  }
}
