import { FfmpegExitError } from '../ffmpeg/spawn.js';
import { VgradeError, type ErrorCode } from '../util/errors.js';

/**
 * Whether trying a failed job again can help. `permanent`: the file itself is the trouble (not
 * media, damaged, no video, no frames, an unsupported format, a pipeline that cannot take it) and
 * it goes to quarantine at once. `transient`: the machine or a process was the trouble (ffmpeg died
 * or was killed, an output could not be written, a model worker or a backend failed) and the job is
 * retried with backoff.
 */
export type FailureKind = 'permanent' | 'transient';

/**
 * Every error code's kind. A `Record` over {@link ErrorCode}, so a new code does not compile until
 * it is given a row here.
 */
export const FAILURE_KINDS: Readonly<Record<ErrorCode, FailureKind>> = {
  // The file:
  E_INPUT_MISSING: 'permanent', // gone from the watch folder, or not a file inside it
  E_INPUT_NOT_MEDIA: 'permanent', // ffprobe cannot read it; an unsupported or refused format
  E_INPUT_NO_VIDEO: 'permanent',
  E_INPUT_CORRUPT: 'permanent',
  E_INPUT_EMPTY: 'permanent',
  E_INPUT_HDR: 'permanent', // PQ or HLG: vgrade grades SDR pictures
  // The pipeline and the file do not fit together (checked per file when it is built):
  E_USAGE: 'permanent',
  E_PIPELINE_SYNTAX: 'permanent',
  E_PIPELINE_OPTION: 'permanent',
  E_PIPELINE_STAGE: 'permanent',
  E_PIPELINE_ORDER: 'permanent',
  E_MODEL_MISMATCH: 'permanent',
  E_DATA: 'permanent',
  // The machine and its processes:
  E_FFMPEG: 'transient', // ffmpeg exited with an error or was killed
  E_FFMPEG_MISSING: 'transient',
  E_OUTPUT: 'transient', // disk full, permissions
  E_OUTPUT_EXISTS: 'transient', // grade -o without -y/-n; ingest names its outputs itself
  E_BACKEND: 'transient',
  E_MODEL: 'transient', // a model worker that died
  E_QUEUE: 'transient',
  E_INTERRUPTED: 'transient',
  E_INTERNAL: 'transient',
};

/** True when `err` was caused, at any depth, by an ffmpeg process ended by a signal. */
function killedFfmpeg(err: unknown): boolean {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof FfmpegExitError && e.signal !== null) return true;
  }
  return false;
}

/**
 * The kind of a job's failure: our errors by their code ({@link FAILURE_KINDS}), except that an
 * ffmpeg killed by a signal (the kernel's OOM killer, an operator) is transient whatever the code
 * it was reported under; anything else (a system call's error such as ENOSPC, a bug) is transient.
 */
export function failureKind(err: unknown): FailureKind {
  if (killedFfmpeg(err)) return 'transient';
  return err instanceof VgradeError ? FAILURE_KINDS[err.code] : 'transient';
}
