import { pino, destination, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/**
 * The process logger: pino JSON on stderr, pretty-printed when stderr is a terminal.
 * Results go to stdout or files; logs and progress never go to stdout.
 */
export function createLogger(
  level: LevelWithSilent = 'info',
  pretty = process.stderr.isTTY === true,
): Logger {
  if (pretty) {
    return pino({
      level,
      transport: {
        target: 'pino-pretty',
        options: { destination: 2, colorize: true, ignore: 'pid,hostname' },
      },
    });
  }
  return pino({ level, base: undefined }, destination({ fd: 2, sync: true }));
}

/** A logger that drops everything, for tests and library use. */
export const silentLogger: Logger = pino({ level: 'silent' });
