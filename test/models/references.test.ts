import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { encodePng } from '../../src/image/png.js';
import { loadReferences } from '../../src/models/data.js';
import type { ManifestEntry } from '../../src/manifest/manifest.js';

let dir: string;

/** A data set of three one-frame sources in the train split, each frame a flat grey of its own level. */
beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'vgrade-refs-'));
  const entries: ManifestEntry[] = [];
  for (const [k, source] of ['a.mp4', 'b.mp4', 'c.jpg'].entries()) {
    await mkdir(path.join(dir, 'train', source), { recursive: true });
    const file = `train/${source}/f0_ref.png`;
    await writeFile(path.join(dir, file), encodePng(8, 4, new Uint8Array(8 * 4 * 3).fill(50 * (k + 1))));
    entries.push({
      source,
      kind: 'frame',
      split: 'train',
      frames: [0],
      pts: [0],
      detunes: [[]],
      files: [{ input: file, reference: file }],
    });
  }
  await writeFile(path.join(dir, 'manifest.jsonl'), entries.map((e) => JSON.stringify(e)).join('\n') + '\n');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("a split's reference frames", () => {
  it('are every frame of the split when no sources are named', async () => {
    const refs = await loadReferences(dir, 'train');
    expect(refs.frames.map((f) => f[0])).toEqual([50, 100, 150]);
  });

  it("are only the named sources' frames for a learning curve's subset", async () => {
    const refs = await loadReferences(dir, 'train', { onlySources: new Set(['a.mp4', 'c.jpg']) });
    expect(refs.frames.map((f) => f[0])).toEqual([50, 150]);
  });

  it("are refused, saying so, when the subset names none of the split's sources", async () => {
    await expect(loadReferences(dir, 'train', { onlySources: new Set(['elsewhere.mp4']) })).rejects.toThrow(
      /has no train samples/,
    );
  });
});
