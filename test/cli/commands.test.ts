import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { yargsModule, type CommandModule } from '../../src/cli/command.js';
import { LOGGING_OPTIONS, yargs } from '../../src/cli/options.js';
import { classifyCommand } from '../../src/cli/commands/classify.js';
import { classify } from '../../src/stages/classify.js';
import { vgrade } from '../helpers/cli.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The command files: src/cli/commands/NAME.ts is the command NAME. */
const NAMES = readdirSync(path.join(root, 'src/cli/commands'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -'.ts'.length));

const isCommandModule = (value: unknown): value is CommandModule =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as CommandModule).command === 'string' &&
  typeof (value as CommandModule).describe === 'string' &&
  typeof (value as CommandModule).builder === 'function' &&
  typeof (value as CommandModule).handler === 'function';

/** What `vgrade COMMAND --help` prints, from the command's module alone. */
function help(command: CommandModule): Promise<string> {
  return new Promise((resolve, reject) => {
    void yargs([])
      .options(LOGGING_OPTIONS)
      .command(yargsModule(command, () => {}))
      .wrap(110)
      .parse([command.command.split(' ')[0]!, '--help'], {}, (err, _argv, output) =>
        err ? reject(err) : resolve(output),
      );
  });
}

describe('the commands', () => {
  it.each(NAMES)('src/cli/commands/%s.ts exports its command module, named as the file', async (name) => {
    const file = path.join(root, 'src/cli/commands', `${name}.ts`);
    const exports = (await import(/* @vite-ignore */ file)) as Record<string, unknown>;
    const modules = Object.values(exports).filter(isCommandModule);
    expect(modules.map((m) => m.command.split(' ')[0])).toEqual([name]);
  });

  it('vgrade alone names every command there is a module for', async () => {
    const result = await vgrade([]);
    expect(result.code).toBe(2);
    const named = /Name a command: (.*)/.exec(result.stderr)?.[1]?.split(', ');
    expect(named?.slice().sort()).toEqual(NAMES.slice().sort());
  });

  it("a flag that mirrors a stage option says the default from that stage's table", async () => {
    const text = (await help(classifyCommand)).replace(/\s+/g, ' ');
    expect(text).toContain(`Analyse every Nth frame (default ${classify.options.every.default})`);
    expect(text).toContain(`Classifier model folder (default ${classify.options.model.default})`);
  });

  it('no command module loads TensorFlow.js: only the commands that run a network do, when they run', async () => {
    // TensorFlow.js registers its engine in a global of its own when it loads.
    const script = `
      for (const name of ${JSON.stringify(NAMES)}) await import('./dist/src/cli/commands/' + name + '.js');
      process.stdout.write(String('_tfGlobals' in globalThis));`;
    const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], {
      cwd: root,
    });
    expect(stdout).toBe('false');
  });
});
