import { describe, expect, it } from 'vitest';
import type { ManifestEntry } from '../../src/manifest/manifest.js';
import { isHeldOutFrame, selectFrames } from '../../src/manifest/heldOut.js';

const frame = (source: string, index: number, split: ManifestEntry['split'] = 'train'): ManifestEntry => ({
  source,
  kind: 'frame',
  split,
  frames: [index],
  pts: [index / 25],
  detunes: [[]],
  files: [
    { input: `${split}/${source}/f${index}_in.png`, reference: `${split}/${source}/f${index}_ref.png` },
  ],
});

const run = (source: string, from: number, length: number): ManifestEntry => {
  const frames = Array.from({ length }, (_, i) => from + i);
  return {
    source,
    kind: 'run',
    split: 'train',
    frames,
    pts: frames.map((f) => f / 25),
    detunes: frames.map(() => []),
    files: frames.map((f) => ({
      input: `train/${source}/r${f}_in.png`,
      reference: `train/${source}/r${f}_ref.png`,
    })),
  };
};

describe("the paper's protocol: held-out frames of trained sources", () => {
  const entries = Array.from({ length: 200 }, (_, i) => frame(`s${i % 7}`, i));

  it('holds out about a fifth of the train split single frames, chosen by file name alone', () => {
    const held = entries.filter(isHeldOutFrame);
    expect(held.length).toBeGreaterThan(20);
    expect(held.length).toBeLessThan(70);
    expect(entries.filter(isHeldOutFrame)).toEqual(held); // the same every time
  });

  it('never holds out frames of other splits, nor photographs (a photograph is a whole source)', () => {
    expect(entries.map((e) => frame(e.source, e.frames[0]!, 'validation')).some(isHeldOutFrame)).toBe(false);
    expect(entries.map((e) => ({ ...e, kind: 'photo' as const })).some(isHeldOutFrame)).toBe(false);
  });

  it('splits the train split into what training may use and what it holds out, with nothing in both', () => {
    const trainable = selectFrames(entries, 'trainable');
    const heldOut = selectFrames(entries, 'held-out');
    expect(trainable.length + heldOut.length).toBe(entries.length);
    const names = new Set(trainable.map((e) => JSON.stringify(e.files)));
    expect(heldOut.some((e) => names.has(JSON.stringify(e.files)))).toBe(false);
    expect(selectFrames(entries, 'all')).toEqual(entries);
  });

  it('drops a held-out position from the runs of the same source', () => {
    const held = entries.find(isHeldOutFrame)!;
    const at = held.frames[0]!;
    const withRun = [...entries, run(held.source, at - 2, 5), run('elsewhere', at - 2, 5)];
    const runs = selectFrames(withRun, 'trainable').filter((e) => e.kind === 'run');
    expect(runs[0]!.frames).toEqual([at - 2, at - 1, at + 1, at + 2]);
    expect(runs[0]!.files).toHaveLength(4);
    expect(runs[1]!.frames).toHaveLength(5);
  });
});
