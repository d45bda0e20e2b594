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
import type { NetworkName } from '../networks.js';
import { ModelClient } from './modelClient.js';
import { keepAliveUntil } from '../../util/keepAlive.js';

/** Per network, the waiting workers by model folder and backend. */
const waiting: { [N in NetworkName]?: Map<string, Promise<ModelClient<N>>> } = {};

function waitingFor<N extends NetworkName>(network: N): Map<string, Promise<ModelClient<N>>> {
  return (waiting[network] ??= new Map());
}

const keyOf = (dir: string, backend: BackendChoice): string => `${dir}\0${backend}`;

/**
 * Starts a worker for this model unless one is already waiting, or the folder holds no model (the
 * stage reports that, with its own message, when it is created).
 */
export function warmModelClient(network: NetworkName, dir: string, backend: BackendChoice): void {
  const key = keyOf(dir, backend);
  const clients = waitingFor(network);
  if (clients.has(key) || !existsSync(path.join(dir, 'model.json'))) return;
  const starting = ModelClient.start(network, dir, backend, { idle: true });
  starting.catch(() => {}); // a failed start is reported to whoever takes it, as a fresh start would be
  clients.set(key, starting);
}

/** Gives back a worker a stage is done with: kept for the next taker, or closed if one already waits. */
export function giveBackModelClient<N extends NetworkName>(
  network: N,
  dir: string,
  backend: BackendChoice,
  client: ModelClient<N>,
): void {
  const key = keyOf(dir, backend);
  const clients = waitingFor(network);
  if (!client.usable || clients.has(key)) {
    void client.close();
    return;
  }
  clients.set(key, Promise.resolve(client.idle()));
}

/** The waiting worker for this model (now keeping the process alive), or a newly started one. */
export function takeModelClient<N extends NetworkName>(
  network: N,
  dir: string,
  backend: BackendChoice,
): Promise<ModelClient<N>> {
  const key = keyOf(dir, backend);
  const clients = waitingFor(network);
  const warm = clients.get(key);
  if (warm === undefined) return ModelClient.start(network, dir, backend);
  clients.delete(key);
  // The worker is unref'd until it is ready; a taker may have nothing else holding the process
  // open meanwhile (`vgrade classify` of a still: the decoder done, no encoder).
  const taken = warm.then((client) => client.busy());
  keepAliveUntil(taken);
  return taken;
}
