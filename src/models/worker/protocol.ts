/** Messages between a stage and the worker thread that runs its network (any entry of `NETWORKS`). */
import type { BackendChoice } from '../choices.js';
import type { NetworkName } from '../networks.js';
import type { ModelFrame, RequestFrames } from '../loadedModel.js';

export interface WorkerInit {
  readonly network: NetworkName;
  readonly dir: string;
  readonly backend: BackendChoice;
}

export interface WorkerFailure {
  readonly type: 'error';
  readonly message: string;
  readonly code?: string;
}

/** Sent once the model is loaded (or failed to load). */
export type WorkerReady =
  | {
      readonly type: 'ready';
      readonly backend: string;
      readonly input: { width: number; height: number };
      readonly takes: RequestFrames;
    }
  | WorkerFailure;

export type WorkerRequest =
  | {
      readonly type: 'run';
      readonly id: number;
      /**
       * Frames as the model takes them: averaged to its working grid (`blockAverage`), or copies of
       * the proxies' pixels. Their buffers are transferred.
       */
      readonly frames: ModelFrame[];
      /** The request's own fields (`NetworkRequest` of the worker's network). */
      readonly request: object;
    }
  /** Frees the model and ends the thread, once every request before it is answered. */
  | { readonly type: 'close' };

/** `Result`: the worker's network's `NetworkResult`. */
export type WorkerResponse<Result = object> =
  | { readonly type: 'result'; readonly id: number; readonly result: Result }
  | (WorkerFailure & { readonly id: number });
