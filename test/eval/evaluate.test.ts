import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, tempDir } from '../helpers/media.js';
import { SAMPLE } from '../helpers/cli.js';
import { buildDataset } from '../../src/dataset/build.js';
import {
  CLEAN_FRAME_LIMIT,
  CLEAN_ROW,
  evaluate,
  familyOf,
  OUTSIDE_OVERALL,
} from '../../src/eval/evaluate.js';
import { availableOutsideKinds, OUTSIDE_KINDS } from '../../src/eval/outsideKinds.js';
import type { ManifestEntry } from '../../src/manifest/manifest.js';
import { flicker } from '../../src/eval/flicker.js';
import { ffmpegBaselines, identityGrader, pipelineGrader } from '../../src/eval/graders.js';
import { contactSheet, markdownReport } from '../../src/eval/report.js';
import { resolveBinaries } from '../../src/ffmpeg/binaries.js';
import { getCapabilities } from '../../src/ffmpeg/capabilities.js';
import { silentLogger } from '../../src/util/logger.js';

describe('flicker', () => {
  it('is 0 for a still sequence and the mean Lab step otherwise', () => {
    const grey = (v: number) => new Uint8Array(12).fill(v);
    expect(flicker([grey(100), grey(100), grey(100)])).toBe(0);
    // Alternating black and white: every step is the full L range (0 -> 100 -> 0).
    expect(flicker([grey(0), grey(255), grey(0)])).toBeCloseTo(100, 3);
  });
});

describe('familyOf', () => {
  it('names the row a sample belongs to', () => {
    const base = { source: 's', split: 'test' as const, frames: [0], pts: [0], files: [] };
    expect(familyOf({ ...base, kind: 'frame', detunes: [[]] })).toBe('none');
    expect(familyOf({ ...base, kind: 'frame', detunes: [[{ family: 'green', amount: 2 }]] })).toBe('green');
    expect(
      familyOf({
        ...base,
        kind: 'photo',
        detunes: [
          [
            { family: 'green', amount: 2 },
            { family: 'white-low', amount: 1 },
          ],
        ],
      }),
    ).toBe('combination');
    expect(familyOf({ ...base, kind: 'run', detunes: [[], []] })).toBe('drift (runs)');
  });
});

