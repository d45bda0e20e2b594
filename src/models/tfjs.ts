/**
 * TensorFlow.js, loaded with require(). Its packages are CommonJS bundles of several megabytes;
 * imported from an ES module, Node first lexes their source (and every module they re-export) for
 * named exports: about 1.1 s of a busy machine's start-up, paid again in every model thread
 * (`node --cpu-prof`: cjs-module-lexer's parse over 0.6 s of a worker's CPU), where require()
 * takes 0.2 s. The types keep the names `import * as tf` gave them.
 *
 * Only the core (tensors, ops, the engine, io, optimizers) loads with this module: what a model
 * thread needs to grade. The union package `@tensorflow/tfjs` adds layers, data, the converter,
 * the webgl and cpu backends and the gradient of every op; vgrade uses none of them to grade,
 * and requiring it cost a model thread 0.16-0.28 s before its first frame where the core takes
 * 0.04-0.08 s (this machine, 2026-11-30). Training asks for the gradients ({@link loadGradients}),
 * `--backend cpu` for its backend ({@link loadCpuBackend}).
 */
import { createRequire } from 'node:module';
import type * as Tfjs from '@tensorflow/tfjs-core';

const require = createRequire(import.meta.url);

export const tf = require('@tensorflow/tfjs-core') as typeof Tfjs;

/**
 * Registers the gradient of every op, once (the core has none of its own; the union package's
 * bundle registers them as it loads). Needed before anything is differentiated.
 */
export function loadGradients(): void {
  require('@tensorflow/tfjs');
}

/** Registers the plain JavaScript backend, `cpu`, once. */
export function loadCpuBackend(): void {
  require('@tensorflow/tfjs-backend-cpu');
}

// Types only: merged with the value above, so `tf.Tensor4D` reads as it did.
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace tf {
  export type Rank = Tfjs.Rank;
  export type Tensor<R extends Rank = Rank> = Tfjs.Tensor<R>;
  export type Tensor1D = Tfjs.Tensor1D;
  export type Tensor2D = Tfjs.Tensor2D;
  export type Tensor4D = Tfjs.Tensor4D;
  export type Scalar = Tfjs.Scalar;
  export type Variable<R extends Rank = Rank> = Tfjs.Variable<R>;
  export type Optimizer = Tfjs.Optimizer;
  export type NamedTensorMap = Tfjs.NamedTensorMap;
}

/** The wasm backend's one setting vgrade makes: where its .wasm files are. */
export const setWasmPaths = (
  require('@tensorflow/tfjs-backend-wasm') as typeof import('@tensorflow/tfjs-backend-wasm')
).setWasmPaths;
