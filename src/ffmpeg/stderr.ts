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

/**
 * What an error line of the decoder's ffmpeg means:
 *  - `input-error`: the input is damaged: its demuxer complains (a read error, a truncated file),
 *    or ffmpeg says "Error while decoding" / "Invalid data found" without naming who;
 *  - `concealed`: a decoder's own complaint (an h264 slice it conceals): ffmpeg decodes through it,
 *    as players do;
 *  - `output`: our output side (the raw muxer, ffmpeg's muxing queue) talking about timestamps or
 *    interleaving, e.g. "Application provided invalid, non monotonically increasing dts to muxer":
 *    neither a decoding error nor a cause;
 *  - `none`: not an error line at all (info, warnings, progress).
 */
export type DecoderLineKind = 'input-error' | 'concealed' | 'output' | 'none';

const ERROR_LEVEL = /\[(error|fatal|panic)\]/;
/** `[matroska,webm @ 0x55d0c0]`, `[in#0/matroska @ 0x55d0c0]` (ffmpeg 6.1 and later). */
const LOG_CONTEXT = /^\[([^\]@]+?) @ 0x[0-9a-f]+\]/;
/** Contexts of ffmpeg's output side: output files and streams (6.1 and later), the muxers. */
const OUTPUT_CONTEXT = /^(?:out#|vost#|aost#|sost#|dost#|mux\b)/;
/** What muxers and ffmpeg's muxing say about timestamps and interleaving, whoever logs it. */
const MUXER_MESSAGE =
  /non[- ]monoton|to muxer|Non-monotonous DTS|Queue input is backward in time|Too many packets buffered|max_interleave_delta/i;

/**
 * Classifies one stderr line of the decoder's ffmpeg (run with `-loglevel level+info`).
 * `demuxers` holds the input's demuxer names as ffprobe gives them, whole and split at commas
 * (`matroska,webm`, `matroska`, `webm`); `outputMuxer` is the muxer of the decoder's own output
 * (`rawvideo`), whose lines are about our side, never about the input.
 */
export function classifyDecoderLine(
  line: string,
  demuxers: ReadonlySet<string>,
  outputMuxer = 'rawvideo',
): DecoderLineKind {
  if (!ERROR_LEVEL.test(line)) return 'none';
  if (MUXER_MESSAGE.test(line)) return 'output';
  const context = LOG_CONTEXT.exec(line)?.[1]?.trim();
  if (context !== undefined) {
    if (OUTPUT_CONTEXT.test(context)) return 'output';
    const name = context.replace(/^in#\d+\//, '');
    if (demuxers.has(name)) return 'input-error';
    if (name === outputMuxer) return 'output';
    return 'concealed';
  }
  return /Error while decoding|Invalid data found|Read error|End of file/i.test(line)
    ? 'input-error'
    : 'concealed';
}
