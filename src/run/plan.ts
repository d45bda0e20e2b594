import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import {
  existingOutput,
  fileOutput,
  stdoutOutput,
  type EncoderOverrides,
  type OutputTarget,
} from '../ffmpeg/output.js';
import { isStillImageFile } from '../ffmpeg/stillImage.js';
import { UsageError } from '../util/errors.js';

export interface PlannedJob {
  readonly input: string;
  readonly output: OutputTarget;
}

/**
 * Pairs inputs with outputs. One input: `-o` names the output file (or `-`, or a folder). Several
 * inputs: `-o` must be a folder (existing, or written with a trailing slash), and each input is
 * written there under its own file name; two inputs with the same name are refused rather than
 * one overwriting the other. The output may not be one of the inputs.
 */
export async function planOutputs(
  inputs: readonly string[],
  out: string,
  opts: { format?: string; overrides: EncoderOverrides },
): Promise<PlannedJob[]> {
  if (inputs.length === 0) throw new UsageError('E_USAGE', 'Expected at least one input');
  if (inputs.filter((i) => i === '-').length > 1)
    throw new UsageError('E_USAGE', 'Standard input (-) can be read only once');
  if (out === '-') {
    if (inputs.length > 1)
      throw new UsageError('E_USAGE', 'Several inputs cannot all be written to standard output');
    return [{ input: inputs[0]!, output: stdoutOutput(opts.format, opts.overrides) }];
  }
  let isDir = out.endsWith('/') || out.endsWith(path.sep);
  try {
    isDir ||= (await stat(out)).isDirectory();
  } catch {
    // does not exist yet: a file, unless written with a trailing slash
  }
  if (inputs.length > 1 && !isDir) {
    throw new UsageError(
      'E_USAGE',
      `Several inputs need -o to be a folder (e.g. ${out}/) but ${out} is not one`,
    );
  }
  const jobs = inputs.map((input): PlannedJob => {
    if (!isDir) return { input, output: fileOutput(out, opts.overrides, opts.format) };
    if (input === '-')
      throw new UsageError('E_USAGE', 'Standard input needs an output file name, not a folder');
    const ext = path.extname(input).toLowerCase();
    const name =
      isStillImageFile(input) || ext === '.mp4' || ext === '.mkv' || ext === '.mov'
        ? path.basename(input)
        : `${path.basename(input, ext)}.mp4`;
    return { input, output: fileOutput(path.join(out, name), opts.overrides, opts.format) };
  });
  const seen = new Map<string, string>();
  for (const job of jobs) {
    const key = path.resolve(job.output.path);
    const other = seen.get(key);
    if (other)
      throw new UsageError(
        'E_USAGE',
        `${other} and ${job.input} would both be written to ${job.output.path}`,
      );
    seen.set(key, job.input);
    if (job.input !== '-' && path.resolve(job.input) === key) {
      throw new UsageError(
        'E_USAGE',
        `The output ${job.output.path} is the input itself; choose another name`,
      );
    }
  }
  return jobs;
}

/** An output found already there before any work: whose job it is, and what is there. */
export interface ExistingOutput {
  readonly job: PlannedJob;
  /** The file found: the output itself, a sequence's first frame, or an exported correction. */
  readonly path: string;
}

/**
 * Every planned output that is already there, in the jobs' order: each job's output (see
 * {@link existingOutput}) and, when the pipeline exports corrections into `exportDir`, the files
 * the export stage writes for that input (`NAME.ccc`, `NAME.edl`, `NAME.shot-NNN.cube`/`.cc`).
 * Checked for the whole batch at once, so a batch is refused before its first job, not half-way.
 */
export async function findExisting(
  jobs: readonly PlannedJob[],
  exportDir?: string,
): Promise<ExistingOutput[]> {
  const exported = exportDir ? await readdir(exportDir).catch(() => [] as string[]) : [];
  const found: ExistingOutput[] = [];
  for (const job of jobs) {
    const there = await existingOutput(job.output);
    if (there !== undefined) {
      found.push({ job, path: there });
      continue;
    }
    // The export stage's NAME: the input's file name without its extension; `stdin` for `-`.
    const name = job.input === '-' ? 'stdin' : path.basename(job.input, path.extname(job.input));
    const file = exported
      .filter((f) => f === `${name}.ccc` || f === `${name}.edl` || isShotFile(f, name))
      .sort()[0];
    if (file !== undefined) found.push({ job, path: path.join(exportDir!, file) });
  }
  return found;
}

function isShotFile(file: string, name: string): boolean {
  return (
    file.startsWith(`${name}.shot-`) && /^\d+\.(cube|cc)$/.test(file.slice(name.length + '.shot-'.length))
  );
}

/**
 * The refusal when outputs are already there and neither -y nor -n was given, naming them:
 * `graded/a.mp4 already exists; -y overwrites it, -n skips it` (at most three names, then a count).
 */
export function existingMessage(found: readonly ExistingOutput[]): string {
  const names = found.map((f) => f.path);
  const shown = names.length > 3 ? [...names.slice(0, 3), `${names.length - 3} more`] : names;
  const list = shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)!}` : shown[0]!;
  return names.length === 1
    ? `${list} already exists; -y overwrites it, -n skips it`
    : `${list} already exist; -y overwrites them, -n skips them`;
}
