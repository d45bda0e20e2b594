import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { FfmpegArgs } from '../ffmpeg/args.js';
import { spawnFfmpeg, type FfmpegProcess } from '../ffmpeg/spawn.js';
import type { Logger } from '../util/logger.js';

/**
 * The recorder's command line: rgb24 pictures of `width` x `height` on stdin, timestamped by the
 * wall clock, to H.264 in `target` (`-` writes NUT to stdout; an MP4 or MOV gets its index first).
 */
export function recorderArgs(width: number, height: number, target: string): string[] {
  const ext = path.extname(target).toLowerCase();
  return new FfmpegArgs()
    .global('-hide_banner', '-nostdin', '-loglevel', 'error', '-y')
    .input('-', {
      format: 'rawvideo',
      options: { use_wallclock_as_timestamps: 1, pix_fmt: 'rgb24', video_size: `${width}x${height}` },
    })
    .output(target, {
      format: target === '-' ? 'nut' : undefined,
      options: {
        'c:v': 'libx264',
        preset: 'ultrafast',
        tune: 'zerolatency',
        pix_fmt: 'yuv420p',
        vsync: 'vfr',
        movflags: target !== '-' && (ext === '.mp4' || ext === '.mov') ? '+faststart' : undefined,
      },
    })
    .toArray();
}

/**
 * `vgrade preview -o OUT`: the graded pictures as they are shown, encoded by one more ffmpeg
 * (libx264, ultrafast, zero latency) into a file, or as NUT on standard output for `-o -`.
 * Timestamps are the wall clock at which each picture reached the recorder, so the recording
 * plays at the speed it was seen, pauses and drops included. A file is written under a temporary
 * name and renamed when the preview stops. When the encoder cannot keep up, pictures are skipped
 * (counted) rather than queued.
 */
export class Recorder {
  private readonly proc: FfmpegProcess;
  private readonly target: string;
  dropped = 0;

  constructor(
    ffmpeg: string,
    private readonly output: string,
    width: number,
    height: number,
    private readonly logger?: Logger,
  ) {
    const dir = path.dirname(output);
    const ext = path.extname(output);
    this.target =
      output === '-'
        ? '-'
        : path.join(dir, `.${path.basename(output, ext)}.vgrade-partial-${process.pid}${ext}`);
    this.proc = spawnFfmpeg(ffmpeg, recorderArgs(width, height, this.target), {
      label: 'preview recorder',
      stdio: ['pipe', output === '-' ? 'inherit' : 'ignore', 'pipe'],
      logger,
    });
  }

  /** Hands one graded picture to the encoder unless it is still busy with earlier ones. */
  write(rgb: Buffer): void {
    const stdin = this.proc.child.stdin!;
    if (stdin.writableNeedDrain || stdin.destroyed) {
      this.dropped++;
      return;
    }
    stdin.write(Buffer.from(rgb));
  }

  /** Finishes the file (and renames it into place). */
  async close(): Promise<void> {
    this.proc.child.stdin!.end();
    try {
      await this.proc.exited;
      if (this.target !== '-') await rename(this.target, this.output);
      this.logger?.info({ output: this.output, skipped: this.dropped }, 'recording written');
    } catch (err) {
      if (this.target !== '-') await rm(this.target, { force: true });
      throw err;
    }
  }
}
