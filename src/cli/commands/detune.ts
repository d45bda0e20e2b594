import { FAMILIES, LEVELS, MAX_AMOUNT, parseDetuneList } from '../../detune/families.js';
import { UsageError } from '../../util/errors.js';
import { defineCommand } from '../command.js';
import { EXISTING_OPTIONS, MEDIA_OPTIONS, PROGRESS_OPTION } from '../options.js';
import { gradeArgs, runGrade } from './grade.js';

/**
 * Checks `--detune` before any work, naming the flag (the detune pipeline's own message would
 * point into detune.yaml, a file the user never wrote).
 */
export function checkDetuneFlag(value: string): void {
  try {
    parseDetuneList(value);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    const names = FAMILIES.map((f) => `${f}-${LEVELS[0]}..${LEVELS[LEVELS.length - 1]}`).join(', ');
    throw new UsageError(
      'E_USAGE',
      `--detune ${value}: ${err.message}. Detunes are ${names}, or FAMILY:AMOUNT with an amount from 0 to ${MAX_AMOUNT} (green:1.5), comma-separated`,
      { cause: err },
    );
  }
}

/** `vgrade detune IN... -o OUT -d LIST`: the shipped detune pipeline, run as `vgrade grade` runs one. */
export const detuneCommand = defineCommand({
  command: 'detune <inputs..>',
  describe:
    'Apply named detunes (e.g. green-2,contrast-high-1) to videos or stills: for demos and for testing graders',
  builder: (y) =>
    y
      .positional('inputs', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: 'Files or - for stdin',
      })
      .options({
        ...MEDIA_OPTIONS,
        detune: {
          alias: 'd',
          type: 'string',
          demandOption: true,
          describe: 'Detunes: family-level (green-2) or family:amount (green:1.5), comma-separated',
        },
        progress: PROGRESS_OPTION,
        ...EXISTING_OPTIONS,
      }),
  handler: async (args) => {
    checkDetuneFlag(args.detune);
    return runGrade(gradeArgs(args, 'detune', [`detune.detunes=${args.detune}`]));
  },
});
