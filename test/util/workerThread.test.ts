import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { startWorker } from '../../src/util/workerThread.js';
import { packageRoot } from '../../src/util/packageRoot.js';

describe('startWorker', () => {
  const made: string[] = [];
  afterAll(() => Promise.all(made.map((d) => rm(d, { recursive: true, force: true, maxRetries: 10 }))));

  it('runs the TypeScript beside a caller that runs from the sources (as vitest does), with what it imports', async () => {
    const worker = startWorker(new URL('./fixtures/caller.ts', import.meta.url).href, 'echoWorker', {
      workerData: { n: 5 },
    });
    try {
      const [message] = (await once(worker, 'message')) as [{ url: string; root: string; data: unknown }];
      expect(message).toEqual({
        url: new URL('./fixtures/echoWorker.ts', import.meta.url).href,
        root: packageRoot(),
        data: { n: 5 },
      });
    } finally {
      await worker.terminate();
    }
  });

  it('runs the JavaScript beside a compiled caller', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-worker-'));
    made.push(dir);
    await writeFile(
      path.join(dir, 'echo.js'),
      "require('node:worker_threads').parentPort.postMessage(require('node:worker_threads').workerData);",
    );
    const worker = startWorker(pathToFileURL(path.join(dir, 'caller.js')).href, 'echo', { workerData: 'js' });
    try {
      expect(await once(worker, 'message')).toEqual(['js']);
    } finally {
      await worker.terminate();
    }
  });
});
