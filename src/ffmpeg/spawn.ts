/**
 * Runs ffmpeg or ffprobe as a child process, never through a shell, and turns how it ended into
 * a promise: exit status 0 resolves, anything else rejects with the exit code and the last lines
 * ffmpeg wrote to stderr. Only the tail of stderr is kept, so a child that logs every frame for
 * hours holds a few kilobytes, not its whole log.
 */
import { spawn, type ChildProcess, type IOType, type StdioOptions } from 'node:child_process';
import path from 'node:path';
import type { Logger } from 'pino';
import { RuntimeFailure, UsageError } from '../util/errors.js';
import { LineSplitter, meaningfulLines, TailBuffer } from './stderr.js';

/** Options of {@link spawnFfmpeg}. */
export interface SpawnFfmpegOptions {
  /** Names this process in logs and error messages ("decode", "encode", "probe a.mp4"). */
  label: string;
  /**
   * stdin, stdout (and extra fds) as for `child_process.spawn`. stderr (fd 2) is always a pipe
   * read by this module, whatever is given for it. Default: `['ignore', 'ignore', 'pipe']`.
   */
  stdio?: StdioOptions;
  /** Receives the command line at debug level, each stderr line at trace level, the exit at debug. */
  logger?: Logger;
  /** Called with every complete stderr line, e.g. to parse `showinfo` output. */
  onStderrLine?: (line: string) => void;
  /** Characters of stderr to keep for error messages. Default {@link STDERR_TAIL_CHARS}. */
  stderrTailChars?: number;
}

/** A running ffmpeg child. */
export interface FfmpegProcess {
  /** The child itself, for its stdin/stdout streams and pid. */
  readonly child: ChildProcess;
  /**
   * Settles once the child has exited and its stderr is fully read. Resolves on exit status 0,
   * and after {@link FfmpegProcess.kill} whatever the status. Rejects with
   * {@link FfmpegExitError} (`E_FFMPEG`) on any other status or signal, and with
   * `UsageError` `E_FFMPEG_MISSING` when the binary could not be started at all.
   *
   * The promise is marked as handled when it is created, so a caller that learns of the failure
   * another way does not crash the process with an unhandled rejection; await it to see errors.
   */
  readonly exited: Promise<void>;
  /** True once {@link FfmpegProcess.kill} was called on a child still running. */
  readonly killedByUs: boolean;
  /** The last few kilobytes of stderr. */
  stderrTail(): string;
  /** Asks the child to stop (default `SIGTERM`, which ffmpeg handles by finishing its output). */
  kill(signal?: NodeJS.Signals): void;
}

/** ffmpeg ended with a non-zero status or was killed by a signal we did not send. */
export class FfmpegExitError extends RuntimeFailure {
  constructor(
    message: string,
    /** The child's exit status, `null` when a signal ended it. */
    readonly status: number | null,
    /** The signal that ended the child, if any. */
    readonly signal: NodeJS.Signals | null,
    /** The last few kilobytes of the child's stderr. */
    readonly stderr: string,
  ) {
    super('E_FFMPEG', message);
  }
}

/**
 * Starts `binary` with `args` (no shell: arguments are passed as they are, nothing is expanded).
 *
 * @example
 * ```ts
 * const proc = spawnFfmpeg(ffmpeg, ['-hide_banner', '-i', 'a.mp4', '-f', 'null', '-'], { label: 'check' });
 * await proc.exited; // rejects: "ffmpeg (check) exited with code 1: a.mp4: No such file or directory"
 * ```
 */
