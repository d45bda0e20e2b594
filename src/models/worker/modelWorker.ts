/*
 * The worker thread that hosts one network for a stage, so inference never blocks the event loop
 * that moves frames between ffmpeg and the stages. It loads the model once (with its warm-up
 * inference), then answers requests in order; tensors live and die inside each request.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { useBackend } from '../backend.js';
import { CganModel } from '../cgan/model.js';
import { ClassifierModel } from '../classifier/model.js';
import type { WorkerInit, WorkerReady, WorkerRequest, WorkerResponse } from './protocol.js';

const init = workerData as WorkerInit;
const port = parentPort!;

function errorOf(err: unknown): { message: string; code?: string } {
  const e = err as { message?: string; code?: string };
  return { message: e?.message ?? String(err), ...(typeof e?.code === 'string' ? { code: e.code } : {}) };
}

async function main(): Promise<void> {
  let cgan: CganModel | undefined;
  let classifier: ClassifierModel | undefined;
  try {
    const backend = await useBackend(init.backend);
    if (init.kind === 'cgan') cgan = await CganModel.load(init.dir);
    else classifier = await ClassifierModel.load(init.dir);
    const model = cgan ?? classifier!;
    const ready: WorkerReady = { type: 'ready', backend, input: model.input, window: cgan?.window ?? 1 };
    port.postMessage(ready);
  } catch (err) {
    port.postMessage({ type: 'error', ...errorOf(err) } satisfies WorkerReady);
    return;
  }
  port.on('message', (req: WorkerRequest) => {
    try {
      if (cgan) {
        const corrections = cgan.corrections(req.frames, req.window);
        const coefficients = corrections.map((c) => c.coefficients);
        const res: WorkerResponse = {
          type: 'cgan',
          id: req.id,
          gridWidth: corrections[0]!.gridWidth,
          gridHeight: corrections[0]!.gridHeight,
          coefficients,
        };
        port.postMessage(
          res,
          coefficients.map((c) => c.buffer as ArrayBuffer),
        );
      } else {
        const { probs, amounts } = classifier!.predict(req.frames);
        const res: WorkerResponse = { type: 'classifier', id: req.id, probs, amounts };
        port.postMessage(res, [probs.buffer as ArrayBuffer, amounts.buffer as ArrayBuffer]);
      }
    } catch (err) {
      port.postMessage({ type: 'error', id: req.id, ...errorOf(err) } satisfies WorkerResponse);
    }
  });
}

void main();
