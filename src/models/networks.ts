/**
 * The networks a stage can run, one entry each: the one place that knows them. As ffmpeg's DNN
 * interface does for its backends, each is a small table of functions: the format its folder's
 * `model.json` declares, how to load it, how to run one request, and how to free it. The worker
 * thread (`worker/modelWorker.ts`) and the stage's client (`worker/modelClient.ts`) are generic over
 * this table, and a stage's request and result types are read from its entry, so adding a network
 * is adding an entry here (and its model code).
 *
 * Loading is a dynamic import: this table is read on the main thread too (a stage checks a model
 * folder's format against it before any frame is read), and TensorFlow.js must load only in the
 * worker.
 */

import type { ModelFrame, RequestFrames } from './loadedModel.js';

/** What every loaded network tells the stage: the proxy size it was trained on. */
export interface LoadedNetwork {
  readonly input: { readonly width: number; readonly height: number };
  /** What its requests carry: frames averaged to the working grid, or copies of the proxies' pixels. */
  readonly takes: RequestFrames;
}

/**
 * One network. Methods rather than function-valued properties on purpose: the worker holds an entry
 * without knowing which one it is (`AnyNetwork`), which method parameters allow.
 */
export interface Network<M extends LoadedNetwork, Request extends object, Result extends object> {
  /** The `format` of its `model.json`, checked when the pipeline is compiled and when it loads. */
  readonly format: string;
  /** Loads the model folder, with its warm-up inference. Runs in the worker thread. */
  load(dir: string): Promise<M>;
  /**
   * One request: frames as the model `takes` them (averaged to its working grid, or the proxies'
   * pixels), and the request's own fields. The typed arrays in the result (at its top level, or in
   * arrays there) move to the stage's thread without a copy, so they must not share buffers with
   * anything the model keeps.
   */
  run(model: M, frames: ModelFrame[], request: Request): Result;
  /** Frees the model's tensors when its worker is closed. */
  dispose(model: M): void;
}

/** Any entry, as the worker holds it. */
export type AnyNetwork = Network<LoadedNetwork, object, object>;

/** Infers an entry's types from its functions. */
function network<M extends LoadedNetwork, Request extends object, Result extends object>(
  entry: Network<M, Request, Result>,
): Network<M, Request, Result> {
  return entry;
}

export const NETWORKS = {
  /** The paper's generator: a window of frames in, each frame's coarse map of colour matrices out. */
  cgan: network({
    format: 'vgrade-cgan',
    load: async (dir: string) => (await import('./cgan/model.js')).CganModel.load(dir),
    run: (model, frames, { window }: { readonly window: number }) => {
      const corrections = model.corrections(frames, window);
      return {
        gridWidth: corrections[0]!.gridWidth,
        gridHeight: corrections[0]!.gridHeight,
        coefficients: corrections.map((c) => c.coefficients),
      };
    },
    dispose: (model) => model.dispose(),
  }),
  /** The classifier: frames in, the classes' probabilities and the families' amounts out. */
  classifier: network({
    format: 'vgrade-classifier',
    load: async (dir: string) => (await import('./classifier/model.js')).ClassifierModel.load(dir),
    run: (model, frames, _request: object) => model.predict(frames),
    dispose: (model) => model.dispose(),
  }),
} satisfies Record<string, AnyNetwork>;

export type NetworkName = keyof typeof NETWORKS;

/** A request's own fields (besides its frames), as the entry's `run` takes them. */
export type NetworkRequest<N extends NetworkName> = Parameters<(typeof NETWORKS)[N]['run']>[2];

/** A request's result, as the entry's `run` returns it. */
export type NetworkResult<N extends NetworkName> = ReturnType<(typeof NETWORKS)[N]['run']>;
