import { FfmpegArgs } from '../ffmpeg/args.js';
import { spawnFfmpeg, type FfmpegProcess } from '../ffmpeg/spawn.js';
import type { Logger } from '../util/logger.js';

/**
 * Splits ffmpeg's MJPEG output (concatenated JPEG files) into pictures: each starts with the SOI
 * marker (FF D8) and ends with EOI (FF D9). Inside the entropy-coded data an FF byte is always
 * followed by 00 or a restart marker, so FF D9 only ever ends a picture (ffmpeg writes no
 * thumbnails that could hold one).
 */
export class JpegSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private lastByte = -1;

  constructor(private readonly onPicture: (jpeg: Buffer) => void) {}

  push(chunk: Buffer): void {
    let start = 0;
    for (let i = 0; i < chunk.length; i++) {
      const prev = i === 0 ? this.lastByte : chunk[i - 1]!;
      if (prev === 0xff && chunk[i] === 0xd9) {
        this.parts.push(chunk.subarray(start, i + 1));
        this.size += i + 1 - start;
        const jpeg = Buffer.concat(this.parts, this.size);
        this.parts = [];
        this.size = 0;
        start = i + 1;
        this.lastByte = -1;
        this.onPicture(jpeg);
      }
    }
    if (start < chunk.length) {
      this.parts.push(Buffer.from(chunk.subarray(start)));
      this.size += chunk.length - start;
      this.lastByte = chunk[chunk.length - 1]!;
    }
  }
}

export interface EncodedPicture<M> {
  readonly jpeg: Buffer;
  readonly meta: M;
}

/**
 * The encoder's command line: rgb24 pictures of `width` x `height` on stdin, one JPEG per picture
 * (MJPEG at `-q:v quality`) on stdout, each flushed as soon as it is encoded.
 */
export function jpegEncoderArgs(width: number, height: number, quality: number): string[] {
  return new FfmpegArgs()
    .global('-hide_banner', '-nostdin', '-loglevel', 'error')
    .input('-', {
      format: 'rawvideo',
      options: { probesize: 32, pix_fmt: 'rgb24', video_size: `${width}x${height}`, framerate: 25 },
    })
    .output('-', {
      format: 'image2pipe',
      options: {
        'c:v': 'mjpeg',
        // Frame threads would hold pictures back (Debian's ffmpeg 5.1 held all of them): one thread.
        threads: 1,
        'q:v': quality,
        pix_fmt: 'yuvj420p',
        flush_packets: 1,
      },
    })
    .toArray();
}

/**
 * One long-running ffmpeg turning rgb24 pictures into JPEGs, in order. At most `maxPending`
 * pictures are inside it at once; `encode` refuses (returns false) beyond that, so a slow encoder
 * makes the preview drop pictures instead of falling behind.
 */
export class JpegEncoder<M> {
  private readonly proc: FfmpegProcess;
  private readonly pending: M[] = [];
  private readonly free: Buffer[] = [];
  private closed = false;

  constructor(
    ffmpeg: string,
    readonly width: number,
    readonly height: number,
    quality: number,
    private readonly onPicture: (picture: EncodedPicture<M>) => void,
    logger?: Logger,
    private readonly maxPending = 2,
  ) {
    const splitter = new JpegSplitter((jpeg) => {
      const meta = this.pending.shift();
      if (meta !== undefined) this.onPicture({ jpeg, meta });
    });
    this.proc = spawnFfmpeg(ffmpeg, jpegEncoderArgs(width, height, quality), {
      label: 'preview JPEG encoder',
      stdio: ['pipe', 'pipe', 'pipe'],
      logger,
    });
    this.proc.child.stdout!.on('data', (chunk: Buffer) => splitter.push(chunk));
    void this.proc.exited.catch((err: unknown) => {
      if (!this.closed) logger?.error({ err }, 'preview JPEG encoder stopped');
    });
  }

  /**
   * Queues one rgb24 picture, which `fill` writes into a buffer of the encoder's own (reused once
   * ffmpeg has taken it, so no picture is copied twice); false, without calling `fill`, when the
   * encoder is already busy enough.
   */
  encode(fill: (target: Buffer) => void, meta: M): boolean {
    if (this.closed || this.pending.length >= this.maxPending) return false;
    const target = this.free.pop() ?? Buffer.allocUnsafeSlow(this.width * this.height * 3);
    fill(target);
    this.pending.push(meta);
    this.proc.child.stdin!.write(target, () => this.free.push(target));
    return true;
  }

  close(): void {
    this.closed = true;
    this.proc.child.stdin!.end();
    this.proc.kill('SIGKILL');
  }
}
