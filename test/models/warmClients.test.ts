import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import {
  giveBackModelClient,
  takeModelClient,
  warmModelClient,
} from '../../src/models/worker/warmClients.js';
import { packageRoot } from '../../src/util/packageRoot.js';

const classifierDir = path.join(packageRoot(), 'models', 'classifier');

describe('model workers started ahead of need', () => {
  it('hands the waiting worker to the stage that takes it, and starts a fresh one for the next', async () => {
    warmModelClient('classifier', classifierDir, 'wasm');
    const first = await takeModelClient('classifier', classifierDir, 'wasm');
    const second = await takeModelClient('classifier', classifierDir, 'wasm');
    try {
      expect(first).not.toBe(second);
      const { probs } = await first.run({ frames: [new Uint8Array(456 * 256 * 3)] });
      expect(probs).toHaveLength(25);
    } finally {
      await first.close();
      await second.close();
    }
  });

  it('keeps a worker given back for the next taker (the next file of a batch), but not a closed one', async () => {
    const first = await takeModelClient('classifier', classifierDir, 'wasm');
    giveBackModelClient('classifier', classifierDir, 'wasm', first);
    const again = await takeModelClient('classifier', classifierDir, 'wasm');
    expect(again).toBe(first);
    const { amounts } = await again.run({ frames: [new Uint8Array(456 * 256 * 3)] });
    expect(amounts).toHaveLength(8);
    await again.close();
    giveBackModelClient('classifier', classifierDir, 'wasm', again);
    const fresh = await takeModelClient('classifier', classifierDir, 'wasm');
    expect(fresh).not.toBe(again);
    await fresh.close();
  });

  it('does not keep the process alive when nothing takes it', async () => {
    // A run that fails after warming (a bad input, say) must still exit at once.
    // The sources, as this test runs them (tsx compiles them as they load).
    const script = `
      import { warmModelClient } from ${JSON.stringify(path.join(packageRoot(), 'src/models/worker/warmClients.ts'))};
      warmModelClient('classifier', ${JSON.stringify(classifierDir)}, 'wasm');
      console.log('warming');
    `;
    // A kept-alive worker would never exit: the timeout kills the process and the call rejects.
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      { cwd: packageRoot(), timeout: 120_000 },
    );
    expect(stdout.trim()).toBe('warming');
  });

  it('reports a model that cannot load to whoever takes it', async () => {
    warmModelClient('classifier', '/nonexistent-model', 'wasm');
    await expect(takeModelClient('classifier', '/nonexistent-model', 'wasm')).rejects.toThrow(
      /nonexistent-model/,
    );
  });
});
