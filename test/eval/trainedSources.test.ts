import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/media.js';
import type { ManifestEntry } from '../../src/manifest/manifest.js';
import { shippedSplitList, sourcesTrainedOn, trainedSourcesWarning } from '../../src/eval/trainedSources.js';
import { readSplitList } from '../../src/manifest/splitList.js';

const entry = (source: string, split: ManifestEntry['split']): ManifestEntry => ({
  source,
  kind: 'frame',
  split,
  frames: [0],
  pts: [0],
  detunes: [[]],
  files: [{ input: `${split}/x_in.png`, reference: `${split}/x_ref.png` }],
});

describe('sources of an evaluated split that the shipped models trained on', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let list: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    list = path.join(dir, 'splits.tsv');
    await writeFile(list, 'a.mp4\ttrain\nb.jpg\ttest\nc.png\ttrain\n');
    // Built from another path without --splits: a.mp4 and c.png, trained on, landed in test.
    const manifest = [
      entry('media/dev/video/a.mp4', 'test'),
      entry('media/dev/video/a.mp4', 'test'),
      entry('media/dev/photo/b.jpg', 'test'),
      entry('media/dev/photo/c.png', 'test'),
      entry('media/dev/photo/d.png', 'validation'),
      entry('media/dev/photo/e.png', 'train'),
    ];
    await writeFile(
      path.join(dir, 'manifest.jsonl'),
      manifest.map((e) => JSON.stringify(e)).join('\n') + '\n',
    );
  });
  afterAll(() => cleanup());

  it('are named once each, by file name, wherever the data set was built from', async () => {
    expect(await sourcesTrainedOn(dir, 'test', list)).toEqual(['a.mp4', 'c.png']);
    expect(trainedSourcesWarning('test', ['a.mp4', 'c.png'])).toMatch(
      /^2 of the test split's sources .* \(a\.mp4, c\.png\).*--splits models\/splits\.tsv/,
    );
  });

  it('are none for a split that holds only unseen or unlisted sources, for the train split, and without a list', async () => {
    expect(await sourcesTrainedOn(dir, 'validation', list)).toEqual([]);
    expect(await sourcesTrainedOn(dir, 'train', list)).toEqual([]);
    expect(await sourcesTrainedOn(dir, 'test', path.join(dir, 'none.tsv'))).toEqual([]);
  });

  it("are read against the split list shipped with the models, which names the data set's 49 sources", async () => {
    const shipped = await readSplitList(shippedSplitList());
    const counts = { train: 0, validation: 0, test: 0 };
    for (const split of shipped.values()) counts[split]++;
    expect(counts).toEqual({ train: 32, validation: 9, test: 8 });
  });
});
