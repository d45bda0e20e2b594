/**
 * Builds ffmpeg command lines as argument arrays, for `spawn` without a shell: a file name with
 * spaces, quotes or `$` is one argument and means exactly itself.
 *
 * ffmpeg reads its command line in a fixed order (global options, then each input's options
 * followed by `-i`, then each output's options followed by the output), so {@link FfmpegArgs}
 * emits that order whatever order the calls came in.
 *
 * @example
 * ```ts
 * const args = new FfmpegArgs()
 *   .global('-hide_banner', '-nostdin', '-loglevel', 'error')
 *   .input('-', { format: 'nut' })
 *   .output('-', { format: 'rawvideo', options: { pix_fmt: 'rgb24', an: true } })
 *   .toArray();
 * // ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'nut', '-i', 'pipe:0',
 * //  '-pix_fmt', 'rgb24', '-an', '-f', 'rawvideo', 'pipe:1']
 * ```
 */

/**
 * Options as ffmpeg spells them, either as an argument list (`['-pix_fmt', 'rgb24']`) or as an
 * object whose insertion order is kept: `{ pix_fmt: 'rgb24', an: true, 'c:v': 'ffv1' }`. Keys
 * may carry their leading `-` or not; `true` writes a flag alone, `false` and `undefined` write
 * nothing.
 */
export type OptionList = readonly string[] | Readonly<Record<string, string | number | boolean | undefined>>;

/** Per-input or per-output settings. */
export interface StreamSpec {
  /** Forces the container format (`-f`), e.g. `nut`, `rawvideo`, `image2pipe`. */
  format?: string;
  /** Further options, written before `-f` and the `-i`/target. */
  options?: OptionList;
}

/** Collects an ffmpeg command line and writes it out in the order ffmpeg expects. */
export class FfmpegArgs {
  private readonly globals: string[] = [];
  private readonly inputs: string[][] = [];
  private readonly outputs: string[][] = [];

  /** Adds global options (`-hide_banner`, `-nostdin`, `-loglevel error`, `-filter_complex ...`). */
  global(...options: string[]): this {
    this.globals.push(...options);
    return this;
  }

  /** Adds an input; `-` reads stdin. Inputs are numbered in the order they are added. */
  input(target: string, spec: StreamSpec = {}): this {
    this.inputs.push([...optionArgs(spec.options ?? []), ...formatArgs(spec.format), ...inputArgs(target)]);
    return this;
  }

  /** Adds an output; `-` writes stdout. */
  output(target: string, spec: StreamSpec = {}): this {
    this.outputs.push([...optionArgs(spec.options ?? []), ...formatArgs(spec.format), outputTarget(target)]);
    return this;
  }

  /** How many inputs were added (the next input's index). */
  get inputCount(): number {
    return this.inputs.length;
  }

  /** The command line, without the program name. */
  toArray(): string[] {
    return [...this.globals, ...this.inputs.flat(), ...this.outputs.flat()];
  }
}

/**
 * The arguments that name one input: `-i` and the target, with `-` read as stdin (`pipe:0`).
 * A file name that begins with `-` gets a `file:` prefix so that ffmpeg does not take it for an
 * option. A name with a colon (`a:b.mp4`) is read by ffmpeg as `protocol:rest`; pass such a local
 * file as `file:a:b.mp4`.
 */
export function inputArgs(path: string): [string, string] {
  return ['-i', path === '-' ? 'pipe:0' : protectDash(path)];
}

/** An output target: `-` is stdout (`pipe:1`); see {@link inputArgs} for names beginning with `-`. */
export function outputTarget(path: string): string {
  return path === '-' ? 'pipe:1' : protectDash(path);
}

function protectDash(path: string): string {
  return path.startsWith('-') ? `file:${path}` : path;
}

function formatArgs(format: string | undefined): string[] {
  return format === undefined ? [] : ['-f', format];
}

/** Expands an {@link OptionList} to arguments. */
export function optionArgs(options: OptionList): string[] {
  if (isArgumentList(options)) return [...options];
  const args: string[] = [];
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || value === false) continue;
    const flag = key.startsWith('-') ? key : `-${key}`;
    if (value === true) {
      args.push(flag);
    } else if (typeof value === 'number') {
      if (!Number.isFinite(value)) {
        throw new TypeError(`Expected finite number for ffmpeg option ${flag} but received ${String(value)}`);
      }
      args.push(flag, String(value));
    } else {
      args.push(flag, value);
    }
  }
  return args;
}

function isArgumentList(options: OptionList): options is readonly string[] {
  return Array.isArray(options);
}

// Characters with a meaning inside one filter's option string (`key=value:key=value`).
const OPTION_LEVEL = /[\\':\s]/g;
// Characters with a meaning in a filtergraph description (`a=x,b=y;[in]c[out]`).
const GRAPH_LEVEL = /[\\'[\],;\s]/g;

/**
 * Escapes a value for use as `key=<value>` inside a filtergraph string given to `-vf`,
 * `-filter_complex` or a filter script, e.g. a LUT file path: `lut3d=file=${filterEscape(path)}`.
 *
 * ffmpeg unescapes twice: the graph parser first (special: `\ ' [ ] , ;`), then the filter's
 * option parser (special: `\ ' :`). So the value is escaped for the option level and the result
 * escaped again for the graph level; whitespace is escaped at both, since each level trims it.
 * `a:b,c` becomes `a\\:b\,c`.
 */
export function filterEscape(value: string): string {
  return escapeGraphLevel(escapeOptionLevel(value));
}

/** The option level alone: for a filter's argument string that is not inside a graph. */
export function escapeOptionLevel(value: string): string {
  return value.replace(OPTION_LEVEL, (c) => `\\${c}`);
}

/** The graph level alone: for a whole, already option-escaped filter description. */
export function escapeGraphLevel(value: string): string {
  return value.replace(GRAPH_LEVEL, (c) => `\\${c}`);
}
