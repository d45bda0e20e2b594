import type { ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';

/**
 * One input as the stages see it: a file ffmpeg reads by name, or standard input, which both the
 * decoder's and the encoder's ffmpeg must read (see {@link StdinTee}).
 */
export interface InputSource {
  /** As the user wrote it; `-` for standard input. */
  readonly path: string;
  /** For messages: the path, or "standard input". */
  readonly label: string;
  /** The demuxer to force (`-f` before `-i`), e.g. for pipes. */
  readonly format: string | undefined;
  /** What to put after ffmpeg's `-i`. */
  readonly ffmpegInput: string;
  /** Connects a child's stdin to the input when the input is standard input. */
  readonly connect?: (child: ChildProcess, role: 'decoder' | 'encoder') => void;
}

export function fileInput(path: string, format?: string): InputSource {
  return { path, label: path, format, ffmpegInput: path };
}

/**
 * Copies one readable (our stdin) into the stdin of each ffmpeg that reads the input.
 *
 * The decoder's ffmpeg paces the copy: when its pipe is full we stop reading. The encoder's ffmpeg
 * trails the decoder by the pipeline's delay, so bytes for it are kept until it takes them, up to
 * `maxLagBytes`; past that, reading stops too (bounded memory, at worst a stall, never growth).
 */
export class StdinTee {
  private readonly sinks: NodeJS.WritableStream[] = [];
  private started = false;

  /** `consumers`: how many ffmpeg processes will read the input; copying starts when all are attached. */
  constructor(
    private readonly source: Readable,
    private readonly consumers = 2,
    private readonly maxLagBytes = 64 * 1024 * 1024,
  ) {}

  input(format: string | undefined): InputSource {
    return {
      path: '-',
      label: 'standard input',
      format,
      ffmpegInput: 'pipe:0',
      connect: (child, role) => this.attach(child, role),
    };
  }

  private attach(child: ChildProcess, role: 'decoder' | 'encoder'): void {
    const stdin = child.stdin;
    if (!stdin) throw new Error('ffmpeg was spawned without a stdin pipe');
    // A consumer that stops early closes its end of the pipe: that is not our error.
    stdin.on('error', () => {});
    stdin.on('drain', () => this.maybeResume());
    // The decoder goes first: it paces the copy.
    if (role === 'decoder') this.sinks.unshift(stdin);
    else this.sinks.push(stdin);
    if (!this.started && this.sinks.length === this.consumers) this.start();
  }

  /** The first sink (the decoder) paces the source; the others may lag up to `maxLagBytes`. */
  private mustWait(): boolean {
    return this.sinks.some((sink, i) => {
      const w = sink as unknown as { writableNeedDrain: boolean; writableLength: number };
      return i === 0 ? w.writableNeedDrain : w.writableLength > this.maxLagBytes;
    });
  }

  private maybeResume(): void {
    if (this.source.isPaused() && !this.mustWait()) this.source.resume();
  }

  private start(): void {
    this.started = true;
    this.source.on('data', (chunk: Buffer) => {
      for (const sink of this.sinks) sink.write(chunk);
      if (this.mustWait()) this.source.pause();
    });
    this.source.on('end', () => {
      for (const sink of this.sinks) sink.end();
    });
  }
}
