import { describe, expect, it } from 'vitest';
import { classifyDecoderLine, LineSplitter, meaningfulLines, TailBuffer } from '../../src/ffmpeg/stderr.js';

function split(chunks: string[]): string[] {
  const lines: string[] = [];
  const splitter = new LineSplitter((line) => lines.push(line));
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return lines;
}

describe('LineSplitter', () => {
  const text =
    'Input #0, lavfi\r\nframe=    1 fps=0.0\rframe=    2 fps=0.0\r\n[Parsed_showinfo_0 @ 0x1] n:   0\n\nlast';
  const expected = [
    'Input #0, lavfi',
    'frame=    1 fps=0.0',
    'frame=    2 fps=0.0',
    '[Parsed_showinfo_0 @ 0x1] n:   0',
    '',
    'last',
  ];

  it('ends lines at \\n, \\r and \\r\\n, and flushes an unterminated last line at the end', () => {
    expect(split([text])).toEqual(expected);
  });

  it('gives the same lines wherever the chunks are cut, including between \\r and \\n', () => {
    for (let cut = 0; cut <= text.length; cut++) {
      expect(split([text.slice(0, cut), text.slice(cut)]), `cut at ${cut}`).toEqual(expected);
    }
    expect(split([...text])).toEqual(expected);
  });

  it('hands over a line that never ends in pieces of maxLine characters', () => {
    const lines: string[] = [];
    const splitter = new LineSplitter((line) => lines.push(line), 4);
    splitter.push('abcdefghij');
    expect(lines).toEqual(['abcd', 'efgh']);
    splitter.end();
    expect(lines).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('emits nothing for no input', () => {
    expect(split([])).toEqual([]);
    expect(split(['', ''])).toEqual([]);
  });
});

describe('TailBuffer', () => {
  it('keeps everything while under its limit', () => {
    const tail = new TailBuffer(10);
    tail.append('abc');
    tail.append('def');
    expect(tail.toString()).toBe('abcdef');
    expect(tail.truncated).toBe(false);
  });

  it('keeps exactly the last `limit` characters once over it', () => {
    const tail = new TailBuffer(10);
    for (let i = 0; i < 1000; i++) tail.append(`${i % 10}`);
    expect(tail.toString()).toBe('0123456789');
    expect(tail.truncated).toBe(true);
  });
});

describe('meaningfulLines', () => {
  it('skips progress, the final summary and blank lines, keeping the last `count` lines', () => {
    const tail = [
      'Stream mapping:',
      'frame=   10 fps=0.0 q=-0.0 size=N/A time=00:00:00.40 bitrate=N/A speed=10x',
      'size=       0kB time=00:00:00.40 bitrate=   0.0kbits/s',
      'video:5kB audio:0kB subtitle:0kB other streams:0kB global headers:0kB muxing overhead: unknown',
      '',
      'Error while opening encoder for output stream #0:0',
      'Conversion failed!',
    ].join('\n');
    expect(meaningfulLines(tail, false, 2)).toEqual([
      'Error while opening encoder for output stream #0:0',
      'Conversion failed!',
    ]);
    expect(meaningfulLines(tail, false)).toEqual([
      'Stream mapping:',
      'Error while opening encoder for output stream #0:0',
      'Conversion failed!',
    ]);
  });

  it('drops the first line of a truncated tail, which may be cut in half', () => {
    expect(meaningfulLines('ut in half\nwhole line', true)).toEqual(['whole line']);
  });
});

describe('classifyDecoderLine', () => {
  const mkv = new Set(['matroska,webm', 'matroska', 'webm']);
  const mp4 = new Set(['mov,mp4,m4a,3gp,3g2,mj2', 'mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2']);

  it("an input's demuxer complaining is an input error, with or without ffmpeg 6.1's in#N/ prefix", () => {
    expect(classifyDecoderLine('[matroska,webm @ 0x55d0c0a1b2c0] [error] Read error', mkv)).toBe(
      'input-error',
    );
    expect(
      classifyDecoderLine('[in#0/matroska @ 0x55d0c0a1b2c0] [error] EBML header parsing failed', mkv),
    ).toBe('input-error');
    expect(
      classifyDecoderLine(
        '[mov,mp4,m4a,3gp,3g2,mj2 @ 0x5561] [error] stream 0, offset 0x30: partial file',
        mp4,
      ),
    ).toBe('input-error');
  });

  it('ffmpeg naming nobody: decoding and reading failures are input errors, the rest concealed', () => {
    expect(classifyDecoderLine('[error] Error while decoding stream #0:0: Invalid data found', mkv)).toBe(
      'input-error',
    );
    expect(classifyDecoderLine('[error] clip.mkv: End of file', mkv)).toBe('input-error');
    expect(classifyDecoderLine('[error] something else went wrong', mkv)).toBe('concealed');
  });

  it("a decoder's own complaint is concealed: ffmpeg decodes through it", () => {
    expect(
      classifyDecoderLine('[h264 @ 0x55d0c0a1b2c0] [error] error while decoding MB 13 7, bytestream -5', mkv),
    ).toBe('concealed');
    expect(classifyDecoderLine('[vist#0:0/h264 @ 0x55d0c0] [error] corrupt decoded frame', mkv)).toBe(
      'concealed',
    );
  });

  it('the muxer on our output side is not a decoding error (a clean mkv with audio warned before)', () => {
    // Regression (fixed): on a clean testsrc2 + sine mkv, vgrade warned "decoding error concealed
    // by ffmpeg" for the muxer's interleaving complaint.
    const lines = [
      '[rawvideo @ 0x55d0c0a1b2c0] [error] Application provided invalid, non monotonically increasing dts to muxer in stream 0: 40 >= 40',
      '[matroska @ 0x55d0c0a1b2c0] [error] Application provided invalid, non monotonically increasing dts to muxer in stream 1: 1024 >= 1024',
      '[vost#0:0/rawvideo @ 0x55d0c0] [error] Non-monotonic DTS; previous: 40, current: 40',
      '[out#0/rawvideo @ 0x55d0c0] [error] Too many packets buffered for output stream 0:0.',
      '[error] Queue input is backward in time',
    ];
    for (const line of lines) expect(classifyDecoderLine(line, mkv), line).toBe('output');
  });

  it('lines below error level are not errors at all', () => {
    expect(
      classifyDecoderLine('[matroska,webm @ 0x55d0] [warning] Could not find codec parameters', mkv),
    ).toBe('none');
    expect(classifyDecoderLine('[Parsed_showinfo_1 @ 0x55d0] [info] n:   0 pts:      0', mkv)).toBe('none');
    expect(classifyDecoderLine('', mkv)).toBe('none');
  });
});
