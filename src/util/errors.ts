/**
 * Errors with a stable code and a message of one shape.
 *
 * `UsageError` (exit status 2) is for what the command line asked: a bad option, a bad pipeline
 * file, an input that does not exist, an output already there (without -y or -n).
 * `RuntimeFailure` (exit status 1) is for what went wrong
 * while working: ffmpeg died, an output could not be written, or an input that exists holds
 * nothing vgrade can grade (`E_INPUT_NOT_MEDIA`, `E_INPUT_NO_VIDEO`, `E_INPUT_CORRUPT`,
 * `E_INPUT_EMPTY`, `E_INPUT_HDR`), whether that shows when it is probed or only while it is decoded: it is
 * about the data, not about how the command was asked, as ffmpeg itself exits 1 for invalid data.
 */
export type ErrorCode =
  | 'E_USAGE'
  | 'E_PIPELINE_SYNTAX'
  | 'E_PIPELINE_OPTION'
  | 'E_PIPELINE_STAGE'
  | 'E_PIPELINE_ORDER'
  | 'E_INPUT_MISSING'
  | 'E_INPUT_NOT_MEDIA'
  | 'E_INPUT_NO_VIDEO'
  | 'E_INPUT_CORRUPT'
  | 'E_INPUT_EMPTY'
  | 'E_INPUT_HDR'
  | 'E_OUTPUT'
  | 'E_OUTPUT_EXISTS'
  | 'E_FFMPEG_MISSING'
  | 'E_FFMPEG'
  | 'E_INTERRUPTED'
  | 'E_BACKEND'
  | 'E_MODEL'
  | 'E_MODEL_MISMATCH'
  | 'E_DATA'
  | 'E_QUEUE'
  | 'E_INTERNAL';

export class VgradeError extends Error {
  readonly code: ErrorCode;
  readonly exitCode: number;
  constructor(code: ErrorCode, message: string, exitCode: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** The user asked for something that cannot be done as asked. Exit status 2. */
export class UsageError extends VgradeError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, 2, options);
  }
}

/** Something failed while working. Exit status 1. */
export class RuntimeFailure extends VgradeError {
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, 1, options);
  }
}

/** Ctrl-C or SIGTERM stopped the work. Exit status 130. */
export class Interrupted extends VgradeError {
  constructor(message = 'interrupted') {
    super('E_INTERRUPTED', message, 130);
  }
}

/** Describes a received value the way sharp does: `0.1 of type number`. */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (typeof value === 'string') return `${JSON.stringify(value)} of type string`;
  if (typeof value === 'object')
    return `${JSON.stringify(value)} of type ${Array.isArray(value) ? 'array' : 'object'}`;
  return `${String(value)} of type ${typeof value}`;
}

/**
 * What a failed system call says, without the code or the path Node adds to it: "permission
 * denied" from `EACCES: permission denied, open 'ro/.out.vgrade-partial-22462.png'`. Messages
 * name the user's path themselves, never a temporary one.
 */
export function systemErrorReason(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return /^E[A-Z0-9]+: (.+?), [a-z_]+(?: '.*')?$/s.exec(message)?.[1] ?? message;
}
