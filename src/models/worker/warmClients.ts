/**
 * Model workers started ahead of need, and kept after use. Loading a network in its thread (TensorFlow.js, the wasm
 * module, the weights, a warm-up inference) takes most of a second; started when the pipeline is
 * compiled, it overlaps finding ffmpeg's capabilities and probing the input instead of following
 * them. A stage done with its worker gives it back, so the next run in the same process (the
 * next file of a batch, an ingest job, an eval sample) does not load the model again. A worker
 * waiting here does not keep the process alive, and a stage that finds none starts its own.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { BackendChoice } from '../choices.js';
import type { WorkerModelKind } from './protocol.js';
import { ModelClient } from './modelClient.js';
import { keepAliveUntil } from '../../util/keepAlive.js';

const waiting = new Map<string, Promise<ModelClient>>();

const keyOf = (kind: WorkerModelKind, dir: string, backend: BackendChoice): string =>
  `${kind}\0${dir}\0${backend}`;

/**
 * Starts a worker for this model unless one is already waiting, or the folder holds no model (the
 * stage reports that, with its own message, when it is created).
 */
export function warmModelClient(kind: WorkerModelKind, dir: string, backend: BackendChoice): void {
  const key = keyOf(kind, dir, backend);
  if (waiting.has(key) || !existsSync(path.join(dir, 'model.json'))) return;
  const starting = ModelClient.start(kind, dir, backend, { idle: true });
  starting.catch(() => {}); // a failed start is reported to whoever takes it, as a fresh start would be
  waiting.set(key, starting);
}

/** Gives back a worker a stage is done with: kept for the next taker, or closed if one already waits. */
export function giveBackModelClient(
  kind: WorkerModelKind,
  dir: string,
  backend: BackendChoice,
  client: ModelClient,
): void {
  const key = keyOf(kind, dir, backend);
  if (!client.usable || waiting.has(key)) {
    void client.close();
    return;
  }
  waiting.set(key, Promise.resolve(client.idle()));
}

/** The waiting worker for this model (now keeping the process alive), or a newly started one. */
export function takeModelClient(
  kind: WorkerModelKind,
  dir: string,
  backend: BackendChoice,
): Promise<ModelClient> {
  const key = keyOf(kind, dir, backend);
  const warm = waiting.get(key);
  if (warm === undefined) return ModelClient.start(kind, dir, backend);
  waiting.delete(key);
  // The worker is unref'd until it is ready; a taker may have nothing else holding the process
  // open meanwhile (`vgrade classify` of a still: the decoder done, no encoder).
  const taken = warm.then((client) => client.busy());
  keepAliveUntil(taken);
  return taken;
}
