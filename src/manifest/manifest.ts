/**
 * A data set's index: `manifest.jsonl` in its folder, one line per frame, run or photo, written
 * by `vgrade dataset` (src/dataset/build.ts) and read by training, evaluation and research scripts.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Detune } from '../detune/families.js';
import { UsageError } from '../util/errors.js';
import type { Split } from './split.js';

/** One line of `manifest.jsonl`. */
export interface ManifestEntry {
  readonly source: string;
  readonly kind: 'frame' | 'run' | 'photo';
  readonly split: Split;
  readonly frames: number[];
  readonly pts: Array<number | null>;
  /** Per frame: the detunes applied (family, amount in [0, 3]), in table order. */
  readonly detunes: Detune[][];
  /** Per frame, relative to the data set's folder. */
  readonly files: Array<{ input: string; reference: string } | { ab: string }>;
}

export const MANIFEST_FILE = 'manifest.jsonl';

/** Every entry of the data set in `dataDir`; a folder without a manifest is a usage error. */
export async function readManifest(dataDir: string): Promise<ManifestEntry[]> {
  const file = path.join(dataDir, MANIFEST_FILE);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new UsageError(
      'E_DATA',
      `No data set at ${dataDir}: expected ${file} (make one with vgrade dataset)`,
    );
  }
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as ManifestEntry);
}
