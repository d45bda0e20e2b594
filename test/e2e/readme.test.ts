import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { probe } from '../helpers/media.js';

const run = promisify(execFile);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** The README's first code block: set-up, the main job, the tests. */
async function firstCommands(): Promise<string[]> {
  const readme = await readFile(path.join(root, 'README.md'), 'utf8');
  const block = /```sh\n([\s\S]*?)```/.exec(readme)![1]!;
  return block
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

describe("the README's first commands", () => {
  it('are set-up, the main job on the shipped sample, and the tests', async () => {
    const [setup, job, tests] = await firstCommands();
    expect(setup).toBe('npm ci');
    expect(job).toMatch(/^npx vgrade grade samples\/cockatoo\.mp4 -o \S+$/);
    expect(tests).toBe('npm test');
  });

  it('run the main job as written, into a folder git ignores', async () => {
    const [, job] = await firstCommands();
    const args = job!.split(/\s+/).slice(2); // after "npx vgrade"
    const out = args[args.indexOf('-o') + 1]!;
    const produced = path.join(root, out.endsWith('/') ? path.join(out, 'cockatoo.mp4') : out);
    await rm(produced, { force: true });
    try {
      await run(process.execPath, [path.join(root, 'dist/src/cli/main.js'), ...args], { cwd: root });
      const info = await probe(produced);
      expect(info.streams.some((s: { codec_type: string }) => s.codec_type === 'video')).toBe(true);
      // The working tree stays clean: git ignores what the main job wrote.
      if (existsSync(path.join(root, '.git'))) {
        const { stdout } = await run('git', ['check-ignore', path.relative(root, produced)], { cwd: root });
        expect(stdout.trim()).toBe(path.relative(root, produced));
      }
    } finally {
      await rm(produced, { force: true });
    }
  });
});
