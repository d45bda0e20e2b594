/*
 * The stage's side of a model worker: starts the thread, waits for the model to load, and turns
 * requests into promises. Requests are answered in order; the stage bounds how many are in flight.
 * Generic over `NETWORKS`: a client for network N takes N's requests and gives N's results.
 */
import path from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../../util/workerThread.js';
import { RuntimeFailure, UsageError, type ErrorCode } from '../../util/errors.js';
import type { BackendChoice } from '../choices.js';
import { blockAverage, gridFactor, takesProxy } from '../grid.js';
import type { NetworkName, NetworkRequest, NetworkResult } from '../networks.js';
import type { RequestFrames } from '../loadedModel.js';
import type { WorkerInit, WorkerReady, WorkerRequest, WorkerResponse } from './protocol.js';

export interface ModelInfo {
  readonly backend: string;
  readonly input: { width: number; height: number };
  readonly takes: RequestFrames;
}

/**
 * One request to network N: rgb24 or rgb48 frames (only read) at the model's input size or a whole
 * multiple of it (`size`, when not the input size), and N's own fields.
 */
export type ModelRequest<N extends NetworkName> = NetworkRequest<N> & {
  readonly frames: ReadonlyArray<Uint8Array | Uint16Array>;
  readonly size?: { readonly width: number; readonly height: number };
};

function failure(message: string, code?: string): Error {
  if (code === 'E_MODEL' || code === 'E_MODEL_MISMATCH' || code === 'E_BACKEND') {
    return new UsageError(code as ErrorCode, message);
  }
  return new RuntimeFailure('E_MODEL', `Model worker: ${message}`);
}

export class ModelClient<N extends NetworkName> {
  private readonly pending = new Map<
    number,
    { resolve: (r: NetworkResult<N>) => void; reject: (e: Error) => void }
  >();
  private nextId = 1;
  private dead: Error | undefined;

  private constructor(
    private readonly worker: Worker,
    readonly info: ModelInfo,
  ) {
    worker.on('message', (res: WorkerResponse<NetworkResult<N>>) => {
      const p = this.pending.get(res.id);
      if (!p) return;
      this.pending.delete(res.id);
      if (res.type === 'error') p.reject(failure(res.message, res.code));
      else p.resolve(res.result);
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
  static async start<N extends NetworkName>(
    network: N,
    dir: string,
    backend: BackendChoice,
    { idle = false }: { idle?: boolean } = {},
  ): Promise<ModelClient<N>> {
    const init: WorkerInit = { network, dir: path.resolve(dir), backend };
    const worker = startWorker(import.meta.url, 'modelWorker', { workerData: init });
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
    const client = new ModelClient<N>(worker, {
      backend: answer.backend,
      input: answer.input,
      takes: answer.takes,
    });
    if (idle) worker.unref();
    return client;
  }

  /**
   * Runs one request. Frames are sent averaged to the model's grid: a sixteenth of the proxy's
   * bytes crosses to the thread, and averaging (about 0.2 ms a frame) costs less than copying the
   * whole proxy did. A model that measures the whole proxy (`takes: 'pixels'`) gets a copy of it,
   * and measures it in its own thread.
   */
  run(request: ModelRequest<N>): Promise<NetworkResult<N>> {
    if (this.dead) return Promise.reject(this.dead);
    const { frames: proxies, size: given, ...fields } = request;
    const { width, height } = given ?? this.info.input;
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
    const frames =
      this.info.takes === 'pixels'
        ? proxies.map((f) => f.slice())
        : proxies.map((f) => blockAverage(f, width, height, factor).data);
    const id = this.nextId++;
    const req: WorkerRequest = { type: 'run', id, frames, request: fields };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage(
        req,
        frames.map((f) => f.buffer as ArrayBuffer),
      );
    });
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

  /**
   * Frees the model (its entry's `dispose`, in its thread) once the requests already sent are
   * answered, and ends the thread. A worker that has failed or exited is only terminated.
   */
  async close(): Promise<void> {
    if (this.dead) {
      await this.worker.terminate();
      return;
    }
    this.dead = new RuntimeFailure('E_MODEL', 'Model worker closed');
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'close' } satisfies WorkerRequest);
    await exited;
  }
}
