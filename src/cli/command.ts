import type { ArgumentsCamelCase, Argv } from 'yargs';
import type { LogFormat } from '../util/logger.js';

/** The options every command takes (`LOGGING_OPTIONS`, given to the parser in main.ts). */
export interface GlobalArgs {
  'log-level': string;
  'log-format': string;
  quiet: boolean;
}

/**
 * One `vgrade` command, as yargs takes a command module: `command` (its name and positionals),
 * `describe` (its line in `vgrade --help`), `builder` (its options) and `handler`, which runs it
 * and resolves with its exit status (0 done, 1 failed while working, 2 usage, 130 interrupted).
 * A command's module is `src/cli/commands/NAME.ts`, beside the function that runs it; main.ts
 * lists the modules.
 */
export interface CommandModule<A = GlobalArgs> {
  readonly command: string;
  readonly describe: string;
  readonly builder: (y: Argv<GlobalArgs>) => Argv<A>;
  readonly handler: (args: ArgumentsCamelCase<A>) => Promise<number>;
}

/**
 * Identity for a command module, so the handler's arguments are typed from the builder's options
 * inside the definition; outside it, every command has one type (main.ts lists them together).
 */
export function defineCommand<A>(module: CommandModule<A>): CommandModule {
  return module as unknown as CommandModule;
}

/** The command as yargs takes it: its handler hands the exit status to `done`. */
export function yargsModule(command: CommandModule, done: (status: number) => void) {
  return {
    ...command,
    handler: async (args: ArgumentsCamelCase<GlobalArgs>) => done(await command.handler(args)),
  };
}

/** The logging every command's run function takes, from the global options. */
export function logging(args: GlobalArgs): { quiet: boolean; logLevel: string; logFormat: LogFormat } {
  return { quiet: args.quiet, logLevel: args['log-level'], logFormat: args['log-format'] as LogFormat };
}
