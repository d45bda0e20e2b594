import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../util/errors.js';
import type { Split } from './split.js';

/** The file `vgrade dataset` writes beside its manifest: which split each source went to. */
export const SPLIT_LIST_FILE = 'splits.tsv';

const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

/**
 * The name a split list knows a source by: its file name. The hash that assigns splits reads the
 * path as given (`media/dev/a.mp4` and `/work/media/dev/a.mp4` split differently), so a list keyed
 * by file name is what carries a split from one machine, or one folder, to another.
 */
export function splitListName(source: string): string {
  return path.basename(source);
}

/**
 * Reads a split list: one `name<TAB>split` per line, `#` starts a comment. Refuses what it cannot
 * read with the line that holds it, and a name listed twice, rather than guess which one counts.
 */
export function parseSplitList(text: string, file: string): Map<string, Split> {
  const out = new Map<string, Split>();
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.replace(/#.*/, '').trim();
    if (line === '') continue;
    const fields = line.split('\t');
    const [name, split] = fields.map((f) => f.trim());
    const where = `${file}:${i + 1}`;
    if (fields.length !== 2 || !name || !SPLITS.includes(split as Split)) {
      throw new UsageError(
        'E_USAGE',
        `Expected "name<TAB>train|validation|test" at ${where} but received ${JSON.stringify(raw)}`,
      );
    }
    if (out.has(name))
      throw new UsageError('E_USAGE', `${where} lists ${JSON.stringify(name)} a second time`);
    out.set(name, split as Split);
  }
  return out;
}

export async function readSplitList(file: string): Promise<Map<string, Split>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError('E_INPUT_MISSING', `Split list not found: ${file}`);
  }
  return parseSplitList(text, file);
}

/** A split list of the sources of each split, sorted so that two lists of one split compare equal. */
export function formatSplitList(splits: Readonly<Record<Split, readonly string[]>>): string {
  const lines = ['# source\tsplit (vgrade dataset --splits reads this back)'];
  for (const split of SPLITS) {
    for (const name of splits[split].map(splitListName).sort()) lines.push(`${name}\t${split}`);
  }
  return lines.join('\n') + '\n';
}
