import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeRgb, ffmpeg, probe, tempDir } from '../helpers/media.js';
import { SAMPLE, vgrade } from '../helpers/cli.js';
import { applyDetunes } from '../../src/detune/apply.js';
import { parseDetuneList } from '../../src/detune/families.js';

describe('vgrade detune', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let still: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    // A real photograph-like frame: the sample clip's first frame, at an odd size.
    still = path.join(dir, 'still.png');
    await ffmpeg(['-i', SAMPLE, '-frames:v', '1', '-vf', 'scale=385:217,format=rgb24', still]);
  });
  afterAll(() => cleanup());

  for (const list of [
    'green-3',
    'contrast-high-2',
    'black-high-1,saturation-low-3',
    'orange:1.5,white-low-1',
  ]) {
    it(`applies ${list} to a still as docs/detunes.md's table defines it (within LUT interpolation)`, async () => {
      const out = path.join(dir, `${list.replace(/\W/g, '_')}.png`);
      const result = await vgrade(['detune', still, '-o', out, '--detune', list]);
      expect(result.code, result.stderr).toBe(0);
      const [source] = await decodeRgb(still, 385, 217);
      const [detuned] = await decodeRgb(out, 385, 217);
      const expected = new Uint8Array(source!.length);
      applyDetunes(source!, expected, parseDetuneList(list));
      let sum = 0;
      let worst = 0;
      for (let i = 0; i < expected.length; i++) {
        const d = Math.abs(detuned![i]! - expected[i]!);
        sum += d;
        worst = Math.max(worst, d);
      }
      // The full-resolution frame goes through a 36^3 LUT (tetrahedral) of the continuous form:
      // exact on the table's linear pieces, off by a level or two near a clipping knee, and the
      // exact form rounds after every step (two detunes: two roundings). The exact 8-bit form is
      // what data sets use.
      expect(sum / expected.length).toBeLessThan(0.5);
      expect(worst).toBeLessThanOrEqual(3);
    });
  }

  it('detunes a video and keeps its audio', async () => {
    const out = path.join(dir, 'green.mp4');
    const result = await vgrade([
      'detune',
      SAMPLE,
      '-o',
      out,
      '--detune',
      'green-2',
      '--preset',
      'ultrafast',
    ]);
    expect(result.code, result.stderr).toBe(0);
    expect((await probe(out)).streams.map((s: any) => s.codec_type)).toEqual(['video', 'audio']);
  });

  it('refuses an unknown detune before any work, naming it', async () => {
    const result = await vgrade(['detune', still, '-o', path.join(dir, 'x.png'), '--detune', 'pink-2']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/Expected one of green, blue, .* but received "pink"/);
  });

  it('names the --detune flag, not the pipeline file behind it, and lists the valid detunes', async () => {
    const result = await vgrade(['detune', still, '-o', path.join(dir, 'x.png'), '--detune', 'purple-9']);
    expect(result.code).toBe(2);
    const stderr = result.stderr;
    expect(stderr).toMatch(/^vgrade: --detune purple-9: .*received "purple"/);
    expect(stderr).toContain('green-1..3, blue-1..3, orange-1..3');
    expect(stderr).toContain('FAMILY:AMOUNT');
    expect(stderr).not.toContain('detune.yaml');
    expect(stderr).toContain('Run "vgrade detune --help" for usage.');
  });
});
