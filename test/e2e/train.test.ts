import { mkdir, readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ffmpeg, tempDir } from '../helpers/media.js';
import { SAMPLE, vgrade } from '../helpers/cli.js';

/**
 * `vgrade train` end to end on a tiny data set made from the shipped sample: each network trains a
 * few steps, writes a loadable model, and `vgrade eval` measures both.
 */
describe('vgrade train', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let data: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    const media = path.join(dir, 'media');
    await mkdir(media);
    for (const [i, start] of [0, 0.6, 1.2, 1.8, 2.4, 3].entries()) {
      await ffmpeg([
        '-ss',
        String(start),
        '-i',
        SAMPLE,
        '-t',
        '0.5',
        '-an',
        '-c:v',
        'libx264',
        path.join(media, `clip${i}.mp4`),
      ]);
    }
    data = path.join(dir, 'data');
    const built = await vgrade([
      'dataset',
      '--from',
      media,
      '--out',
      data,
      '--size',
      '64x36',
      '--frames',
      '2',
      '--runs',
      '1',
      '--run-length',
      '4',
      '--seed',
      '3',
    ]);
    expect(built.code, built.stderr).toBe(0);
  });
  afterAll(() => cleanup());

  it('trains the classifier and the cgan a few steps each, with progress on stderr and a summary on stdout', async () => {
    const classifier = path.join(dir, 'classifier');
    const c = await vgrade([
      'train',
      'classifier',
      '--data',
      data,
      '--out',
      classifier,
      '--steps',
      '4',
      '--validate-every',
      '2',
      '--log-every',
      '2',
      '--batch',
      '4',
      '--base',
      '4',
      '--frames-per-video',
      '3',
    ]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/train classifier: step 2\/4, loss [\d.]+.*steps\/s, ETA/);
    expect(c.stderr).toMatch(/validate classifier: step 4, .*exact/);
    expect(JSON.parse(c.stdout.toString())).toMatchObject({
      network: 'classifier',
      step: 4,
      reason: 'steps',
      backend: 'wasm',
    });
    expect((await readdir(classifier)).sort()).toEqual([
      'checkpoint',
      'model.json',
      'train.jsonl',
      'weights.bin',
    ]);

    const cgan = path.join(dir, 'cgan');
    const g = await vgrade([
      'train',
      'cgan',
      '--data',
      data,
      '--out',
      cgan,
      '--steps',
      '4',
      '--validate-every',
      '2',
      '--window',
      '4',
      '--batch',
      '4',
      '--base',
      '4',
      '--frames-per-video',
      '0',
    ]);
    expect(g.code, g.stderr).toBe(0);
    const model = JSON.parse(await readFile(path.join(cgan, 'model.json'), 'utf8'));
    expect(model).toMatchObject({
      format: 'vgrade-cgan',
      config: { input: { width: 64, height: 36 }, generator: { window: 4 } },
    });

    const e = await vgrade([
      'eval',
      '--data',
      data,
      '--cgan',
      cgan,
      '--classifier',
      classifier,
      '--no-baselines',
      '-p',
      'classical',
      '--out',
      path.join(dir, 'report'),
    ]);
    expect(e.code, e.stderr).toBe(0);
    const md = e.stdout.toString();
    expect(md).toContain('cgan model');
    expect(md).toContain('cgan model per-frame');
    expect(md).toMatch(/## Classifier, validation split/);
    expect(md).toMatch(/Doubles \(\d+ frames, two families at whole levels\): fully diagnosed [\d.]+%/);
    const report = JSON.parse(await readFile(path.join(dir, 'report', 'eval.json'), 'utf8'));
    expect(report.classifier.singles.count).toBeGreaterThan(0);
  });

  it('resumes from the checkpoint when run again, and starts over with --fresh', async () => {
    const out = path.join(dir, 'resume');
    const args = [
      'train',
      'classifier',
      '--data',
      data,
      '--out',
      out,
      '--validate-every',
      '2',
      '--batch',
      '4',
      '--base',
      '4',
      '--frames-per-video',
      '0',
    ];
    expect((await vgrade([...args, '--steps', '2'])).code).toBe(0);
    const again = await vgrade([...args, '--steps', '4', '--log-level', 'info']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/resuming from .*checkpoint/);
    const lines = (await readFile(path.join(out, 'train.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines.filter((l) => l.kind === 'validation').map((l) => l.step)).toEqual([2, 4]);
    const fresh = await vgrade([...args, '--steps', '2', '--fresh']);
    expect(fresh.code).toBe(0);
    const after = (await readFile(path.join(out, 'train.jsonl'), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(after.filter((l) => l.kind === 'validation').map((l) => l.step)).toEqual([2]);
  });

  it("learns a look from before/after folders (a colourist's taste)", async () => {
    const before = path.join(dir, 'before');
    const after = path.join(dir, 'after');
    await mkdir(before);
    await mkdir(after);
    await ffmpeg(['-i', SAMPLE, '-t', '1', '-vf', 'fps=6,scale=64:36', path.join(before, 'f%03d.png')]);
    await ffmpeg([
      '-i',
      SAMPLE,
      '-t',
      '1',
      '-vf',
      'fps=6,scale=64:36,eq=saturation=0.5:gamma=1.2',
      path.join(after, 'f%03d.png'),
    ]);
    const out = path.join(dir, 'look');
    const r = await vgrade([
      'train',
      'cgan',
      '--pairs',
      before,
      after,
      '--size',
      '64x36',
      '--out',
      out,
      '--steps',
      '2',
      '--validate-every',
      '2',
      '--batch',
      '2',
      '--base',
      '4',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const model = JSON.parse(await readFile(path.join(out, 'model.json'), 'utf8'));
    expect(model.config.generator.window).toBe(1);
  });

  it('trains the statistics classifier, combines it with a convolutional one, and the ensemble classifies a clip', async () => {
    const common = [
      '--data',
      data,
      '--steps',
      '2',
      '--validate-every',
      '2',
      '--batch',
      '4',
      '--frames-per-video',
      '0',
    ];
    const grid = path.join(dir, 'ens-grid');
    const stats = path.join(dir, 'ens-stats');
    const both = path.join(dir, 'ens');
    const g = await vgrade(['train', 'classifier', ...common, '--base', '4', '--out', grid]);
    expect(g.code, g.stderr).toBe(0);
    const s = await vgrade(['train', 'classifier', ...common, '--inputs', 'statistics', '--out', stats]);
    expect(s.code, s.stderr).toBe(0);
    const e = await vgrade(['train', 'ensemble', '--members', grid, stats, '--out', both]);
    expect(e.code, e.stderr).toBe(0);
    expect(JSON.parse(e.stdout.toString())).toMatchObject({ network: 'ensemble', members: 2 });
    const json = JSON.parse(await readFile(path.join(both, 'model.json'), 'utf8')) as {
      config: { members: Array<{ from: string; config: { network: { inputs?: string } } }> };
    };
    expect(json.config.members.map((m) => [m.from, m.config.network.inputs ?? 'grid'])).toEqual([
      [grid, 'grid'],
      [stats, 'statistics'],
    ]);
    const c = await vgrade([
      'classify',
      SAMPLE,
      '--set',
      `classify.model=${both}`,
      '--set',
      'downscale.width=64',
      '--set',
      'downscale.height=36',
      '--every',
      '40',
      '--json',
    ]);
    expect(c.code, c.stderr).toBe(0);
    const records = c.stdout
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { frame?: number; top?: unknown[] });
    expect(records.filter((r) => r.frame !== undefined).length).toBeGreaterThanOrEqual(2);
    expect(records[0]!.top).toHaveLength(3);
    const alone = await vgrade(['train', 'ensemble', '--members', grid, '--out', path.join(dir, 'x')]);
    expect(alone.code).toBe(2);
    expect(alone.stderr).toMatch(/Name the classifiers to combine/);
  });

  it('says what is wrong with the request', async () => {
    const none = await vgrade(['train', 'cgan', '--out', path.join(dir, 'x')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/Name the training data: --data DIR/);
    const pairs = await vgrade(['train', 'classifier', '--pairs', 'a', 'b', '--out', path.join(dir, 'x')]);
    expect(pairs.code).toBe(2);
    expect(pairs.stderr).toMatch(/--pairs is for the cgan/);
    const missing = await vgrade([
      'train',
      'cgan',
      '--data',
      path.join(dir, 'nothing'),
      '--out',
      path.join(dir, 'x'),
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/No data set at .*nothing: expected .*manifest.jsonl/);
    const steps = await vgrade([
      'train',
      'cgan',
      '--data',
      data,
      '--out',
      path.join(dir, 'x'),
      '--steps',
      '0',
    ]);
    expect(steps.code).toBe(2);
    expect(steps.stderr).toMatch(/Expected integer between 1 and \d+ for --steps but received 0/);
    const backend = await vgrade([
      'train',
      'cgan',
      '--data',
      data,
      '--out',
      path.join(dir, 'x'),
      '--backend',
      'tensorflow',
    ]);
    if (backend.code !== 0) {
      expect(backend.code).toBe(2);
      expect(backend.stderr).toMatch(/Backend "tensorflow" is not available: .*use --backend wasm/);
    }
  });
});