describe('evaluate', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    const media = path.join(dir, 'media');
    await import('node:fs/promises').then((fs) => fs.mkdir(media));
    await ffmpeg(['-i', SAMPLE, '-t', '1.5', '-c', 'copy', path.join(media, 'clip.mp4')]);
    await ffmpeg(['-ss', '2', '-i', SAMPLE, '-frames:v', '1', path.join(media, 'photo.png')]);
    const binaries = await resolveBinaries();
    const caps = await getCapabilities(binaries.ffmpeg);
    await buildDataset(
      {
        from: [media],
        out: path.join(dir, 'ds'),
        width: 96,
        height: 54,
        fit: 'crop',
        frames: 3,
        runs: 1,
        runLength: 5,
        variants: 3,
        seed: 3,
        ab: false,
      },
      { logger: silentLogger, binaries, caps, signal: new AbortController().signal },
    );
  });
  afterAll(() => cleanup());

  it('measures the input, ffmpeg filters and a pipeline on every frame of a split', async () => {
    const binaries = await resolveBinaries();
    const caps = await getCapabilities(binaries.ffmpeg);
    const env = { logger: silentLogger, binaries, caps, signal: new AbortController().signal };
    const graders = [
      identityGrader,
      ...ffmpegBaselines(binaries, caps),
      await pipelineGrader('classical', [], env),
    ];
    // With two sources, one is train and the other validation: evaluate whichever split holds data.
    const { readFile } = await import('node:fs/promises');
    const split = (await readFile(path.join(dir, 'ds', 'manifest.jsonl'), 'utf8')).includes(
      '"split":"validation"',
    )
      ? 'validation'
      : 'train';
    const result = await evaluate(path.join(dir, 'ds'), split, graders, { ffmpeg: binaries.ffmpeg });
    expect(result.graders).toEqual(graders.map((g) => g.name));
    const overall = result.table['overall']!;
    expect(Object.keys(overall)).toEqual(graders.map((g) => g.name));
    for (const m of Object.values(overall)) {
      expect(m.frames).toBe(result.frames);
      expect(Number.isFinite(m.deltaE)).toBe(true);
    }
    // The input as it came is exact where nothing was detuned, and off where something was.
    if (result.table['none']) {
      expect(result.table['none']['input']!.deltaE).toBe(0);
      expect(result.table['none']['input']!.exact).toBe(1);
    }
    // A detune drawn with a tiny amount can leave every 8-bit value as it was; the input is off
    // exactly where some sample's pixels changed.
    const entries = (await readFile(path.join(dir, 'ds', 'manifest.jsonl'), 'utf8'))
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as ManifestEntry)
      .filter((e) => e.split === split);
    const changed = new Map<string, boolean>();
    for (const e of entries) {
      for (const f of e.files) {
        if (!('input' in f)) continue;
        const [a, b] = await Promise.all([
          readFile(path.join(dir, 'ds', f.input)),
          readFile(path.join(dir, 'ds', f.reference)),
        ]);
        const family = familyOf(e);
        changed.set(family, (changed.get(family) ?? false) || !a.equals(b));
      }
    }
    const detuned = Object.entries(result.table).filter(
      ([f]) => f !== 'none' && f !== 'overall' && f !== 'drift (runs)',
    );
    expect(detuned.length).toBeGreaterThan(0);
    for (const [family, byGrader] of detuned) {
      if (changed.get(family)) expect(byGrader['input']!.deltaE).toBeGreaterThan(0);
      else expect(byGrader['input']!.deltaE).toBe(0);
    }
    const md = markdownReport(result);
    expect(md).toMatch(/\| \*\*overall\*\* \(\d+\) \|/);
    const sheet = contactSheet(result);
    expect(sheet?.subarray(1, 4).toString()).toBe('PNG');
  });

  it('adds rows for clean frames (how far a grade moves them) and for kinds of error outside the 24', async () => {
    const binaries = await resolveBinaries();
    const caps = await getCapabilities(binaries.ffmpeg);
    const kinds = availableOutsideKinds(caps);
    expect(kinds.length).toBeGreaterThan(0);
    const { readFile } = await import('node:fs/promises');
    const split = (await readFile(path.join(dir, 'ds', 'manifest.jsonl'), 'utf8')).includes(
      '"split":"validation"',
    )
      ? 'validation'
      : 'train';
    const result = await evaluate(path.join(dir, 'ds'), split, [identityGrader], {
      ffmpeg: binaries.ffmpeg,
      cleanRows: true,
      outsideKinds: kinds,
    });
    // The input of a clean row is the reference itself; an outside kind's input differs from it.
    expect(result.table[CLEAN_ROW]!['input']).toMatchObject({ deltaE: 0, exact: 1, worst: 0, overLimit: 0 });
    const outside = Object.keys(result.table).filter((row) => row.startsWith('outside:'));
    expect(outside.length).toBeGreaterThan(0);
    for (const row of outside) {
      expect(OUTSIDE_KINDS.map((k) => k.name)).toContain(row);
      expect(result.table[row]!['input']!.deltaE).toBeGreaterThan(0.5);
    }
    const all = result.table[OUTSIDE_OVERALL]!['input']!;
    expect(all.frames).toBe(outside.reduce((n, row) => n + result.table[row]!['input']!.frames, 0));
    // Each row keeps its worst frame and how many frames are above the clean bound (3): an outside
    // kind's worst frame is at least its mean, and the overall row takes the worst of its rows.
    for (const row of outside) {
      const m = result.table[row]!['input']!;
      expect(m.worst).toBeGreaterThanOrEqual(m.deltaE);
      expect(m.overLimit).toBeLessThanOrEqual(m.frames);
      // Named by its clean reference, a file of the data set.
      expect(existsSync(path.join(dir, 'ds', m.worstFrame))).toBe(true);
    }
    expect(all.worst).toBe(Math.max(...outside.map((row) => result.table[row]!['input']!.worst)));
    expect(all.overLimit).toBe(outside.reduce((n, row) => n + result.table[row]!['input']!.overLimit, 0));
    expect(markdownReport(result)).toContain(
      `| grader | mean | worst frame | frames above ${CLEAN_FRAME_LIMIT} | the worst frame |\n| --- | ---: | ---: | ---: | --- |\n| input | 0.00 | 0.00 | 0 of ${result.table[CLEAN_ROW]!['input']!.frames} |  |\n`,
    );
    // The overall row stays the detuned samples' alone, as every earlier table quotes it.
    const detunedFrames = Object.entries(result.table)
      .filter(
        ([row]) =>
          row !== 'overall' && row !== CLEAN_ROW && row !== OUTSIDE_OVERALL && !row.startsWith('outside:'),
      )
      .reduce((n, [, g]) => n + g['input']!.frames, 0);
    expect(result.table['overall']!['input']!.frames).toBe(detunedFrames);
    // Nothing the eval made is left in the data set.
    const { readdir } = await import('node:fs/promises');
    const left = (await readdir(path.join(dir, 'ds', split), { recursive: true })).filter((f) =>
      String(f).includes('eval-'),
    );
    expect(left).toEqual([]);
  });
});

