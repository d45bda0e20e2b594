/**
 * The option groups several commands share, declared once: logging (every command), where media
 * is read and written and how it is encoded (grade, detune), -y and -n, --progress, --pipeline
 * and --set, --strength, --backend. A flag that mirrors a stage option reads its range and its
 * default from that stage's option table, which owns them.
 */
import { createRequire } from 'node:module';
import type esmYargs from 'yargs';
import { UsageError } from '../util/errors.js';
import { LOG_FORMATS } from '../util/logger.js';
import { BACKEND_CHOICES } from '../models/choices.js';
import type { OnExisting } from '../ffmpeg/output.js';
import { STRENGTH_RANGE } from '../correction/lut3d.js';

/**
 * yargs drops a lone "-" (stdin/stdout in every Unix tool); main.ts carries it through as a token
 * of our own, and a command turns it back into "-" where it reads its arguments.
 */
export const STDIO_TOKEN = '\u0000stdio';

export function stdio(value: string): string {
  return value === STDIO_TOKEN ? '-' : value;
}

/** The options every command takes. */
export const LOGGING_OPTIONS = {
  'log-level': {
    type: 'string',
    choices: ['trace', 'debug', 'info', 'warn', 'error', 'silent'],
    default: 'warn',
    describe: 'Log level of the logs on stderr',
  },
  'log-format': {
    type: 'string',
    choices: LOG_FORMATS,
    default: 'auto',
    describe: 'Logs as text lines, or JSON lines; auto: pretty in a terminal, text lines elsewhere',
  },
  quiet: { alias: 'q', type: 'boolean', default: false, describe: 'Only errors on stderr, no progress' },
} as const;

/**
 * Where `grade` and `detune` read and write media, and how they encode it. `--codec`, `--crf` and
 * `--preset` win over the pipeline's `encode` stage, and are checked against what the encoder
 * picked for each output accepts (src/ffmpeg/encoderSettings.ts), so they travel with the output.
 */
export const MEDIA_OPTIONS = {
  output: {
    alias: 'o',
    type: 'string',
    demandOption: true,
    describe: 'Output file, folder (for several inputs) or - for stdout',
  },
  format: {
    alias: 'f',
    type: 'string',
    describe: 'Output container, e.g. nut, matroska, mp4 (needed for -o -; default nut)',
  },
  'input-format': {
    type: 'string',
    describe: 'Input container when ffmpeg cannot tell, e.g. for stdin: nut, matroska, y4m',
  },
  codec: { type: 'string', describe: 'Video encoder, e.g. libx264, libx265, prores_ks, ffv1' },
  crf: { type: 'number', describe: 'Constant rate factor for the encoder' },
  preset: { type: 'string', describe: 'Encoder preset, e.g. veryfast, medium, slow' },
} as const;

/** ffmpeg's -y and -n, for the commands that write media to the -o their user names. */
export const EXISTING_OPTIONS = {
  overwrite: {
    alias: 'y',
    type: 'boolean',
    describe: 'Overwrite outputs that already exist (as ffmpeg -y)',
  },
  'skip-existing': {
    alias: 'n',
    type: 'boolean',
    describe: 'Skip inputs whose output already exists, saying so (as ffmpeg -n)',
  },
} as const;

/**
 * What -y and -n ask for: overwrite, skip, or (neither) refuse an existing output before any work,
 * as ffmpeg does when it cannot ask.
 */
export function onExisting(args: {
  overwrite?: boolean | undefined;
  'skip-existing'?: boolean | undefined;
}): OnExisting {
  if (args.overwrite && args['skip-existing'])
    throw new UsageError('E_USAGE', '-y (overwrite) and -n (skip existing outputs) cannot both be given');
  return args.overwrite ? 'overwrite' : args['skip-existing'] ? 'skip' : 'refuse';
}

/** `--progress` of the commands that grade files one after another. */
export const PROGRESS_OPTION = {
  type: 'string',
  choices: ['auto', 'bar', 'json', 'none'],
  default: 'auto',
  describe: 'Progress on stderr',
} as const;

/** The `<inputs..>` of the commands that grade files. */
export const GRADE_INPUTS = {
  type: 'string',
  array: true,
  demandOption: true,
  describe: 'Files, image sequences (a%04d.png) or - for stdin',
} as const;

