import { describe, expect, it } from 'vitest';
import { ShowinfoReader, stampMicros, stampSeconds, type ShowinfoStamp } from '../../src/ffmpeg/showinfo.js';

/** Reads lines; returns each frame's index and timestamp in seconds, and which lines were showinfo's. */
function readAll(lines: string[]) {
  const reader = new ShowinfoReader();
  const frames: Array<[number, number | undefined]> = [];
  const taken = lines.map((line) =>
    reader.read(line, (index, stamp) => frames.push([index, stamp && stampSeconds(stamp)])),
  );
  return { frames, taken };
}

describe("showinfo's timestamps", () => {
  it('numbers frames by their place in the output, though showinfo counts from 0 again after the filters are rebuilt', () => {
    const { frames } = readAll([
      '[Parsed_showinfo_4 @ 0x1] config in time_base: 1/25, frame_rate: 25/1',
      '[Parsed_showinfo_4 @ 0x1] n:   0 pts:      0 pts_time:0 pos: 564 fmt:rgb24',
      '[Parsed_showinfo_4 @ 0x1] n:   1 pts:      1 pts_time:0.04 pos: 11056 fmt:rgb24',
      // A size change: new filters, a new time base, and n from 0.
      '[Parsed_showinfo_4 @ 0x2] config in time_base: 1/90000, frame_rate: 25/1',
      '[Parsed_showinfo_4 @ 0x2] n:   0 pts:  7200 pts_time:0.08 pos: 95692 fmt:rgb24',
      '[Parsed_showinfo_4 @ 0x2] n:   1 pts:    NOPTS pts_time:NOPTS pos: 9 fmt:rgb24',
    ]);
    expect(frames).toEqual([
      [0, 0],
      [1, 0.04],
      [2, 0.08],
      [3, undefined],
    ]);
  });

  it('passes other lines by', () => {
    const { frames, taken } = readAll(['frame=    1 fps=0.0 q=-0.0 size=N/A', '[error] Invalid data found']);
    expect(frames).toEqual([]);
    expect(taken).toEqual([false, false]);
  });

  it('gives microseconds rounded down, so a timestamp is never later than its frame', () => {
    const stamp = (pts: bigint, num: bigint, den: bigint): ShowinfoStamp => ({ pts, timebase: [num, den] });
    expect(stampMicros(stamp(1n, 1n, 3n))).toBe(333333);
    expect(stampMicros(stamp(-1n, 1n, 3n))).toBe(-333334);
    expect(stampMicros(stamp(7200n, 1n, 90000n))).toBe(80000);
  });
});
