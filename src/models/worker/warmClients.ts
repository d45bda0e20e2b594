/**
 * Model workers started ahead of need. Loading a network in its thread (TensorFlow.js, the wasm
 * module, the weights, a warm-up inference) takes most of a second; started when the pipeline is
 * compiled, it overlaps finding ffmpeg's capabilities and probing the input instead of following
 * them. A worker waiting here does not keep the process alive, and a stage that finds none
 * starts its own.
 */
import type { BackendChoice } from '../choices.js';
import type { WorkerModelKind } from './protocol.js';
import { ModelClient } from './modelClient.js';

const waiting = new Map<string, Promise<ModelClient>>();

const keyOf = (kind: WorkerModelKind, dir: string, backend: BackendChoice): string => `${kind}\0${dir}\0${backend}`;

/** Starts a worker for this model unless one is already waiting. */
export function warmModelClient(kind: WorkerModelKind, dir: string, backend: BackendChoice): void {
  const key = keyOf(kind, dir, backend);
  if (waiting.has(key)) return;
  const starting = ModelClient.start(kind, dir, backend, { idle: true });
  starting.catch(() => {}); // a failed start is reported to whoever takes it, as a fresh start would be
  waiting.set(key, starting);
}

/** The waiting worker for this model (now keeping the process alive), or a newly started one. */
export function takeModelClient(kind: WorkerModelKind, dir: string, backend: BackendChoice): Promise<ModelClient> {
  const key = keyOf(kind, dir, backend);
  const warm = waiting.get(key);
  if (warm === undefined) return ModelClient.start(kind, dir, backend);
  waiting.delete(key);
  return warm.then((client) => client.busy());
}
