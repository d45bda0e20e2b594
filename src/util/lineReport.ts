import { createWriteStream } from 'node:fs';

/** Where JSON Lines records go: a file (appended to), standard output, or nowhere. */
export interface LineReport {
  write(line: string): void;
  /** Resolves once every line is written; rejects if the file could not be written. */
  close(): Promise<void>;
}

/** A report target as the options name it: a file, `-` for standard output, empty for nowhere. */
export function openLineReport(target: string): LineReport {
  if (target === '') return { write: () => {}, close: async () => {} };
  if (target === '-') {
    return { write: (line) => void process.stdout.write(line), close: async () => {} };
  }
  const stream = createWriteStream(target, { flags: 'a' });
  return {
    write: (line) => void stream.write(line),
    close: () =>
      new Promise<void>((resolve, reject) => {
        stream.once('error', reject);
        stream.end(() => resolve());
      }),
  };
}
