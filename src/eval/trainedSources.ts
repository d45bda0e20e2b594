import { existsSync } from 'node:fs';
import path from 'node:path';
import { readManifest } from '../manifest/manifest.js';
import type { Split } from '../manifest/split.js';
import { readSplitList, SPLIT_LIST_FILE, sourceNames } from '../manifest/splitList.js';
import { packageRoot } from '../util/packageRoot.js';

/** The split list of the shipped models: the data set's sources as they were trained and measured. */
export function shippedSplitList(): string {
  return path.join(packageRoot(), 'models', SPLIT_LIST_FILE);
}

/**
 * The sources of a data set's split that a split list puts in train: for the shipped models' list,
 * footage they trained on, which a data set built without `--splits` can hold in its validation or
 * test split (the split follows the path as given). Empty for the train split and without a list.
 */
export async function sourcesTrainedOn(
  dataDir: string,
  split: Split,
  listFile: string = shippedSplitList(),
): Promise<string[]> {
  if (split === 'train' || !existsSync(listFile)) return [];
  const list = await readSplitList(listFile);
  const entries = await readManifest(dataDir);
  const names = sourceNames(entries.map((e) => e.source));
  const inSplit = new Set(entries.filter((e) => e.split === split).map((e) => names.get(e.source)!));
  return [...inSplit].filter((name) => list.get(name) === 'train').sort();
}

/** What `vgrade eval` says when the split holds such sources. */
export function trainedSourcesWarning(split: Split, names: readonly string[]): string {
  return (
    `${names.length} of the ${split} split's sources are ones the shipped models trained on ` +
    `(${names.join(', ')}): their figures are not of unseen footage. Build the data set with ` +
    `--splits models/splits.tsv to keep the shipped models' split`
  );
}