describe('the report on clean frames', () => {
  it('names the worst clean frame of each grader and every clean frame moved by more than 3', () => {
    const row = (deltaE: number, worst: number, harmed: string[]) => ({
      deltaE,
      psnr: 40,
      exact: 0.5,
      frames: 4,
      worst,
      worstFrame: harmed[0] ?? 'validation/s/ref-1.png',
      overLimit: harmed.length,
      overLimitFrames: harmed,
    });
    const md = markdownReport({
      split: 'test',
      samples: 4,
      frames: 4,
      graders: ['input', 'g'],
      table: {
        [CLEAN_ROW]: {
          input: { ...row(0, 0, []), worstFrame: '' },
          g: row(1.2, 4.5, ['test/a/ref-1.png', 'test/b/ref-3.png']),
        },
      },
      flicker: {},
      examples: [],
    });
    expect(md).toContain('| g | 1.20 | 4.50 | 2 of 4 | test/a/ref-1.png |');
    expect(md).toContain('Clean frames moved by more than 3: g: test/a/ref-1.png, g: test/b/ref-3.png.');
  });
});

describe("the report against ffmpeg's best automatic filter", () => {
  const row = (deltaE: number) => ({
    deltaE,
    psnr: 40,
    exact: 0,
    frames: 2,
    worst: deltaE,
    worstFrame: '',
    overLimit: 0,
    overLimitFrames: [],
  });
  const report = (table: Record<string, Record<string, ReturnType<typeof row>>>, graders: string[]) =>
    markdownReport({ split: 'test', samples: 2, frames: 2, graders, table, flicker: {}, examples: [] });

  it('names the best filter of each row and says on which rows each of our graders is below it', () => {
    const graders = ['input', 'ffmpeg normalize', 'ffmpeg grayworld', 'vgrade grade'];
    const md = report(
      {
        green: {
          input: row(9),
          'ffmpeg normalize': row(4),
          'ffmpeg grayworld': row(3),
          'vgrade grade': row(1),
        },
        'outside: warm 4500 K': {
          input: row(8),
          'ffmpeg normalize': row(2.8),
          'ffmpeg grayworld': row(6),
          'vgrade grade': row(4.2),
        },
        [CLEAN_ROW]: {
          input: row(0),
          'ffmpeg normalize': row(3),
          'ffmpeg grayworld': row(5),
          'vgrade grade': row(0.5),
        },
      },
      graders,
    );
    expect(md).toContain('| green | grayworld 3.00 | 1.00 | yes |');
    expect(md).toContain('| outside: warm 4500 K | normalize 2.80 | 4.20 | no |');
    expect(md).toContain('vgrade grade: below the best filter on 1 of 2 rows; not on outside: warm 4500 K.');
    expect(md).not.toContain(`| ${CLEAN_ROW} | normalize`);
  });

  it('is left out where no filter was run', () => {
    const md = report({ green: { input: row(9), 'vgrade grade': row(1) } }, ['input', 'vgrade grade']);
    expect(md).not.toContain('best automatic filter');
  });
});
