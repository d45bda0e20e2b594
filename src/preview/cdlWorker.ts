/**
 * Fits the ASC CDL nearest to a look in a thread of its own, for the preview's `.cc` export:
 * `fitCdl` takes about half a second, which on the main thread would stall the live picture.
 * One fit per thread: the look comes in `workerData`, the CDL goes back as one message.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fitCdl } from '../correction/interchange.js';

export interface CdlWorkerData {
  readonly size: number;
  readonly data: Float32Array;
}

const { size, data } = workerData as CdlWorkerData;
parentPort!.postMessage(fitCdl({ size, data }));
