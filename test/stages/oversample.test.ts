import { describe, expect, it } from 'vitest';
import { oversample } from '../../src/stages/oversample.js';
import { compilePipeline, decoderGeometry } from '../../src/pipeline/compile.js';
import { parsePipeline } from '../../src/pipeline/load.js';
import { defaultOptions } from '../../src/stages/options.js';

const compiled = (yaml: string) => compilePipeline(parsePipeline(yaml, 'test.yaml'));

describe('oversample', () => {
  it("enlarges the proxy twice by default with bicubic, as the paper's 2x oversampling", () => {
    expect(defaultOptions(oversample.options)).toEqual({ factor: 2, scaler: 'bicubic' });
    expect(oversample.isIdentity?.({ factor: 1, scaler: 'bicubic' })).toBe(true);
  });

  it('runs inside the decoder after downscale: the proxy is made, then enlarged, padding and all', () => {
    const pipeline = compiled(`
stages:
  - decode:
  - downscale: { width: 456, height: 256, fit: pad }
  - oversample:
  - encode:
`);
    expect(pipeline.stages[2]!.placement).toBe('decoder ffmpeg');
    const { geometry, filters } = decoderGeometry(pipeline, { width: 1440, height: 1080, depth: 8 });
    expect(filters).toEqual([
      'scale=341:256:flags=area,pad=456:256:57:0:black',
      'scale=912:512:flags=bicubic',
    ]);
    expect(geometry).toEqual({
      width: 912,
      height: 512,
      depth: 8,
      active: { x: 114, y: 0, width: 682, height: 512 },
    });
  });

  it('must directly follow the decoder stages (it runs in the decoder)', () => {
    expect(() =>
      compiled(`
stages:
  - decode:
  - downscale:
  - cuts:
  - oversample:
`),
    ).toThrow(/oversample runs inside the decoder's ffmpeg, so it must directly follow decode/);
  });
});
