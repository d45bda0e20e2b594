/*
 * The stage's side of a model worker: starts the thread, waits for the model to load, and turns
 * requests into promises. Requests are answered in order; the stage bounds how many are in flight.
 */
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../../util/packageRoot.js';
import { RuntimeFailure, UsageError, type ErrorCode } from '../../util/errors.js';
import type { BackendChoice } from '../choices.js';
import { blockAverage, gridFactor, takesProxy } from '../grid.js';
import type { WorkerInit, WorkerModelKind, WorkerReady, WorkerRequest, WorkerResponse } from './protocol.js';

/** The compiled worker (tests run the TypeScript sources, but a worker thread needs JavaScript). */
const WORKER_FILE = path.join(packageRoot(), 'dist', 'src', 'models', 'worker', 'modelWorker.js');

export interface ModelInfo {
  readonly backend: string;
  readonly input: { width: number; height: number };
  readonly window: number;
}

function failure(message: string, code?: string): Error {
  if (code === 'E_MODEL' || code === 'E_MODEL_MISMATCH' || code === 'E_BACKEND') {
    return new UsageError(code as ErrorCode, message);
  }
  return new RuntimeFailure('E_MODEL', `Model worker: ${message}`);
}

export class ModelClient {
  private readonly pending = new Map<
    number,
    { resolve: (r: WorkerResponse) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  private dead: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly info: ModelInfo,
  ) {
    worker.on('message', (res: WorkerResponse) => {
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (res.type === 'error') p.reject(failure(res.message, res.code));
      else p.resolve(res);
    });
    const fail = (err: Error): void => {
      this.dead = err;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    worker.on('error', (err) => fail(new RuntimeFailure('E_MODEL', `Model worker failed: ${err.message}`)));
    worker.on('exit', (code) => {
      if (!this.dead) fail(new RuntimeFailure('E_MODEL', `Model worker exited (code ${code})`));
    });
  }

  /**
   * Starts a worker with the model loaded; rejects with the model's own error if it cannot load.
   * With `idle`, the thread does not keep the process alive until `busy()` is called.
   */
  static async start(
    kind: WorkerModelKind,
    dir: string,
    backend: BackendChoice,
    { idle = false }: { idle?: boolean } = {},
  ): Promise<ModelClient> {
    const init: WorkerInit = { kind, dir: path.resolve(dir), backend };
    const worker = new Worker(WORKER_FILE, { workerData: init });
    const ready = new Promise<WorkerReady>((resolve, reject) => {
      const onError = (err: Error): void =>
        reject(new RuntimeFailure('E_MODEL', `Model worker failed to start: ${err.message}`));
      worker.once('error', onError);
      worker.once('message', (m: WorkerReady) => {
        worker.off('error', onError);
        resolve(m);
      });
    });
    // After the listeners: adding a 'message' listener refs the worker again.
    if (idle) worker.unref();
    const answer = await ready;
    if (answer.type === 'error') {
      await worker.terminate();
      throw failure(answer.message, answer.code);
    }
    const client = new ModelClient(worker, {
      backend: answer.backend,
      input: answer.input,
      window: answer.window,
    });
    if (idle) worker.unref();
    return client;
  }

  /**
   * Sends frames averaged to the model's grid: a sixteenth of the proxy's bytes crosses to the
   * thread, and averaging (about 0.2 ms a frame) costs less than copying the whole proxy did.
   * Frames are width x height: the model's input size or a whole multiple of it (oversampled).
   */
  private request(
    proxies: ReadonlyArray<Uint8Array | Uint16Array>,
    window: number,
    width = this.info.input.width,
    height = this.info.input.height,
  ): Promise<WorkerResponse> {
    if (this.dead) return Promise.reject(this.dead);
    const want = this.info.input;
    const size = width * height * 3;
    const bad = proxies.find((f) => f.length !== size);
    if (bad || !takesProxy(want, { width, height })) {
      return Promise.reject(
        new UsageError(
          'E_MODEL_MISMATCH',
          `Expected ${want.width}x${want.height} RGB frames or a whole multiple (${want.width * want.height * 3} values at 1x) but received ${bad?.length ?? size} values for ${width}x${height}`,
        ),
      );
    }
    const factor = gridFactor(height);
    const frames = proxies.map((f) => blockAverage(f, width, height, factor).data);
    const id = this.nextId++;
    const req: WorkerRequest = { id, frames, window };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(
        req,
        frames.map((f) => f.buffer as ArrayBuffer),
      );
    });
  }

  /** cGAN corrections for frames (the caller's buffers are only read). */
  async corrections(
    frames: ReadonlyArray<Uint8Array | Uint16Array>,
    window: number,
    size?: { width: number; height: number },
  ): Promise<{ gridWidth: number; gridHeight: number; coefficients: Float32Array[] }> {
    const res = await this.request(frames, window, size?.width, size?.height);
    if (res.type !== 'cgan')
      throw new RuntimeFailure('E_MODEL', 'Model worker answered a cgan request with something else');
    return res;
  }

  /** Classifier outputs for frames (the caller's buffers are only read). */
  async classify(
    frames: ReadonlyArray<Uint8Array | Uint16Array>,
    size?: { width: number; height: number },
  ): Promise<{ probs: Float32Array; amounts: Float32Array }> {
    const res = await this.request(frames, 1, size?.width, size?.height);
    if (res.type !== 'classifier')
      throw new RuntimeFailure('E_MODEL', 'Model worker answered a classifier request with something else');
    return res;
  }

  /** From now on the thread keeps the process alive (see `start`'s `idle`). */
  busy(): this {
    this.worker.ref();
    return this;
  }

  /** The thread no longer keeps the process alive (it waits to be taken again). */
  idle(): this {
    this.worker.unref();
    return this;
  }

  /** False once the worker has failed, exited or been closed. */
  get usable(): boolean {
    return this.dead === undefined;
  }

  async close(): Promise<void> {
    this.dead ??= new RuntimeFailure('E_MODEL', 'Model worker closed');
    await this.worker.terminate();
  }
}
