import path from 'node:path';
import { map } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClip, type ClipOptions } from '../helpers/clips.js';
import { decodeRgb, tempDir } from '../helpers/media.js';
import { resolveBinaries } from '../../src/ffmpeg/binaries.js';
import { getCapabilities } from '../../src/ffmpeg/capabilities.js';
import { parsePipeline } from '../../src/pipeline/load.js';
import { compilePipeline } from '../../src/pipeline/compile.js';
import { prepareRun } from '../../src/run/grade.js';
import { fileInput } from '../../src/ffmpeg/input.js';
import { fileOutput } from '../../src/ffmpeg/output.js';
import { decode } from '../../src/stages/decode.js';
import { encode } from '../../src/stages/encode.js';
import { fillLut } from '../../src/correction/lut3d.js';
import { silentLogger } from '../../src/util/logger.js';
import { defaultOptions } from '../../src/stages/options.js';
import type { Frame } from '../../src/frame/frame.js';

/**
 * Each source frame meets its own LUT: the encoder's ffmpeg pairs them by timestamp (`apply:
 * encoder`), Node by the frame that carries both (`apply: node`). Give frame i a LUT
 * that paints everything grey level (i * 7) % 256 and check every output frame, on a source with
 * an irregular frame rate and a start time that is not 0.
 */
describe('encode pairs every frame with its own LUT', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => ({ dir, cleanup } = await tempDir()));
  afterAll(() => cleanup());

  for (const [name, timing] of [
    ['variable frame rate', { variableFrameRate: true }],
    ['start time 0.5 s', { startTime: 0.5 }],
  ] as const satisfies ReadonlyArray<readonly [string, Partial<ClipOptions>]>)
    for (const apply of ['encoder', 'node'] as const) {
      it(`${name}, LUT applied in ${apply === 'node' ? 'Node' : 'the encoder'}`, async () => {
        const src = path.join(dir, `${name.replace(/\W/g, '')}.mkv`);
        await makeClip(src, { size: '64x36', fps: 50, duration: 1.2, ...timing, codec: 'ffv1' });
        const out = path.join(dir, `${name.replace(/\W/g, '')}-out.mkv`);
        const binaries = await resolveBinaries();
        const caps = await getCapabilities(binaries.ffmpeg);
        const pipeline = compilePipeline(
          parsePipeline(`stages: [decode, {encode: {apply: ${apply}}}]`, 'sync.yaml'),
        );
        const output = fileOutput(out, { codec: 'ffv1' });
        const run = await prepareRun(
          pipeline,
          fileInput(src),
          { ...output, tmpPath: out },
          {
            logger: silentLogger,
            binaries,
            caps,
            signal: new AbortController().signal,
          },
        );
        const seen: number[] = [];
        await new Promise<void>((resolve, reject) =>
          decode
            .open(defaultOptions(decode.options), run)
            .pipe(
              map((frame: Frame) => {
                const level = ((frame.index * 7) % 256) / 255;
                frame.lut = fillLut(
                  run.haldLevel ** 2,
                  (_r, _g, _b, o) => o.fill(level),
                  frame.lutStorage(run.haldLevel ** 2),
                );
                return frame;
              }),
              encode.create({ ...defaultOptions(encode.options), codec: 'ffv1', apply }, run),
            )
            .subscribe({ next: (f) => (seen.push(f.index), f.release()), error: reject, complete: resolve }),
        );
        const frames = await decodeRgb(out, 64, 36);
        expect(frames.length).toBe(seen.length);
        expect(frames.length).toBeGreaterThan(20);
        const levels = frames.map((f) => Math.round(f.reduce((s, v) => s + v, 0) / f.length));
        // Levels step by 7 per frame, so a frame paired with a neighbour's LUT is off by 7 or more;
        // up to 2 comes from the RGB -> YUV -> RGB round trip of the encoded output. In Node, the
        // part of testsrc2's colours that lies outside R'G'B' passes through the LUT (it is not
        // clipped first, so that an identity LUT is exact), which lowers the grey's mean by up to 3.
        const worst = Math.max(...levels.map((level, i) => Math.abs(level - ((i * 7) % 256))));
        expect(worst).toBeLessThanOrEqual(apply === 'node' ? 3 : 2);
        expect(run.pool.inUse).toBe(0);
      });
    }
});
