/**
 * Standard output closed by its reader (`vgrade classify a.mp4 --json | head -1`, or
 * `vgrade grade a.mp4 -o - | head -c 100000`) is a normal end for a shell tool: the reader has
 * what it wanted. vgrade then stops the way `cat` and ffmpeg do: the work is stopped (ffmpeg
 * children killed, partial outputs removed), nothing is printed, and the exit status is
 * {@link EXIT_STDOUT_CLOSED}, the one a shell shows for `cat` in the same place.
 *
 * Two things notice it: a write of Node's own to standard output fails with EPIPE
 * ({@link watchStdout}), or the encoder's ffmpeg, which writes to vgrade's standard output
 * itself, reports a broken pipe ({@link markStdoutClosed}). Either aborts {@link stdoutClosed};
 * commands stop their work on it and say nothing of the errors that follow.
 */

/** 128 + SIGPIPE: what a shell reports for `cat` stopped by a closed pipe. */
export const EXIT_STDOUT_CLOSED = 141;

const closed = new AbortController();

/** Aborted once standard output's reader has gone away. */
export const stdoutClosed: AbortSignal = closed.signal;

/** Records that standard output's reader has gone away. */
export function markStdoutClosed(): void {
  closed.abort();
}

/**
 * Turns a failed write to standard output because its reader has gone (EPIPE; ECONNRESET where
 * stdout is a socket) into {@link stdoutClosed} instead of an unhandled 'error' event that crashes
 * the process with a stack trace. Any other error is rethrown. Call once, at start-up.
 */
export function watchStdout(stream: NodeJS.WriteStream = process.stdout): void {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') throw err;
    markStdoutClosed();
  });
}
