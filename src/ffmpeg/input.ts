import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import {
  CAPTION_CODECS,
  captionReadArgs,
  saysCaptions,
  toMediaInfo,
  type MediaInfo,
  type ProbeJson,
} from './probe.js';
import { RuntimeFailure, UsageError } from '../util/errors.js';

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
  /** ffmpeg options for this input (before `-i`), for the probe, decoder and encoder alike. */
  readonly inputOptions?: readonly string[];
  /** Connects a child's stdin to the input when the input is standard input. */
  readonly connect?: (child: ChildProcess, role: 'decoder' | 'encoder') => void;
  /** Describes an input that ffprobe cannot open by name (standard input). */
  readonly probe?: (ffprobe: string) => Promise<MediaInfo>;
}

export function fileInput(path: string, format?: string): InputSource {
  return { path, label: path, format, ffmpegInput: path };
}

/**
 * Demuxers an unattended grader may open: containers of real footage. Playlists (hls, dash),
 * concat lists, image-sequence patterns and the like are refused, since they name other files
 * or URLs that ffmpeg would then read.
 */
export const FOOTAGE_DEMUXERS = [
  'mov',
  'matroska',
  'avi',
  'mpegts',
  'mxf',
  'mpeg',
  'flv',
  'asf',
  'nut',
  'ogg',
  'dv',
  'gxf',
  'yuv4mpegpipe',
  'h264',
  'hevc',
  'mpegvideo',
  'm4v',
] as const;

/**
 * A file opened only as local footage: ffmpeg may use the file protocol alone (no network, no
 * subprocess, even for names a container refers to) and only the demuxers of
 * {@link FOOTAGE_DEMUXERS}; the `file:` prefix keeps a name such as `http:x` or `a|b` a file name.
 */
export function restrictedFileInput(path: string): InputSource {
  return {
    path,
    label: path,
    format: undefined,
    ffmpegInput: `file:${path}`,
    inputOptions: ['-protocol_whitelist', 'file', '-format_whitelist', FOOTAGE_DEMUXERS.join(',')],
  };
}

/** Boxes that may come before an MP4's or a QuickTime file's index and media. */
const LEADING_BOXES = new Set(['ftyp', 'styp', 'wide', 'free', 'skip', 'pnot', 'uuid']);

/**
 * True when `head`, the start of a file, is an MP4 or QuickTime file whose media (`mdat`) comes
 * before its index (`moov`): ffmpeg must seek to the end for the index and back for the media,
 * which a pipe cannot do. Walks the top-level boxes; false for anything else (other containers,
 * a `moov` first as `-movflags faststart` writes it, fragmented MP4, a head too short to tell).
 */
export function mp4IndexAtEnd(head: Buffer): boolean {
  let offset = 0;
  while (offset + 8 <= head.length) {
    const type = head.toString('latin1', offset + 4, offset + 8);
    if (type === 'moov' || type === 'moof') return false;
    if (type === 'mdat') return true;
    if (!LEADING_BOXES.has(type)) return false;
    let size = head.readUInt32BE(offset);
    if (size === 1) {
      if (offset + 16 > head.length) return false;
      size = Number(head.readBigUInt64BE(offset + 8));
    }
    if (size < 8) return false; // 0: the box runs to the end of the file
    offset += size;
  }
  return false;
}

/** ffprobe's description of a stream's head, given on its standard input. */
const PROBE_ARGS = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams'];

/** What ffprobe prints with `args`, given `head` on its standard input; rejects with its last error line. */
function probeHead(ffprobe: string, args: readonly string[], head: Buffer): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(ffprobe, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.stdin.on('error', () => {});
    child.stdin.end(head);
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(out);
      else reject(new Error(err.trim().split('\n').pop() ?? `ffprobe exited with ${String(code)}`));
    });
  });
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
  private head: Buffer | undefined;
  private headEnded = false;

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
      probe: (ffprobe) => this.probe(ffprobe, format),
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

  /**
   * Describes the stream from its first bytes: reads up to `headBytes` (or to the end), asks
   * ffprobe about them, and puts them back, so the decoder and encoder still see the whole input.
   * Works for streaming containers (nut, matroska, mpegts, y4m); an mp4 whose index is at its end
   * cannot be described from its head, and the error says so.
   */
  async probe(ffprobe: string, format: string | undefined, headBytes = 4 * 1024 * 1024): Promise<MediaInfo> {
    const chunks: Buffer[] = [];
    let size = 0;
    let ended = false;
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= headBytes) done();
      };
      const done = (): void => {
        this.source.off('data', onData);
        this.source.off('end', onEnd);
        this.source.off('error', reject);
        this.source.pause();
        resolve();
      };
      const onEnd = (): void => {
        ended = true;
        done();
      };
      this.source.on('data', onData);
      this.source.once('end', onEnd);
      this.source.once('error', reject);
    });
    const head = Buffer.concat(chunks);
    // Kept here (not unshifted: the source may have ended) and written first when copying starts.
    this.head = head;
    this.headEnded = ended;
    if (head.length === 0) throw new RuntimeFailure('E_INPUT_EMPTY', 'Standard input is empty');
    if (mp4IndexAtEnd(head)) {
      throw new UsageError(
        'E_USAGE',
        'Standard input is an MP4 with its index (moov) at the end, which cannot be read as a stream: ' +
          'name the file instead of -, send a streaming container (ffmpeg -i in.mp4 -c copy -f nut -, or -f matroska), ' +
          'or move the index to the front (ffmpeg -i in.mp4 -c copy -movflags faststart out.mp4)',
      );
    }
    const input = [...(format ? ['-f', format] : []), '-i', 'pipe:0'];
    const json = await probeHead(ffprobe, [...PROBE_ARGS, ...input], head).catch((err: Error) => {
      throw new RuntimeFailure(
        'E_INPUT_NOT_MEDIA',
        `Cannot read standard input as media: ${err.message}` +
          (format ? '' : ' (name its container with --input-format, e.g. nut, matroska, y4m)'),
      );
    });
    const info = toMediaInfo('-', JSON.parse(json) as ProbeJson);
    const video = info.video;
    if (!video) throw new RuntimeFailure('E_INPUT_NO_VIDEO', 'Standard input has no video stream');
    if (CAPTION_CODECS.has(video.codec)) {
      // As probeMedia does for a file: ffprobe reports captions once it has decoded some pictures.
      const read = [...captionReadArgs(video.index), ...input];
      const captions = await probeHead(ffprobe, read, head).catch(() => '');
      if (saysCaptions(captions)) video.closedCaptions = true;
    }
    return info;
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
    if (this.head) {
      for (const sink of this.sinks) sink.write(this.head);
      this.head = undefined;
      if (this.headEnded) {
        for (const sink of this.sinks) sink.end();
        return;
      }
    }
    this.source.on('data', (chunk: Buffer) => {
      for (const sink of this.sinks) sink.write(chunk);
      if (this.mustWait()) this.source.pause();
    });
    this.source.on('end', () => {
      for (const sink of this.sinks) sink.end();
    });
    this.source.resume();
  }
}
