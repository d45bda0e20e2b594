import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
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
    // -y: the command stays true when run again (without it, vgrade refuses an existing output).
    expect(job).toMatch(/^npx vgrade grade samples\/cockatoo\.mp4 -o \S+ -y$/);
    expect(tests).toBe('npm test');
  });

  it('run the main job as written, into a folder git ignores, over what a last run left', async () => {
    const [, job] = await firstCommands();
    const args = job!.split(/\s+/).slice(2); // after "npx vgrade"
    const out = args[args.indexOf('-o') + 1]!;
    const relative = out.endsWith('/') ? path.join(out, 'cockatoo.mp4') : out;
    // Run where the README's paths resolve as in the repository (samples/ is the shipped folder),
    // but in a folder of its own, so that another test run at the same time cannot race for it.
    const cwd = await mkdtemp(path.join(tmpdir(), 'vgrade-readme-'));
    try {
      await symlink(path.join(root, 'samples'), path.join(cwd, 'samples'));
      // As after a first run: the output is there already.
      const produced = path.join(cwd, relative);
      await mkdir(path.dirname(produced), { recursive: true });
      await writeFile(produced, "a last run's output\n");
      await run(process.execPath, [path.join(root, 'dist/src/cli/main.js'), ...args], { cwd });
      const info = await probe(produced);
      expect(info.streams.some((s: { codec_type: string }) => s.codec_type === 'video')).toBe(true);
      // The working tree stays clean: git ignores what the main job writes there.
      if (existsSync(path.join(root, '.git'))) {
        const { stdout } = await run('git', ['check-ignore', '--no-index', relative], { cwd: root });
        expect(stdout.trim()).toBe(relative);
      }
    } finally {
      await rm(cwd, { recursive: true, force: true, maxRetries: 10 });
    }
  });
});
