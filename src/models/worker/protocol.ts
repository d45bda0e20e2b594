/** Messages between a stage and the worker thread that runs its network. */
import type { BackendChoice } from '../choices.js';

export type WorkerModelKind = 'cgan' | 'classifier';

export interface WorkerInit {
  readonly kind: WorkerModelKind;
  readonly dir: string;
  readonly backend: BackendChoice;
}

/** Sent once the model is loaded (or failed to load). */
export type WorkerReady =
  | {
      readonly type: 'ready';
      readonly backend: string;
      readonly input: { width: number; height: number };
      /** cGAN: the window its temporal form was trained on. */
      readonly window: number;
    }
  | { readonly type: 'error'; readonly id?: number; readonly message: string; readonly code?: string };

export interface WorkerRequest {
  readonly id: number;
  /** Frames already averaged to the model's working grid (`blockAverage`); their buffers are transferred. */
  readonly frames: Float32Array[];
  /** cGAN: frames per window in this request (1: each alone). */
  readonly window: number;
}

export type WorkerResponse =
  | {
      readonly type: 'cgan';
      readonly id: number;
      readonly gridWidth: number;
      readonly gridHeight: number;
      readonly coefficients: Float32Array[];
    }
  | {
      readonly type: 'classifier';
      readonly id: number;
      readonly probs: Float32Array;
      readonly amounts: Float32Array;
    }
  | { readonly type: 'error'; readonly id: number; readonly message: string; readonly code?: string };
