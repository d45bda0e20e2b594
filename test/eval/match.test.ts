import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, tempDir } from '../helpers/media.js';
import { SAMPLE } from '../helpers/cli.js';
import { buildDataset } from '../../src/dataset/build.js';
import type { ManifestEntry } from '../../src/manifest/manifest.js';
import { evaluateMatch, INPUT_ROW, matchMarkdown, originOf, REFERENCE_CASES } from '../../src/eval/match.js';
import { resolveBinaries } from '../../src/ffmpeg/binaries.js';
import { getCapabilities } from '../../src/ffmpeg/capabilities.js';
import { silentLogger } from '../../src/util/logger.js';

describe('evaluateMatch (vgrade eval --task match)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  const cwd = process.cwd();
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    // The data set seeds each source's detunes with its name as given, so the sources are named
    // relative to the temporary folder: from an absolute path, the run's detune would change with
    // the folder's random name, and now and then be too faint for any match to improve on.
    process.chdir(dir);
    const media = 'media';
    await mkdir(media);
    // Two sources of one origin (cam_): of two sources, one lands in the train split and the other
    // in validation. Encoded afresh (a stream copy cut between keyframes can hold fewer frames
    // than it says, and the data set would sample none).
    for (const [name, start] of [
      ['cam_a.mp4', '0'],
      ['cam_b.mp4', '2'],
    ] as const) {
      await ffmpeg([
        ...['-ss', start, '-i', SAMPLE, '-t', '1', '-an', '-vf', 'scale=192:108'],
        ...['-c:v', 'libx264', '-preset', 'veryfast', path.join(media, name)],
      ]);
    }
    const binaries = await resolveBinaries();
    const caps = await getCapabilities(binaries.ffmpeg);
    await buildDataset(
      {
        from: [media],
        out: 'ds',
        width: 96,
        height: 54,
        fit: 'crop',
        frames: 1,
        runs: 1,
        runLength: 5,
        steadyRuns: true,
        variants: 1,
        seed: 3,
        ab: false,
      },
      { logger: silentLogger, binaries, caps, signal: new AbortController().signal },
    );
  });
  afterAll(async () => {
    process.chdir(cwd);
    await cleanup();
  });

  it('grades each run with each method against its middle clean frame and another source, beside the input', async () => {
    const binaries = await resolveBinaries();
    const caps = await getCapabilities(binaries.ffmpeg);
    const env = { logger: silentLogger, binaries, caps, signal: new AbortController().signal };
    const r = await evaluateMatch(path.join(dir, 'ds'), 'validation', ['reinhard', 'curves'], { env });
    const manifest = (await readFile(path.join(dir, 'ds', 'manifest.jsonl'), 'utf8'))
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as ManifestEntry);
    const run = manifest.find((e) => e.split === 'validation' && e.kind === 'run')!;
    const files = run.files as Array<{ input: string; reference: string }>;
    expect(r.runs).toBe(1);
    expect(r.references).toEqual([
      { run: files[0]!.input, 'same clip': files[2]!.reference, 'other source': expect.any(String) },
    ]);
    const other = manifest.find((e) =>
      e.files.some((f) => 'reference' in f && f.reference === r.references[0]!['other source']),
    )!;
    expect(other.source).not.toBe(run.source);
    expect(originOf(other.source)).toBe('cam');
    for (const c of REFERENCE_CASES) {
      expect(Object.keys(r.table[c])).toEqual([INPUT_ROW, 'reinhard', 'curves']);
      for (const row of Object.values(r.table[c])) {
        expect(row.frames).toBe(5);
        expect(row.runs).toBe(1);
        expect(Number.isFinite(row.flicker)).toBe(true);
      }
      expect(r.table[c][INPUT_ROW]!.cleanMoved).toBe(0);
    }
    // Matched to a clean frame of its own clip, a detuned run comes closer to the clean run.
    const same = r.table['same clip'];
    expect(same['curves']!.deltaE).toBeLessThan(same[INPUT_ROW]!.deltaE);
    expect(matchMarkdown(r)).toContain('| same clip | curves |');
  });

  it('says how to build a data set with runs when the split has none', async () => {
    const binaries = await resolveBinaries();
    const caps = await getCapabilities(binaries.ffmpeg);
    const env = { logger: silentLogger, binaries, caps, signal: new AbortController().signal };
    await expect(evaluateMatch(path.join(dir, 'ds'), 'test', ['curves'], { env })).rejects.toThrow(
      /holds no runs: build the data set with --runs N --steady-runs/,
    );
  });
});
