import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRgb, ffmpeg, tempDir } from '../helpers/media.js';
import { SAMPLE, vgrade } from '../helpers/cli.js';
import { tf, useBackend } from '../../src/models/backend.js';
import { buildGenerator } from '../../src/models/cgan/generator.js';
import { DEFAULT_CGAN_TRAIN } from '../../src/models/cgan/train.js';
import { disposeParams, saveModel } from '../../src/models/params.js';
import { createRng } from '../../src/detune/random.js';

/**
 * The cgan stage end to end: a generator whose global head is set by hand to a known correction
 * (green x 0.8), saved as a model, run through `vgrade grade` on real footage.
 */
describe('cgan stage', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let greenModel: string;
  let clip: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    await useBackend('wasm');
    greenModel = path.join(dir, 'green');
    await mkdir(greenModel);
    const params = buildGenerator({ base: 4, window: 6 }, createRng(1));
    // coefficient = identity + 2 tanh(b / 2): b = 2 atanh(-0.1) makes the green gain 0.8.
    const bias = new Float32Array(12);
    bias[5] = 2 * Math.atanh(-0.1);
    params.get('g/coefGlobal/b')!.assign(tf.tensor1d(bias));
    await saveModel(
      greenModel,
      {
        format: 'vgrade-cgan',
        formatVersion: 1,
        config: {
          ...DEFAULT_CGAN_TRAIN,
          input: { width: 456, height: 256 },
          generator: { base: 4, window: 6 },
          discriminator: { base: 4 },
        },
      },
      params,
    );
    disposeParams(params);
    clip = path.join(dir, 'clip.mp4');
    await ffmpeg([
      '-i',
      SAMPLE,
      '-t',
      '1',
      '-vf',
      'scale=640:360',
      '-an',
      '-c:v',
      'libx264',
      '-crf',
      '12',
      clip,
    ]);
  });
  afterAll(() => cleanup());

  /** Grades the clip with the hand-made model and the given options; both clips' channel means. */
  async function gradeWith(
    name: string,
    sets: string[],
    pipeline = 'cgan',
    input = clip,
  ): Promise<{ before: number[]; after: number[] }> {
    const out = path.join(dir, `${name}.mp4`);
    const args = ['grade', input, '-o', out, '-p', pipeline, '--set', `cgan.model=${greenModel}`];
    // pipelines/cgan.yaml gates the network by the classifier; these tests look at the network.
    if (pipeline === 'cgan') args.push('--set', 'cgan.gate=false');
    for (const set of sets) args.push('--set', set);
    const r = await vgrade([...args, '--crf', '12']);
    expect(r.code, r.stderr).toBe(0);
    const before = await decodeRgb(input, 640, 360);
    const after = await decodeRgb(out, 640, 360);
    expect(after.length).toBe(before.length);
    const means = (frames: Buffer[]) =>
      [0, 1, 2].map((c) => {
        let s = 0;
        let n = 0;
        for (const f of frames) for (let i = c; i < f.length; i += 3, n++) s += f[i]!;
        return s / n;
      });
    return { before: means(before), after: means(after) };
  }

  it("applies the network's correction to the full-resolution frame, in windows, through the LUT", async () => {
    const { before, after } = await gradeWith('green', ['cgan.window=6', 'cgan.strength=1']);
    expect(after[1]! / before[1]!).toBeCloseTo(0.8, 1);
    expect(after[0]! / before[0]!).toBeCloseTo(1, 1);
    expect(after[2]! / before[2]!).toBeCloseTo(1, 1);
  });

  it('with overlapping windows (hop < window) each frame takes the weighted mean of its windows: the same correction here', async () => {
    const { before, after } = await gradeWith('overlap', ['cgan.window=6', 'cgan.hop=2', 'cgan.strength=1']);
    expect(after[1]! / before[1]!).toBeCloseTo(0.8, 1);
    expect(after[0]! / before[0]!).toBeCloseTo(1, 1);
  });

  it("takes the paper's 2x oversampled proxy (912x512) and applies the same correction", async () => {
    const { before, after } = await gradeWith(
      'oversampled',
      ['cgan.window=6', 'cgan.strength=1', 'merge.hald_level=5'],
      'cgan-oversample',
    );
    expect(after[1]! / before[1]!).toBeCloseTo(0.8, 1);
    expect(after[0]! / before[0]!).toBeCloseTo(1, 1);
  });

  it('refuses a hop longer than the window, naming the option', async () => {
    const r = await vgrade([
      'grade',
      clip,
      '-o',
      path.join(dir, 'y.mp4'),
      '-p',
      'cgan',
      '--set',
      'cgan.hop=20',
    ]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/hop \(20\) must not exceed window \(18\)/);
  });

  it('applies half the correction at strength 0.5', async () => {
    const { before, after } = await gradeWith('half', ['cgan.strength=0.5']);
    expect(after[1]! / before[1]!).toBeCloseTo(0.9, 1);
  });

  it('leaves the frames alone at strength 0 (the stage becomes a passthrough)', async () => {
    const { before, after } = await gradeWith('none', ['cgan.strength=0']);
    for (let c = 0; c < 3; c++) expect(Math.abs(after[c]! - before[c]!)).toBeLessThan(1.5);
  });

  describe('with gate: the classifier decides where the network may act', () => {
    let gated: string;
    beforeAll(async () => {
      gated = path.join(dir, 'gated.yaml');
      await writeFile(
        gated,
        [
          'stages:',
          '  - decode:',
          '  - downscale: { width: 456, height: 256, fit: stretch }',
          '  - cuts:',
          '  - classify: { every: 2, wait: true }',
          '  - cgan: { window: 6, strength: 1, gate: true }',
          '  - merge:',
          '  - blend: { mode: correction, radius: 6 }',
          '  - encode:',
          '',
        ].join('\n'),
      );
    });

    it('leaves a clip the classifier reads as right as it is (the hand-made network would take a fifth of its green)', async () => {
      const { before, after } = await gradeWith('gated-clean', [], gated);
      expect(after[1]! / before[1]!).toBeGreaterThan(0.97);
    });

    it("gives the network's correction to a clip the classifier finds green", async () => {
      const green = path.join(dir, 'green3.mp4');
      const made = await vgrade(['detune', clip, '-o', green, '--detune', 'green-3', '--crf', '12']);
      expect(made.code, made.stderr).toBe(0);
      const { before, after } = await gradeWith('gated-green', [], gated, green);
      expect(after[1]! / before[1]!).toBeLessThan(0.88);
    });

    it('is refused without findings before it, naming both stages', async () => {
      const r = await vgrade([
        'grade',
        clip,
        '-o',
        path.join(dir, 'z.mp4'),
        '-p',
        'cgan-oversample',
        '--set',
        'cgan.gate=true',
      ]);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(
        /cgan needs the classifier's findings: put classify \(with wait: true\) before it/,
      );
    });
  });

  it('refuses a model whose input does not match the proxy, and a folder with no model, before reading frames', async () => {
    const small = await vgrade([
      'grade',
      clip,
      '-o',
      path.join(dir, 'x.mp4'),
      '-p',
      'cgan',
      '--set',
      `cgan.model=${greenModel}`,
      '--set',
      'downscale.width=320',
    ]);
    expect(small.code).toBe(2);
    expect(small.stderr).toMatch(
      /expects 456x256 proxy frames \(or a whole multiple, oversampled\) but the stream's proxy is 320x256; set downscale.width=456/,
    );
    const none = await vgrade([
      'grade',
      clip,
      '-o',
      path.join(dir, 'x.mp4'),
      '-p',
      'cgan',
      '--set',
      `cgan.model=${path.join(dir, 'nothing')}`,
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/No model at .*nothing: expected .*model.json/);
  });
});
