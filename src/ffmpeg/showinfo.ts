/**
 * Frames' timestamps from ffmpeg's `showinfo` filter, as its lines arrive on stderr.
 *
 * A frame is known by its place in the output: the n-th frame line is the n-th frame written. Not
 * by showinfo's own `n`: ffmpeg rebuilds the filters when the stream changes size or layout midway
 * (a broadcast feed's SD break), and the new showinfo counts from 0 again. Each timestamp is in the
 * time base of the last `config in` line before it (the rebuilt filters may have another), and is
 * kept exact (integers) until it is turned into seconds or microseconds.
 */

/** One frame's timestamp: `pts` ticks of `num/den` seconds. */
export interface ShowinfoStamp {
  readonly pts: bigint;
  readonly timebase: readonly [num: bigint, den: bigint];
}

const FRAME_LINE = /\bn:\s*(\d+)\s+pts:\s*(-?\d+|NOPTS)\b/;
const TIMEBASE_LINE = /config in time_base:\s*(\d+)\/(\d+)/;

/** Reads showinfo's lines in order and numbers the frames they report. */
export class ShowinfoReader {
  private timebase: readonly [bigint, bigint] = [1n, 1000000n];
  /** Frame lines read so far: the next frame's index. */
  reported = 0;

  /**
   * Reads one stderr line. A frame's line calls `onFrame` with the frame's index in the output and
   * its timestamp (undefined where ffmpeg has none); returns whether the line was showinfo's.
   */
  read(line: string, onFrame: (index: number, stamp: ShowinfoStamp | undefined) => void): boolean {
    const frame = FRAME_LINE.exec(line);
    if (frame) {
      const stamp = frame[2] === 'NOPTS' ? undefined : { pts: BigInt(frame[2]!), timebase: this.timebase };
      onFrame(this.reported++, stamp);
      return true;
    }
    const tb = TIMEBASE_LINE.exec(line);
    if (tb) {
      this.timebase = [BigInt(tb[1]!), BigInt(tb[2]!)];
      return true;
    }
    return false;
  }
}

/** A timestamp in seconds (a float: for display and clocks, not for muxing). */
export function stampSeconds(stamp: ShowinfoStamp): number {
  const [num, den] = stamp.timebase;
  return (Number(stamp.pts) * Number(num)) / Number(den);
}

/** A timestamp in whole microseconds, rounded down, so it is never later than its frame. */
export function stampMicros(stamp: ShowinfoStamp): number {
  const [num, den] = stamp.timebase;
  const scaled = stamp.pts * num * 1000000n;
  return Number(scaled >= 0n ? scaled / den : -((-scaled + den - 1n) / den));
}
