import { pino, type Logger } from 'pino';
import { describe, expect, it } from 'vitest';
import { RuntimeFailure } from '../../src/util/errors.js';
import { textLine } from '../../src/util/logger.js';

/** What `log` writes through pino (as the CLI's logger is set up), each record as a text line. */
function textOf(log: (logger: Logger) => void): string {
  let out = '';
  const logger = pino(
    { level: 'trace', base: undefined },
    { write: (line: string) => (out += textLine(line)) },
  );
  log(logger);
  return out;
}

describe('textLine: logs on a stderr that is not a terminal', () => {
  it('one line per record: the level in words, the message, then its fields', () => {
    expect(
      textOf((l) => {
        l.warn(
          { line: '[h264 @ 0x55] [error] Invalid NAL unit size (969 > 572).' },
          'decoding error concealed by ffmpeg',
        );
        l.info({ input: 'a.mp4', frames: 50, seconds: 1.95 }, 'graded');
        l.error('interrupted');
      }),
    ).toBe(
      'vgrade: warning: decoding error concealed by ffmpeg (line="[h264 @ 0x55] [error] Invalid NAL unit size (969 > 572).")\n' +
        'vgrade: info: graded (input=a.mp4 frames=50 seconds=1.95)\n' +
        'vgrade: error: interrupted\n',
    );
  });

  it('names every level', () => {
    const levels = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
    const lines = textOf((l) => levels.forEach((level) => l[level]('x')))
      .trim()
      .split('\n');
    expect(lines).toEqual(
      ['trace', 'debug', 'info', 'warning', 'error', 'fatal'].map((w) => `vgrade: ${w}: x`),
    );
  });

  it("a child logger's bindings, an error as its message, objects as JSON, values with spaces quoted", () => {
    const text = textOf((l) =>
      l.child({ stage: 'autobalance', index: 2 }).warn(
        {
          err: new RuntimeFailure('E_FFMPEG', 'ffmpeg died'),
          size: { w: 3, h: 2 },
          file: 'second take.mov',
        },
        'stage failed',
      ),
    );
    expect(text).toBe(
      'vgrade: warning: stage failed (stage=autobalance index=2 err="ffmpeg died" size={"w":3,"h":2} file="second take.mov")\n',
    );
  });

  it('keeps every record on one line, and a record without a message readable', () => {
    expect(textOf((l) => l.info('two\nlines'))).toBe('vgrade: info: two\\nlines\n');
    expect(textOf((l) => l.info({ frames: 3 }))).toBe('vgrade: info: frames=3\n');
  });

  it('passes a line that is not JSON through as it is', () => {
    expect(textLine('not json')).toBe('not json\n');
  });
});
