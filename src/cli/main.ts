#!/usr/bin/env -S node --max-semi-space-size=1
// A 1 MiB young generation: vgrade allocates little per frame, and with V8's default (growing to
// 16 MiB semi-spaces over a long run) Node's peak memory rose with the footage's length
// (measured: 89.5 MiB for 10 s of 1080p, 101.9 MiB for 120 s; with this flag 83.4 and 86.7).
import { hideBin } from 'yargs/helpers';
import { yargsModule, type CommandModule } from './command.js';
import { helpWidth, LOGGING_OPTIONS, rejectRepeated, STDIO_TOKEN, yargs } from './options.js';
import { VgradeError } from '../util/errors.js';
import { packageVersion } from '../util/packageRoot.js';
import { EXIT_STDOUT_CLOSED, stdoutClosed, watchStdout } from '../util/stdout.js';

/**
 * The commands (each a module of src/cli/commands/), in the order `vgrade --help` lists them. Only
 * the command named on the command line is loaded: each pulls in the modules it runs (the stages,
 * the ingest queue, the preview's server), and loading them all cost every start about 0.1 s more.
 */
const COMMANDS: Readonly<Record<string, () => Promise<CommandModule>>> = {
  grade: async () => (await import('./commands/grade.js')).gradeCommand,
  match: async () => (await import('./commands/match.js')).matchCommand,
  detune: async () => (await import('./commands/detune.js')).detuneCommand,
  dataset: async () => (await import('./commands/dataset.js')).datasetCommand,
  eval: async () => (await import('./commands/eval.js')).evalCommand,
  classify: async () => (await import('./commands/classify.js')).classifyCommand,
  train: async () => (await import('./commands/train.js')).trainCommand,
  preview: async () => (await import('./commands/preview.js')).previewCommand,
  ingest: async () => (await import('./commands/ingest.js')).ingestCommand,
  doctor: async () => (await import('./commands/doctor.js')).doctorCommand,
  schema: async () => (await import('./commands/schema.js')).schemaCommand,
  explain: async () => (await import('./commands/explain.js')).explainCommand,
};
const NAMES = Object.keys(COMMANDS);

/** The named command's module, or every command's where none is named (`vgrade --help`, a typo). */
async function commandModules(named: string | undefined): Promise<CommandModule[]> {
  const load = named !== undefined ? COMMANDS[named] : undefined;
  return load ? [await load()] : Promise.all(NAMES.map((name) => COMMANDS[name]!()));
}

/**
 * Exit statuses: 0 done, 1 failed while working, 2 usage or configuration error, 130 interrupted,
 * 141 standard output closed by its reader (quietly, as `cat`).
 */
async function main(argv: string[]): Promise<number> {
  let status = 0;
  /** The command being run, once yargs has found it: usage errors point to its help. */
  let command: string | undefined;
  const help = (): string => `Run "vgrade ${command ? `${command} ` : ''}--help" for usage.`;
  const modules = await commandModules(argv.find((a) => !a.startsWith('-')));
  const parser = yargs(argv)
    .scriptName('vgrade')
    .version(packageVersion())
    .usage('$0 <command> [options]\n\nAutomatic colour grading of video and stills, as a stream.')
    .options(LOGGING_OPTIONS)
    .middleware((args) => {
      const named = String(args._[0]);
      command = NAMES.includes(named) ? named : undefined;
    }, true)
    .middleware(rejectRepeated, true)
    .command(modules.map((c) => yargsModule(c, (code) => (status = code))))
    .demandCommand(1, `Name a command: ${NAMES.join(', ')}`)
    .strict()
    .help()
    .wrap(helpWidth())
    .fail((msg, err) => {
      if (err) throw err;
      process.stderr.write(`vgrade: ${msg}\n${help()}\n`);
      status = 2;
      throw new ExitSignal();
    });
  try {
    await parser.parseAsync();
  } catch (err) {
    if (stdoutClosed.aborted) return EXIT_STDOUT_CLOSED;
    if (err instanceof ExitSignal) return status;
    if (err instanceof VgradeError) {
      // A command line that asks for what cannot be: its command's help says what can.
      process.stderr.write(`vgrade: ${err.message}\n${err.code === 'E_USAGE' ? `${help()}\n` : ''}`);
      return err.exitCode;
    }
    process.stderr.write(`vgrade: ${(err as Error).stack ?? String(err)}\n`);
    return 1;
  }
  return stdoutClosed.aborted ? EXIT_STDOUT_CLOSED : status;
}

class ExitSignal extends Error {}

const argv = hideBin(process.argv).map((a) => (a === '-' ? STDIO_TOKEN : a));
watchStdout();

void main(argv)
  .catch((err: unknown) => {
    process.stderr.write(`vgrade: ${String(err)}\n`);
    return 1;
  })
  .then((code) => (process.exitCode = code));
