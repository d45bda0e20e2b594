import { twoShotClip } from '../helpers/models.js';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRgb, ffmpeg, tempDir } from '../helpers/media.js';
import { vgrade } from '../helpers/cli.js';

describe('vgrade grade --export', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let clip: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    clip = await twoShotClip(path.join(dir, 'two.mp4'), ['-crf', '10']);
  });
  afterAll(() => cleanup());

  it('writes a .cube and .cc per shot, and a .ccc and EDL; the .cube reproduces the grade in ffmpeg', async () => {
    const out = path.join(dir, 'graded.mp4');
    const exp = path.join(dir, 'export');
    const pipeline = path.join(dir, 'p.yaml');
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(
        pipeline,
        'stages:\n  - decode:\n  - downscale:\n      width: 160\n      height: 90\n  - cuts:\n  - detune:\n      detunes: green-2\n  - merge:\n  - encode:\n',
      ),
    );
    const r = await vgrade(['grade', clip, '-o', out, '-p', pipeline, '--export', exp, '--crf', '10']);
    expect(r.code, r.stderr).toBe(0);
    expect((await readdir(exp)).sort()).toEqual([
      'two.ccc',
      'two.edl',
      'two.shot-000.cc',
      'two.shot-000.cube',
      'two.shot-001.cc',
      'two.shot-001.cube',
    ]);
    const edl = await readFile(path.join(exp, 'two.edl'), 'utf8');
    expect(edl).toContain('001  AX       V     C        00:00:00:00 00:00:01:00');
    expect(edl).toContain('002  AX       V     C        00:00:01:00 00:00:02:00');
    // green-2 is G x 1.2: a CDL says exactly that.
    const cc = await readFile(path.join(exp, 'two.shot-000.cc'), 'utf8');
    const slope = /<Slope>([^<]+)<\/Slope>/.exec(cc)![1]!.split(' ').map(Number);
    expect(slope[1]).toBeCloseTo(1.2, 1);
    // ffmpeg's lut3d with the exported .cube gives what vgrade wrote, within encoding noise.
    const viaCube = path.join(dir, 'via-cube.mp4');
    await ffmpeg([
      '-i',
      clip,
      '-vf',
      `lut3d=${path.join(exp, 'two.shot-000.cube')}`,
      '-frames:v',
      '20',
      '-c:v',
      'libx264',
      '-crf',
      '10',
      viaCube,
    ]);
    const a = await decodeRgb(out, 320, 180);
    const b = await decodeRgb(viaCube, 320, 180);
    let diff = 0;
    let n = 0;
    for (let k = 0; k < 20; k++)
      for (let i = 0; i < a[k]!.length; i++, n++) diff += Math.abs(a[k]![i]! - b[k]![i]!);
    expect(diff / n).toBeLessThan(2);
  });

  it('refuses a pipeline that makes no LUT to export, before any work', async () => {
    const pipeline = path.join(dir, 'nomerge.yaml');
    await import('node:fs/promises').then((fs) =>
      fs.writeFile(pipeline, 'stages:\n  - decode:\n  - downscale:\n  - encode:\n'),
    );
    const bad = await vgrade([
      'grade',
      clip,
      '-o',
      path.join(dir, 'x.mp4'),
      '-p',
      pipeline,
      '--export',
      path.join(dir, 'e2'),
    ]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/export \(--export\): export needs per-frame LUTs: put merge before it/);
  });
});
