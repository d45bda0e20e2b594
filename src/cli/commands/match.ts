import { resolveBinaries } from '../../ffmpeg/binaries.js';
import { checkReference } from '../../ffmpeg/reference.js';
import { match } from '../../stages/match.js';
import { defineCommand } from '../command.js';
import {
  EXISTING_OPTIONS,
  EXPORT_OPTION,
  GRADE_INPUTS,
  MEDIA_OPTIONS,
  pipelineOption,
  PROGRESS_OPTION,
  SET_OPTION,
  STRENGTH_OPTION,
  strengthSets,
} from '../options.js';
import { gradeArgs, runGrade } from './grade.js';

/**
 * `vgrade match IN... --reference REF -o OUT`: the shipped match pipeline (or `-p` another with a
 * match stage), run as `vgrade grade` runs one. The reference is checked before any work: one that
 * does not exist or cannot be read is a usage error (exit 2) naming it.
 */
export const matchCommand = defineCommand({
  command: 'match <inputs..>',
  describe:
    'Make videos or stills look like a reference: a still, a frame of a video (FILE@TIME), a video or a folder of stills',
  builder: (y) =>
    y.positional('inputs', GRADE_INPUTS).options({
      ...MEDIA_OPTIONS,
      reference: {
        alias: 'r',
        type: 'string',
        demandOption: true,
        describe:
          'A still, a frame of a video (hero.mp4@00:01:02.500), a video (its look over its length) or a folder of stills',
      },
      method: {
        type: 'string',
        choices: match.options.method.values,
        describe: `How frames are matched (default ${match.options.method.default}): ${match.options.method.help}`,
      },
      pipeline: pipelineOption('match', 'Pipeline file with a match stage, or the name of a shipped one'),
      set: SET_OPTION,
      strength: STRENGTH_OPTION,
      progress: PROGRESS_OPTION,
      export: EXPORT_OPTION,
      ...EXISTING_OPTIONS,
    }),
  handler: async (args) => {
    await checkReference(args.reference, await resolveBinaries());
    const sets = [
      `match.reference=${JSON.stringify(args.reference)}`,
      ...(args.method !== undefined ? [`match.method=${args.method}`] : []),
      ...args.set,
      ...strengthSets(args.strength),
    ];
    return runGrade({ ...gradeArgs(args, args.pipeline, sets), exportDir: args.export });
  },
});
