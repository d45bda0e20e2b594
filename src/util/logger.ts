import { pino, destination, type DestinationStream, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * `--log-format`: `text` lines (`vgrade: warning: decoding error concealed by ffmpeg (line=...)`),
 * pino's `json` lines, or `auto`: pretty and coloured in a terminal, text lines anywhere else (a
 * cron mail, a pipe, a file).
 */
export const LOG_FORMATS = ['auto', 'text', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * The process logger, on stderr in the given format (see {@link LOG_FORMATS}).
 * Results go to stdout or files; logs and progress never go to stdout.
 */
export function createLogger(level: LevelWithSilent = 'info', format: LogFormat = 'auto'): Logger {
  if (format === 'auto' && process.stderr.isTTY === true) {
    return pino({
      level,
      transport: {
        target: 'pino-pretty',
        options: { destination: 2, colorize: true, ignore: 'pid,hostname' },
      },
    });
  }
  const stderr = destination({ fd: 2, sync: true });
  if (format === 'json') return pino({ level, base: undefined }, stderr);
  const text: DestinationStream = { write: (line: string) => stderr.write(textLine(line)) };
  return pino({ level, base: undefined }, text);
}

/** The logger of a command run from the command line: `--quiet` keeps errors only. */
export function commandLogger(cmd: { quiet: boolean; logLevel: string; logFormat: LogFormat }): Logger {
  return createLogger((cmd.quiet ? 'error' : cmd.logLevel) as LevelWithSilent, cmd.logFormat);
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });

/** pino's level numbers as the text lines name them. */
const LEVEL_NAMES: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warning',
  50: 'error',
  60: 'fatal',
};

/** Fields a text line leaves out: said by its shape (level, message) or of no use to a reader. */
const UNSHOWN = new Set(['level', 'time', 'msg', 'pid', 'hostname']);

/**
 * One pino JSON record as one plain line: `vgrade: LEVEL: MESSAGE (key=value ...)`. Values with
 * spaces, quotes or parentheses are JSON-quoted, objects are JSON, and an error is its message, so
 * every record stays on one greppable line. A line that is not JSON passes through.
 */
export function textLine(json: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(json) as Record<string, unknown>;
  } catch {
    return json.endsWith('\n') ? json : `${json}\n`;
  }
  const level = LEVEL_NAMES[record.level as number] ?? String(record.level);
  const message = typeof record.msg === 'string' ? record.msg.replace(/\r?\n/g, '\\n') : '';
  const fields = Object.entries(record)
    .filter(([key, value]) => !UNSHOWN.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${textValue(value)}`)
    .join(' ');
  const tail = fields === '' ? '' : message === '' ? fields : ` (${fields})`;
  return `vgrade: ${level}: ${message}${tail}\n`;
}

function textValue(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"'=()\\]+$/.test(value) ? value : JSON.stringify(value);
  if (isSerializedError(value)) return JSON.stringify(value.message);
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** pino's error serializer writes `{ type, message, stack, ... }`. */
function isSerializedError(value: unknown): value is { type: string; message: string } {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.type === 'string' && typeof v.message === 'string' && typeof v.stack === 'string';
}