/** `--export` of the commands that grade: each shot's correction, for a colourist's tools. */
export const EXPORT_OPTION = {
  type: 'string',
  describe: "Also write each shot's correction here: .cube and ASC CDL (.cc, .ccc, CMX .edl)",
} as const;

/** `--pipeline`: a pipeline file, or the name of one in pipelines/. */
export function pipelineOption<D extends string>(fallback: D, describe: string) {
  return { alias: 'p', type: 'string', default: fallback, describe } as const;
}

/** `--set`: any stage option of the pipeline, as the command line's last word on it. */
export const SET_OPTION = {
  type: 'string',
  array: true,
  default: [] as string[],
  describe: 'Override a stage option: stage.option=value (repeatable)',
} as const;

/** `--backend` of every command that runs a pipeline's networks. */
export const BACKEND_OPTION = {
  type: 'string',
  choices: BACKEND_CHOICES,
  describe: "TensorFlow.js backend of the networks (default: the pipeline's own, else auto)",
} as const;

/** `--strength` of grade, ingest and preview: the encode stage's `strength`, in its range. */
export const STRENGTH_OPTION = {
  type: 'number',
  describe: `The whole correction scaled towards the identity: 0 untouched, 1 as graded, up to ${String(STRENGTH_RANGE.max)}`,
} as const;

/**
 * `--strength S` as the encode stage's `strength` (where every pipeline's per-frame LUT is final),
 * checked against that option's range first so the message names the flag (exit 2).
 */
export function strengthSets(strength: number | undefined): string[] {
  const checked = checkStrength(strength);
  return checked === undefined ? [] : [`encode.strength=${String(checked)}`];
}

/** `--strength` within the encode stage's range for it (the preview applies it as encode does). */
export function checkStrength(strength: number | undefined): number | undefined {
  if (strength === undefined) return undefined;
  const { min, max } = STRENGTH_RANGE;
  if (!(Number.isFinite(strength) && strength >= min && strength <= max)) {
    throw new UsageError(
      'E_USAGE',
      `Expected number between ${String(min)} and ${String(max)} for --strength but received ${String(strength)}`,
    );
  }
  return strength;
}

/** What yargs knows of the options of the command being run (not in its types). */
interface DeclaredOptions {
  getOptions(): { array: string[]; alias: Record<string, string[]> };
}

/**
 * A middleware that refuses an option that takes one value given more than once (`-o a -o b`):
 * yargs would hand the command an array of them. Options declared as arrays (the inputs, `--set`)
 * take any number. yargs hands a middleware the parser too, which its types do not say.
 */
export const rejectRepeated = ((args: Record<string, unknown>, parser: DeclaredOptions): void => {
  const declared = parser.getOptions();
  const many = new Set(declared.array.flatMap((name) => [name, ...(declared.alias[name] ?? [])]));
  for (const [key, value] of Object.entries(args)) {
    if (key === '_' || many.has(key) || !Array.isArray(value)) continue;
    // yargs also sets `inputFormat` beside `input-format`: name the option as it is typed.
    if (/[A-Z]/.test(key) && key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`) in args) continue;
    const name =
      Object.keys(declared.alias).find((n) => n === key || declared.alias[n]!.includes(key)) ?? key;
    const values = value.map((v) => stdio(String(v)));
    throw new UsageError(
      'E_USAGE',
      `Expected one value for --${name} but received ${String(values.length)}: ${values.join(', ')}`,
    );
  }
}) as (args: Record<string, unknown>) => void;

/**
 * yargs' CommonJS build, on purpose: its ES module build wraps help text with a stand-in for
 * wrap-ansi that cuts every line at the width, through the middle of words ("for demo" / "s and
 * for testing"); the CommonJS build uses wrap-ansi and breaks lines between words
 * (yargs/yargs#2112, fixed in yargs 18). The API and its types are the same.
 */
export const yargs = createRequire(import.meta.url)('yargs') as typeof esmYargs;

/**
 * Columns for the help text: `COLUMNS` when set (as `ls` reads it), else the terminal's width,
 * else (a pipe, a file) 110; never wider than 110, which keeps the descriptions readable.
 */
export function helpWidth(): number {
  const columns = Number.parseInt(process.env.COLUMNS ?? '', 10);
  return Math.min(110, columns > 0 ? columns : process.stdout.columns || 110);
}
