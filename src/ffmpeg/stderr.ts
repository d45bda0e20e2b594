/**
 * Bounded handling of an ffmpeg child's stderr: a tail that never grows past a fixed size, a line
 * splitter that is correct across chunk boundaries, and the pick of the lines worth showing in an
 * error message.
 *
 * ffmpeg ends progress lines (`frame=  12 fps=...`) with a bare `\r` and everything else with
 * `\n`, so `\r`, `\n` and `\r\n` all end a line here. A `\r\n` split across two chunks is one line
 * end, not two.
 */

/** Default number of characters of stderr kept in memory per process. */
export const STDERR_TAIL_CHARS = 8192;

/** The last `limit` characters of everything appended; memory stays below `2 * limit + chunk`. */
export class TailBuffer {
  private text = '';
  private dropped = false;

  constructor(readonly limit: number = STDERR_TAIL_CHARS) {}

  /** Appends a chunk, discarding the oldest text once the buffer is twice its limit. */
  append(chunk: string): void {
    this.text += chunk;
    if (this.text.length > 2 * this.limit) {
      this.text = this.text.slice(-this.limit);
      this.dropped = true;
    }
  }

  /** True when text has been discarded, so the tail may begin in the middle of a line. */
  get truncated(): boolean {
    return this.dropped || this.text.length > this.limit;
  }

  /** The last `limit` characters. */
  toString(): string {
    return this.text.length > this.limit ? this.text.slice(-this.limit) : this.text;
  }
}

/**
 * Splits a stream of text chunks into lines and hands each complete line to `onLine`, without
 * its terminator. A line longer than `maxLine` characters is handed over in pieces of that size,
 * so a child that never ends a line cannot make memory grow.
 */
export class LineSplitter {
  private partial = '';
  private afterCR = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLine: number = 64 * 1024,
  ) {}

  /** Feeds one chunk. */
  push(chunk: string): void {
    if (chunk === '') return;
    // The '\n' of a '\r\n' whose '\r' ended the previous chunk: that line was already emitted.
    if (this.afterCR && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.afterCR = chunk.endsWith('\r');
    const parts = (this.partial + chunk).split(/\r\n|\r|\n/);
    this.partial = parts.pop() ?? '';
    for (const line of parts) this.onLine(line);
    while (this.partial.length > this.maxLine) {
      this.onLine(this.partial.slice(0, this.maxLine));
      this.partial = this.partial.slice(this.maxLine);
    }
  }

  /** Flushes a last line that had no terminator. */
  end(): void {
    if (this.partial !== '') this.onLine(this.partial);
    this.partial = '';
    this.afterCR = false;
  }
}

/** Progress and summary lines that say nothing about why ffmpeg failed. */
const NOISE = [
  /^\s*$/,
  /^frame=\s*\d+/, // progress: frame=   25 fps=0.0 q=-0.0 size=...
  /^size=\s*\S+/, // progress without video: size=     256kB time=...
  /^video:\S+ audio:\S+/, // final summary
  /^Press \[q\] to stop/,
];

/**
 * The last `count` lines of a stderr tail that explain something: progress lines, the summary and
 * blank lines are skipped, and so is a first line cut in half by the tail's start.
 */
export function meaningfulLines(tail: string, truncated: boolean, count = 5): string[] {
  const lines = tail.split(/\r\n|\r|\n/);
  if (truncated) lines.shift();
  const kept = lines.map((line) => line.trimEnd()).filter((line) => !NOISE.some((re) => re.test(line)));
  return kept.slice(-count);
}
