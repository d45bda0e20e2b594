import { rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { spawnFfmpeg, type FfmpegProcess } from '../ffmpeg/spawn.js';
import type { Logger } from '../util/logger.js';

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
    const container =
      output === '-'
        ? ['-f', 'nut']
        : ext.toLowerCase() === '.mp4' || ext.toLowerCase() === '.mov'
          ? ['-movflags', '+faststart']
          : [];
    this.proc = spawnFfmpeg(
      ffmpeg,
      [
        '-hide_banner',
        '-nostdin',
        '-loglevel',
        'error',
        '-y',
        '-use_wallclock_as_timestamps',
        '1',
        '-f',
        'rawvideo',
        '-pix_fmt',
        'rgb24',
        '-video_size',
        `${width}x${height}`,
        '-i',
        'pipe:0',
        '-c:v',
        'libx264',
        '-preset',
        'ultrafast',
        '-tune',
        'zerolatency',
        '-pix_fmt',
        'yuv420p',
        '-vsync',
        'vfr',
        ...container,
        this.target === '-' ? 'pipe:1' : this.target,
      ],
      { label: 'preview recorder', stdio: ['pipe', output === '-' ? 'inherit' : 'ignore', 'pipe'], logger },
    );
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
