import { cp, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRgb, ffmpeg, tempDir } from '../helpers/media.js';
import { SAMPLE } from '../helpers/cli.js';
import { buildDataset } from '../../src/dataset/build.js';
import type { ManifestEntry } from '../../src/manifest/manifest.js';
import { assignSplits, type Split } from '../../src/manifest/split.js';
import { readSplitList, sourceNames } from '../../src/manifest/splitList.js';
import { encodePng } from '../../src/image/png.js';
import { applyDetunes } from '../../src/detune/apply.js';
import { resolveBinaries } from '../../src/ffmpeg/binaries.js';
import { getCapabilities } from '../../src/ffmpeg/capabilities.js';
import { silentLogger } from '../../src/util/logger.js';

describe('encodePng', () => {
  it('writes a PNG that ffmpeg decodes back to the same pixels (odd size)', async () => {
    const { dir, cleanup } = await tempDir();
    try {
      const w = 37;
      const h = 23;
      const rgb = new Uint8Array(w * h * 3).map((_, i) => (i * 37 + (i >> 5)) & 0xff);
      const file = path.join(dir, 'x.png');
      await import('node:fs/promises').then((fs) => fs.writeFile(file, encodePng(w, h, rgb)));
      const [decoded] = await decodeRgb(file, w, h);
      expect(Buffer.compare(decoded!, Buffer.from(rgb))).toBe(0);
    } finally {
      await cleanup();
    }
  });
});

describe('assignSplits', () => {
  it('gives 2/3, 1/6, 1/6 by source, independent of the listing order', () => {
    const names = Array.from({ length: 12 }, (_, i) => `clip${i}.mp4`);
    const a = assignSplits(names, 7);
    const b = assignSplits([...names].reverse(), 7);
    expect([...a.entries()].sort()).toEqual([...b.entries()].sort());
    const counts = { train: 0, test: 0, validation: 0 };
    for (const split of a.values()) counts[split]++;
    expect(counts).toEqual({ train: 8, test: 2, validation: 2 });
    expect([...assignSplits(names, 8).entries()].sort()).not.toEqual([...a.entries()].sort());
  });
});

