/** The paper's split: 2/3 train, 1/6 test, 1/6 validation, by source (never by frame). */
export type Split = 'train' | 'test' | 'validation';

/** FNV-1a, 32 bits: a stable hash of a source's name with the seed. */
export function hashName(name: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/**
 * Assigns each source to a split. Sources are ordered by their hash (so the assignment depends only
 * on the names and the seed, not on the order they were listed in), then the first 2/3 train, the
 * next 1/6 test and the rest validation, each kind (videos, photos) on its own so every split gets
 * both. A source is one file: its frames never land in two splits.
 */
export function assignSplits(names: readonly string[], seed: number): Map<string, Split> {
  const ordered = [...names].sort((a, b) => hashName(a, seed) - hashName(b, seed) || a.localeCompare(b));
  const n = ordered.length;
  const train = Math.round((n * 2) / 3);
  const test = Math.round(n / 6);
  const out = new Map<string, Split>();
  ordered.forEach((name, i) => out.set(name, i < train ? 'train' : i < train + test ? 'test' : 'validation'));
  return out;
}
