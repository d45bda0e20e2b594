/*
 * The worker thread that hosts one network for a stage, so inference never blocks the event loop
 * that moves frames between ffmpeg and the stages. It loads the model once (with its warm-up
 * inference), then answers requests in order; tensors live and die inside each request. Which
 * network, and how it loads, runs and is freed, is its entry in `NETWORKS`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { useBackend } from '../backend.js';
import { NETWORKS, type AnyNetwork, type LoadedNetwork } from '../networks.js';
import type { WorkerInit, WorkerReady, WorkerRequest, WorkerResponse } from './protocol.js';

const init = workerData as WorkerInit;
const port = parentPort!;

function errorOf(err: unknown): { message: string; code?: string } {
  const e = err as { message?: string; code?: string };
  return { message: e?.message ?? String(err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) };
}

/** The buffers of the typed arrays in a result (at its top level, or in arrays there), once each. */
function transferList(result: object): ArrayBuffer[] {
  const buffers = new Set<ArrayBuffer>();
  const add = (v: unknown): void => {
    if (ArrayBuffer.isView(v) && v.buffer instanceof ArrayBuffer) buffers.add(v.buffer);
  };
  for (const value of Object.values(result)) {
    if (Array.isArray(value)) value.forEach(add);
    else add(value);
  }
  return [...buffers];
}

async function main(): Promise<void> {
  const network: AnyNetwork = NETWORKS[init.network];
  let model: LoadedNetwork;
  try {
    const backend = await useBackend(init.backend);
    model = await network.load(init.dir);
    port.postMessage({
      type: 'ready',
      backend,
      input: model.input,
      takes: model.takes,
    } satisfies WorkerReady);
  } catch (err) {
    port.postMessage({ type: 'error', ...errorOf(err) } satisfies WorkerReady);
    return;
  }
  port.on('message', (req: WorkerRequest) => {
    if (req.type === 'close') {
      network.dispose(model);
      process.exit(0); // ends this thread only
    }
    try {
      const result = network.run(model, req.frames, req.request);
      port.postMessage({ type: 'result', id: req.id, result } satisfies WorkerResponse, transferList(result));
    } catch (err) {
      port.postMessage({ type: 'error', id: req.id, ...errorOf(err) } satisfies WorkerResponse);
    }
  });
}

void main();