describe('buildDataset', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let sources: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    sources = path.join(dir, 'media');
    await import('node:fs/promises').then((fs) => fs.mkdir(sources));
    // Real footage (the shipped sample, two cuts of it) and two photographs made from it.
    await ffmpeg(['-i', SAMPLE, '-t', '2', '-c', 'copy', path.join(sources, 'a.mp4')]);
    await ffmpeg([
      '-ss',
      '2',
      '-i',
      SAMPLE,
      '-t',
      '1.5',
      '-c:v',
      'libx264',
      '-an',
      path.join(sources, 'b.mkv'),
    ]);
    await ffmpeg([
      '-ss',
      '1',
      '-i',
      SAMPLE,
      '-frames:v',
      '1',
      '-vf',
      'scale=300:400',
      path.join(sources, 'portrait.png'),
    ]);
    await ffmpeg(['-ss', '3', '-i', SAMPLE, '-frames:v', '1', path.join(sources, 'photo.jpg')]);
  });
  afterAll(() => cleanup());

  async function build(out: string, seed: number, splits?: ReadonlyMap<string, Split>, from = sources) {
    const binaries = await resolveBinaries();
    const caps = await getCapabilities(binaries.ffmpeg);
    const result = await buildDataset(
      {
        from: [from],
        out,
        width: 64,
        height: 36,
        fit: 'crop',
        frames: 3,
        runs: 1,
        runLength: 6,
        variants: 2,
        seed,
        ab: false,
        ...(splits ? { splits } : {}),
      },
      { logger: silentLogger, binaries, caps, signal: new AbortController().signal },
    );
    const text = await readFile(path.join(out, 'manifest.jsonl'), 'utf8');
    const entries = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as ManifestEntry);
    return { result, entries, text };
  }

  /** Every pair's input is its reference detuned as the manifest says, in its split's folder. */
  async function expectPairsAsTheManifestSays(out: string, entries: readonly ManifestEntry[]) {
    for (const entry of entries) {
      for (const [k, file] of entry.files.entries()) {
        if (!('input' in file)) throw new Error('expected separate files');
        const [input] = await decodeRgb(path.join(out, file.input), 64, 36);
        const [reference] = await decodeRgb(path.join(out, file.reference), 64, 36);
        const expected = new Uint8Array(reference!.length);
        applyDetunes(reference!, expected, entry.detunes[k]!);
        expect(Buffer.compare(input!, Buffer.from(expected)), `${file.input}`).toBe(0);
        expect(file.input.startsWith(`${entry.split}/`)).toBe(true);
      }
    }
  }

  it('writes pairs whose input is exactly the reference detuned as the manifest says', async () => {
    const out = path.join(dir, 'ds');
    const { result, entries } = await build(out, 1);
    expect(result.splits.train.length + result.splits.test.length + result.splits.validation.length).toBe(4);
    // 2 videos x (3 frames + 1 run) + 2 photos x 2 variants
    expect(entries.filter((e) => e.kind === 'frame').length).toBeGreaterThanOrEqual(5);
    expect(entries.filter((e) => e.kind === 'run')).toHaveLength(2);
    expect(entries.filter((e) => e.kind === 'photo')).toHaveLength(4);
    await expectPairsAsTheManifestSays(out, entries);
  });

  it('keeps every source in one split, runs consecutive, and is reproducible from the seed', async () => {
    const first = await build(path.join(dir, 'ds1'), 5);
    const again = await build(path.join(dir, 'ds2'), 5);
    const other = await build(path.join(dir, 'ds3'), 6);
    expect(again.text).toEqual(first.text.replaceAll(path.join(dir, 'ds1'), path.join(dir, 'ds2')));
    expect(other.text).not.toEqual(first.text);
    const splitOf = new Map<string, string>();
    for (const e of first.entries) {
      expect(splitOf.get(e.source) ?? e.split).toBe(e.split);
      splitOf.set(e.source, e.split);
    }
    for (const run of first.entries.filter((e) => e.kind === 'run')) {
      expect(run.frames).toHaveLength(6);
      expect(run.frames).toEqual(run.frames.map((_, i) => run.frames[0]! + i));
      expect(run.detunes).toHaveLength(6);
    }
  });

  it('writes its split list beside the manifest; a data set built elsewhere with it keeps every split', async () => {
    const first = await build(path.join(dir, 'ds-listed'), 5);
    const list = await readSplitList(path.join(dir, 'ds-listed', 'splits.tsv'));
    expect(list.size).toBe(4);
    for (const e of first.entries) expect(list.get(path.basename(e.source))).toBe(e.split);

    // The same files under another path: the list, not the path's hash, decides.
    const elsewhere = path.join(dir, 'elsewhere', 'media');
    await cp(sources, elsewhere, { recursive: true });
    const pinned = new Map([...list.keys()].map((name) => [name, 'test' as const]));
    const moved = await build(path.join(dir, 'ds-moved'), 5, pinned, elsewhere);
    expect(moved.result.listed).toBe(4);
    expect(new Set(moved.entries.map((e) => e.split))).toEqual(new Set(['test']));
    const again = await build(path.join(dir, 'ds-again'), 5, list, elsewhere);
    for (const e of again.entries) expect(e.split).toBe(list.get(path.basename(e.source)));
  });

  it('keeps two sources that share a file name apart, in one split, with nothing overwritten', async () => {
    const twins = path.join(dir, 'twins');
    const cam1 = path.join(twins, 'cam1', 'clip.mp4');
    const cam2 = path.join(twins, 'cam2', 'clip.mp4');
    await mkdir(path.dirname(cam1), { recursive: true });
    await mkdir(path.dirname(cam2), { recursive: true });
    await cp(path.join(sources, 'a.mp4'), cam1);
    await cp(path.join(sources, 'b.mkv'), cam2); // other footage under the same name
    const names = sourceNames([cam1, cam2]);
    const bothTrain = new Map([...names.values()].map((name) => [name, 'train' as const]));
    const out = path.join(dir, 'ds-twins');
    const { entries } = await build(out, 5, bothTrain, twins);
    const folders = new Set(entries.map((e) => path.dirname((e.files[0] as { input: string }).input)));
    expect(folders.size).toBe(2);
    expect(new Set(entries.map((e) => e.split))).toEqual(new Set(['train']));
    await expectPairsAsTheManifestSays(out, entries);
    const list = await readSplitList(path.join(out, 'splits.tsv'));
    expect([...list.keys()].sort()).toEqual([...names.values()].sort());
  });
});
