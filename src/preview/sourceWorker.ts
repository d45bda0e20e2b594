/**
 * The live source in its own thread, so that reading it never waits for the main thread: however
 * busy grading keeps the main thread, ffmpeg's pipe is drained at the source's rate and the
 * frames nobody asked for are dropped here (the newest one is kept). The main thread asks for a
 * frame (`next`) when it can take one and gets the newest, its buffer transferred, not copied.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { LiveSource, type LiveFrame } from './liveSource.js';
import type { LiveInput } from './liveInput.js';

export interface SourceWorkerData {
  readonly ffmpeg: string;
  readonly input: LiveInput;
  readonly passthroughArgs: readonly string[];
  readonly width: number;
  readonly height: number;
  readonly stallMs: number;
}

export type ToSourceWorker = { type: 'next' } | { type: 'recycle'; data: ArrayBuffer } | { type: 'stop' };

export type FromSourceWorker =
  | {
      type: 'frame';
      seq: number;
      enteredAt: number;
      discontinuity: boolean;
      sourceFps: number | undefined;
      data: ArrayBuffer;
      dropped: number;
    }
  | { type: 'status'; status: import('./liveSource.js').SourceStatus };

const port = parentPort!;
const init = workerData as SourceWorkerData;
const source = new LiveSource(init.ffmpeg, init.input, init.passthroughArgs, {
  width: init.width,
  height: init.height,
  stallMs: init.stallMs,
});
let newest: LiveFrame | undefined;
let wanted = false;
let dropped = 0;
let discontinuity = false;

function send(frame: LiveFrame): void {
  // A dedicated ArrayBuffer per frame, so it can be transferred to the main thread.
  const buffer =
    frame.data.buffer.byteLength === frame.data.length
      ? frame.data.buffer
      : Uint8Array.from(frame.data).buffer;
  const message: FromSourceWorker = {
    type: 'frame',
    seq: frame.seq,
    enteredAt: frame.enteredAt,
    discontinuity: frame.discontinuity || discontinuity,
    sourceFps: frame.sourceFps,
    data: buffer as ArrayBuffer,
    dropped,
  };
  discontinuity = false;
  port.postMessage(message, [buffer as ArrayBuffer]);
}

source.on('frame', (frame) => {
  if (wanted) {
    wanted = false;
    send(frame);
    return;
  }
  if (newest) {
    dropped++;
    // A reconnection's mark must survive the frame that carried it being dropped.
    if (newest.discontinuity) discontinuity = true;
    source.recycle(newest.data);
  }
  newest = frame;
});
source.on('status', (status) => port.postMessage({ type: 'status', status } satisfies FromSourceWorker));

port.on('message', (msg: ToSourceWorker) => {
  if (msg.type === 'next') {
    if (newest) {
      const frame = newest;
      newest = undefined;
      send(frame);
    } else wanted = true;
  } else if (msg.type === 'recycle') {
    source.recycle(Buffer.from(msg.data));
  } else {
    source.stop();
    port.close();
  }
});
source.start();
