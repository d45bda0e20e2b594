import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/media.js';
import { vgrade } from '../helpers/cli.js';
import { makeClip } from '../helpers/clips.js';

describe('vgrade classify', () => {
  let dir: string;
  let cleanup: () => Promise<void>;

  /** A 96x64 test-pattern clip of `frames` frames in the temporary folder. */
  const clip = (name: string, frames: number): Promise<string> =>
    makeClip(path.join(dir, name), { size: '96x64', fps: 25, frames, pixelFormat: 'yuv420p' });

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir('vgrade-classify-'));
    await clip('clip.mp4', 13);
  });
  afterAll(() => cleanup());

  /** `vgrade classify ARGS --json`'s records, each parsed. */
  const records = async (args: string[]): Promise<Array<Record<string, unknown>>> => {
    const result = await vgrade(['classify', ...args, '--json'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    return result.stdout
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  };

  it('classifies a still: one frame record, then one shot summary', async () => {
    const still = path.join(dir, 'still.png');
    await makeClip(still, { size: '96x64', frames: 1 });
    const lines = await records(['still.png']);
    expect(lines.map((l) => ('shot' in l ? `shot ${l.shot}` : `frame ${l.frame}`))).toEqual([
      'frame 0',
      'shot 0',
    ]);
    expect(lines[1]).toMatchObject({ from: { frame: 0 }, to: { frame: 0 }, analysed: 1 });
  });

  it('classifies a 2-frame clip: a record for each frame, then the shot', async () => {
    await clip('two.mp4', 2);
    const lines = await records(['two.mp4', '--every', '1']);
    expect(lines.map((l) => ('shot' in l ? `shot ${l.shot}` : `frame ${l.frame}`))).toEqual([
      'frame 0',
      'frame 1',
      'shot 0',
    ]);
    expect(lines[2]).toMatchObject({ from: { frame: 0 }, to: { frame: 1 }, analysed: 2 });
  });

  it('runs the classifier on the backend named by --backend', async () => {
    const result = await vgrade(
      ['classify', 'clip.mp4', '--backend', 'cpu', '--log-level', 'debug', '--log-format', 'json'],
      { cwd: dir },
    );
    expect(result.code, result.stderr).toBe(0);
    const loaded = result.stderr
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; backend?: string; stage?: string })
      .filter((l) => l.msg === 'classifier model loaded');
    expect(loaded).toEqual([expect.objectContaining({ stage: 'classify', backend: 'cpu' })]);
  });

  it('sums up each input in words, a count of one in the singular: "1 frame analysed, 1 shot"', async () => {
    const result = await vgrade(['classify', 'clip.mp4', '--every', '13'], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.toString().split('\n')[0]).toBe('clip.mp4: 1 frame analysed, 1 shot');
  });

  it('keeps the records of every input in --report, in the order the run made them, beside the summary', async () => {
    await clip('two.mp4', 2);
    const result = await vgrade(['classify', 'two.mp4', 'clip.mp4', '--every', '1', '--report', 'qc.jsonl'], {
      cwd: dir,
    });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout.toString()).toMatch(/^two\.mp4: 2 frames analysed, 1 shot\n/);
    const kept = (await readFile(path.join(dir, 'qc.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { input: string; frame?: number; shot?: number });
    expect(
      kept.map((r) => `${path.basename(r.input)} ${r.shot === undefined ? `frame ${r.frame}` : 'shot'}`),
    ).toEqual([
      'two.mp4 frame 0',
      'two.mp4 frame 1',
      'two.mp4 shot',
      ...Array.from({ length: 13 }, (_, i) => `clip.mp4 frame ${i}`),
      'clip.mp4 shot',
    ]);
  });
});
