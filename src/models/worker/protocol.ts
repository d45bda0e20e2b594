/** Messages between a stage and the worker thread that runs its network (any entry of `NETWORKS`). */
import type { BackendChoice } from '../choices.js';
import type { NetworkName } from '../networks.js';

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
    }
  | WorkerFailure;

export type WorkerRequest =
  | {
      readonly type: 'run';
      readonly id: number;
      /** Frames already averaged to the model's working grid (`blockAverage`); their buffers are transferred. */
      readonly frames: Float32Array[];
      /** The request's own fields (`NetworkRequest` of the worker's network). */
      readonly request: object;
    }
  /** Frees the model and ends the thread, once every request before it is answered. */
  | { readonly type: 'close' };

/** `Result`: the worker's network's `NetworkResult`. */
export type WorkerResponse<Result = object> =
  | { readonly type: 'result'; readonly id: number; readonly result: Result }
  | (WorkerFailure & { readonly id: number });