export function spawnFfmpeg(
  binary: string,
  args: readonly string[],
  opts: SpawnFfmpegOptions,
): FfmpegProcess {
  const { label, logger, onStderrLine } = opts;
  const program = programName(binary);
  // Captured now so that a failure reported later points at the code that started the process.
  const callSite: { stack?: string } = {};
  Error.captureStackTrace(callSite, spawnFfmpeg);

  logger?.debug({ label, command: [binary, ...args] }, `spawn ${program}`);
  const child = spawn(binary, args, { stdio: withPipedStderr(opts.stdio), shell: false, windowsHide: true });

  const tail = new TailBuffer(opts.stderrTailChars);
  const lines = new LineSplitter((line) => {
    logger?.trace({ label, line }, `${program} stderr`);
    onStderrLine?.(line);
  });
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    tail.append(chunk);
    if (logger !== undefined || onStderrLine !== undefined) lines.push(chunk);
  });
  // Writing to a child that has exited fails with EPIPE on its stdin stream; without a listener
  // that error would crash the process. The exit status reports what really went wrong.
  child.stdin?.on('error', (err) => logger?.debug({ label, err }, `${program} stdin closed`));

  let killedByUs = false;
  const exited = new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      err.stack = `${err.name}: ${err.message}\n${callSite.stack?.split('\n').slice(1).join('\n') ?? ''}`;
      reject(err);
    };
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'EACCES' || err.code === 'ENOTDIR' || err.code === 'EPERM') {
        fail(
          new UsageError(
            'E_FFMPEG_MISSING',
            `Cannot run ${program} at ${binary} (${err.code}): ${describeSpawnError(err.code)}. ` +
              `Set VGRADE_FFMPEG / VGRADE_FFPROBE to a working executable.`,
            { cause: err },
          ),
        );
      } else {
        fail(new RuntimeFailure('E_FFMPEG', `${program} (${label}) failed: ${err.message}`, { cause: err }));
      }
    });
    child.once('close', (status: number | null, signal: NodeJS.Signals | null) => {
      lines.end();
      logger?.debug({ label, status, signal, killedByUs }, `${program} exited`);
      if (settled) return;
      if (status === 0 || killedByUs) {
        settled = true;
        resolve();
        return;
      }
      const reasons = meaningfulLines(tail.toString(), tail.truncated);
      const how = signal !== null ? `was killed by ${signal}` : `exited with code ${String(status)}`;
      const why = reasons.length > 0 ? `: ${reasons.join('\n')}` : ' (no error output)';
      fail(new FfmpegExitError(`${program} (${label}) ${how}${why}`, status, signal, tail.toString()));
    });
  });
  exited.catch(() => undefined);

  return {
    child,
    exited,
    get killedByUs() {
      return killedByUs;
    },
    stderrTail: () => tail.toString(),
    kill(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      killedByUs = true;
      child.kill(signal);
    },
  };
}

/** What {@link runFfmpeg} collected. */
export interface FfmpegRunResult {
  /** Everything the child wrote to stdout, decoded as UTF-8. */
  stdout: string;
  /** The tail of its stderr. */
  stderr: string;
}

/**
 * Runs a short ffmpeg/ffprobe command to completion and returns its output as text (for
 * `-version`, `-encoders`, ffprobe's JSON...). stdout beyond `maxStdoutBytes` (default 16 MiB)
 * kills the child and rejects: this is for commands whose output is small by nature.
 */
export async function runFfmpeg(
  binary: string,
  args: readonly string[],
  opts: { label: string; logger?: Logger; maxStdoutBytes?: number },
): Promise<FfmpegRunResult> {
  const limit = opts.maxStdoutBytes ?? 16 * 1024 * 1024;
  const proc = spawnFfmpeg(binary, args, {
    label: opts.label,
    logger: opts.logger,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  proc.child.stdout?.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > limit) {
      overflow = true;
      proc.kill('SIGKILL');
      return;
    }
    chunks.push(chunk);
  });
  await proc.exited;
  if (overflow) {
    throw new RuntimeFailure(
      'E_FFMPEG',
      `${programName(binary)} (${opts.label}) wrote more than ${String(limit)} bytes to stdout`,
    );
  }
  return { stdout: Buffer.concat(chunks).toString('utf8'), stderr: proc.stderrTail() };
}

/** "ffprobe" for an ffprobe binary, "ffmpeg" for anything else. */
function programName(binary: string): string {
  return path.basename(binary).toLowerCase().startsWith('ffprobe') ? 'ffprobe' : 'ffmpeg';
}

function describeSpawnError(code: string): string {
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied (is it executable?)';
    default:
      return 'a directory in the path is not a directory';
  }
}

function withPipedStderr(stdio: StdioOptions | undefined): StdioOptions {
  if (stdio === undefined) return ['ignore', 'ignore', 'pipe'];
  const list: Exclude<StdioOptions, IOType>[number][] =
    typeof stdio === 'string' ? [stdio, stdio, stdio] : [...stdio];
  while (list.length < 3) list.push('ignore');
  list[2] = 'pipe';
  return list;
}
