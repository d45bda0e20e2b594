import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HdrView, type HdrTransfer } from '../../src/color/hdr.js';
import { cubeFile } from '../../src/correction/interchange.js';
import { fillLut } from '../../src/correction/lut3d.js';
import { detuneTransform } from '../../src/detune/apply.js';
import { decodeRgb48, ffmpeg, probe, tempDir } from '../helpers/media.js';
import { SAMPLE, vgrade } from '../helpers/cli.js';

const WIDTH = 320;
const HEIGHT = 180;

/** Each frame of an HDR file as its SDR view (16-bit codes), as vgrade's graders see it. */
async function viewOf(file: string, transfer: HdrTransfer = 'HLG'): Promise<Uint16Array[]> {
  const view = new HdrView(transfer);
  const frames = await decodeRgb48(file, WIDTH, HEIGHT);
  for (const frame of frames) view.toSdrInPlace(frame);
  return frames;
}

/** Mean of G - (R + B) / 2 over the frames, in 8-bit codes: how green the picture is. */
function greenness(frames: Uint16Array[]): number {
  let sum = 0;
  let n = 0;
  for (const f of frames) {
    for (let i = 0; i < f.length; i += 3, n++) sum += f[i + 1]! - (f[i]! + f[i + 2]!) / 2;
  }
  return sum / n / 257;
}

function meanDifference(a: Uint16Array[], b: Uint16Array[]): number {
  let sum = 0;
  let n = 0;
  for (let k = 0; k < Math.min(a.length, b.length); k++) {
    for (let i = 0; i < a[k]!.length; i++, n++) sum += Math.abs(a[k]![i]! - b[k]![i]!);
  }
  return sum / n / 257;
}

/**
 * HDR sources are graded through their SDR view: the classifier and the inverses see the view,
 * and each correction is carried back to the HDR signal, which the output keeps with its tags.
 */
describe('vgrade grade on an HDR (HLG) source', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let clean: string;
  let green: string;

  /**
   * The shipped sample made HDR (its SDR picture is the view of the HDR signal), as it is or with
   * a green-3 cast: SDR codes -> [green-3] -> HDR signal, as one .cube, then BT.2020 10-bit
   * 4:2:0, tagged, lossless.
   */
  const make = async (transfer: HdrTransfer, name: string, greenCast: boolean): Promise<string> => {
    const view = new HdrView(transfer);
    const detune = detuneTransform([{ family: 'green', amount: 3 }]);
    const cast = new Float32Array(3);
    const cube = path.join(dir, `${name}.cube`);
    const lut = fillLut(65, (r, g, b, out) => {
      if (greenCast) {
        detune(r, g, b, cast);
        view.fromSdr(cast[0]!, cast[1]!, cast[2]!, out);
      } else {
        view.fromSdr(r, g, b, out);
      }
    });
    await writeFile(cube, cubeFile(lut, 65, name));
    const file = path.join(dir, `${name}.mkv`);
    const trc = transfer === 'PQ' ? 'smpte2084' : 'arib-std-b67';
    await ffmpeg([
      ...['-i', SAMPLE, '-t', '2', '-an'],
      '-vf',
      [
        `scale=${WIDTH}:${HEIGHT},format=rgb48le`,
        `lut3d=file=${cube}:interp=tetrahedral`,
        'scale=out_color_matrix=bt2020:out_range=tv,format=yuv420p10le',
      ].join(','),
      ...['-color_trc', trc, '-color_primaries', 'bt2020', '-colorspace', 'bt2020nc'],
      ...['-color_range', 'tv', '-c:v', 'ffv1', file],
    ]);
    return file;
  };

  beforeAll(async () => {
    ({ dir, cleanup } = await tempDir());
    clean = await make('HLG', 'hlg', false);
    green = await make('HLG', 'hlg-green3', true);
  });
  afterAll(() => cleanup());

  it('takes a green cast off the picture, as it does on SDR, and keeps the output HLG', async () => {
    const out = path.join(dir, 'hlg-green3-graded.mkv');
    const result = await vgrade(['grade', green, '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    const stream = (await probe(out)).streams[0];
    expect([stream.pix_fmt, stream.color_transfer, stream.color_primaries, stream.color_space]).toEqual([
      'yuv420p10le',
      'arib-std-b67',
      'bt2020',
      'bt2020nc',
    ]);
    const reference = await viewOf(clean);
    const detuned = await viewOf(green);
    const graded = await viewOf(out);
    const cast = greenness(detuned) - greenness(reference);
    expect(cast).toBeGreaterThan(15);
    // At least two thirds of the cast gone, and the picture nearer the clean one.
    expect(Math.abs(greenness(graded) - greenness(reference))).toBeLessThan(cast / 3);
    expect(meanDifference(graded, reference)).toBeLessThan(meanDifference(detuned, reference) / 2);
  });

  it('takes a green cast off a PQ picture too', async () => {
    const pqClean = await make('PQ', 'pq', false);
    const pqGreen = await make('PQ', 'pq-green3', true);
    const out = path.join(dir, 'pq-green3-graded.mkv');
    const result = await vgrade(['grade', pqGreen, '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    expect((await probe(out)).streams[0].color_transfer).toBe('smpte2084');
    const reference = await viewOf(pqClean, 'PQ');
    const cast = greenness(await viewOf(pqGreen, 'PQ')) - greenness(reference);
    expect(cast).toBeGreaterThan(15);
    // Measured: 0.4 of it left. The classifier reads PQ's view a little otherwise than HLG's (more
    // desaturated, resampled to the proxy in another signal), and leaves more of the cast.
    expect(Math.abs(greenness(await viewOf(out, 'PQ')) - greenness(reference))).toBeLessThan(cast / 2);
  });

  it('moves the clean picture little: read as SDR, it was named white-low and brightened', async () => {
    const out = path.join(dir, 'hlg-graded.mkv');
    const result = await vgrade(['grade', clean, '-o', out]);
    expect(result.code, result.stderr).toBe(0);
    // Measured: 2.1 codes on average, where the default grade moves the same clip in SDR by 1.8
    // (the view reads a little more desaturated); read as SDR, an HLG copy moved by 12.6.
    expect(meanDifference(await viewOf(out), await viewOf(clean))).toBeLessThan(3);
  });

  it('exports .cube files that apply to the HLG signal', async () => {
    const luts = path.join(dir, 'luts');
    const out = path.join(dir, 'hlg-green3-exported.mkv');
    const result = await vgrade(['grade', green, '-o', out, '--export', luts]);
    expect(result.code, result.stderr).toBe(0);
    const cube = path.join(luts, 'hlg-green3.shot-000.cube');
    expect(await readFile(cube, 'utf8')).toMatch(/^LUT_3D_SIZE 33$/m);
    const applied = path.join(dir, 'hlg-green3-cube.mkv');
    await ffmpeg(['-i', green, '-vf', `lut3d=file=${cube}`, '-c:v', 'ffv1', applied]);
    const reference = await viewOf(clean);
    expect(meanDifference(await viewOf(applied), reference)).toBeLessThan(
      meanDifference(await viewOf(green), reference) / 2,
    );
  });

  it('refuses a pipeline that writes its frames themselves (vgrade detune): they are the SDR view', async () => {
    const result = await vgrade(['detune', clean, '-o', path.join(dir, 'detuned.mkv'), '-d', 'green-1']);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /hlg\.mkv is HDR \(HLG: color_transfer arib-std-b67\), and .* writes the frames it made/,
    );
  });
});
