import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { UsageError } from '../util/errors.js';
import { hashName, type Split } from './split.js';

/** The file `vgrade dataset` writes beside its manifest: which split each source went to. */
export const SPLIT_LIST_FILE = 'splits.tsv';

const SPLITS: readonly Split[] = ['train', 'validation', 'test'];

/**
 * The name a data set knows each source by, in its split list and its folders: the file name. The
 * hash that assigns splits reads the path as given (`media/dev/a.mp4` and `/work/media/dev/a.mp4`
 * split differently), so a list keyed by file name is what carries a split from one machine, or one
 * folder, to another. Sources that share a file name (`cam1/C0001.MP4`, `cam2/C0001.MP4`) are told
 * apart by a hash of the path after it (`C0001.MP4~1a2b3c4d`), so neither overwrites the other.
 */
export function sourceNames(sources: readonly string[]): Map<string, string> {
  const count = new Map<string, number>();
  for (const source of new Set(sources)) {
    count.set(path.basename(source), (count.get(path.basename(source)) ?? 0) + 1);
  }
  return new Map(
    sources.map((source) => {
      const name = path.basename(source);
      if (count.get(name)! === 1) return [source, name];
      return [source, `${name}~${hashName(source, 0).toString(16).padStart(8, '0')}`];
    }),
  );
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

/**
 * A split list of the sources of each split, by their names (`sourceNames`), sorted so that two
 * lists of one split compare equal.
 */
export function formatSplitList(
  splits: Readonly<Record<Split, readonly string[]>>,
  names: ReadonlyMap<string, string>,
): string {
  const lines = ['# source\tsplit (vgrade dataset --splits reads this back)'];
  for (const split of SPLITS) {
    for (const name of splits[split].map((s) => names.get(s)!).sort()) lines.push(`${name}\t${split}`);
  }
  return lines.join('\n') + '\n';
}
