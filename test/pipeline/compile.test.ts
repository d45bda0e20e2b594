import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyOverrides, parsePipeline } from '../../src/pipeline/load.js';
import {
  compilePipeline,
  decoderGeometry,
  FRAMES_IN_MOTION,
  memoryEstimate,
  type CompiledPipeline,
} from '../../src/pipeline/compile.js';
import {
  checkOption,
  defaultOptions,
  describeSpec,
  isDefault,
  resolveOptions,
} from '../../src/stages/options.js';
import { UsageError } from '../../src/util/errors.js';
import { decode } from '../../src/stages/decode.js';

const root = new URL('../../', import.meta.url);

/** The codes `ErrorCode` declares, read from the source so the test follows the file. */
const ERROR_CODES = new Set(
  [...readFileSync(new URL('src/util/errors.ts', root), 'utf8').matchAll(/\|\s*'(E_[A-Z_]+)'/g)].map(
    (m) => m[1]!,
  ),
);

function compile(text: string, sets: string[] = []): CompiledPipeline {
  return compilePipeline(applyOverrides(parsePipeline(text, 'pipelines/x.yaml'), sets));
}

function compileError(text: string, sets: string[] = []): UsageError {
  try {
    compile(text, sets);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    const e = err as UsageError;
    expect(e.exitCode).toBe(2);
    expect(ERROR_CODES.has(e.code)).toBe(true);
    return e;
  }
  throw new Error('expected a UsageError, but the pipeline compiled');
}

function shipped(name: string): CompiledPipeline {
  const file = `pipelines/${name}.yaml`;
  return compilePipeline(parsePipeline(readFileSync(new URL(file, root), 'utf8'), file));
}

const AUTOBALANCE_DEFAULTS = {
  radius: 12,
  balance: 0.8,
  levels: 1,
  max_gain: 1.5,
  black_percentile: 0.5,
  white_percentile: 99.5,
  max_black: 0.2,
  min_white: 0.6,
  cast_tolerance: 0.05,
  black_deadzone: 0.06,
  white_deadzone: 0.25,
  step: 2,
};

describe('compilePipeline: the shipped pipelines', () => {
  const files = readdirSync(new URL('pipelines/', root)).filter((f) => f.endsWith('.yaml'));

  it.each(files)('pipelines/%s compiles', (file) => {
    expect(() => shipped(file.replace(/\.yaml$/, ''))).not.toThrow();
  });

  for (const name of ['classical']) {
    it(`pipelines/${name}.yaml compiles: stages, placements, ring of 16, delay 12, Hald level 6`, () => {
      const p = shipped(name);
      expect(p.stages.map((s) => [s.index, s.definition.name, s.placement])).toEqual([
        [0, 'decode', 'decoder ffmpeg'],
        [1, 'downscale', 'decoder ffmpeg'],
        [2, 'autobalance', 'node'],
        [3, 'merge', 'node'],
        [4, 'encode', 'encoder ffmpeg'],
      ]);
      expect(p.stages.map((s) => s.needs)).toEqual([
        { lookbehind: 0, lookahead: 0 },
        { lookbehind: 0, lookahead: 0 },
        { lookbehind: 0, lookahead: 12 },
        { lookbehind: 0, lookahead: 0 },
        { lookbehind: 0, lookahead: 0 },
      ]);
      // decode's table grows (on_full for live sources): its defaults, whatever they are.
      expect(p.stages[0]!.options).toEqual(defaultOptions(decode.options));
      expect(p.stages[0]!.options).toMatchObject({ errors: 'fail' });
      expect(p.stages[1]!.options).toEqual({ width: 456, height: 256, fit: 'pad', scaler: 'area' });
      expect(p.stages[2]!.options).toEqual(AUTOBALANCE_DEFAULTS);
      expect(p.stages[3]!.options).toEqual({ hald_level: 6, fit_size: 17, shrink: 4 });
      expect(p.stages[4]!.options).toEqual({
        codec: 'auto',
        crf: -1,
        preset: 'auto',
        pix_fmt: 'auto',
        strength: 1,
        apply: 'auto',
        pixels: 'lut',
      });
      expect(p.poolSize).toBe(16);
      expect(p.delayFrames).toBe(12);
      expect(p.format).toEqual({ haldLevel: 6 });
    });
  }
});

describe('compilePipeline: the neural default', () => {
  it('pipelines/grade.yaml is the classifier-driven grade: cuts, classify (waiting), invert, merge, blend', () => {
    const p = shipped('grade');
    expect(p.stages.map((s) => [s.definition.name, s.placement])).toEqual([
      ['decode', 'decoder ffmpeg'],
      ['downscale', 'decoder ffmpeg'],
      ['cuts', 'node'],
      ['classify', 'node'],
      ['invert', 'node'],
      ['merge', 'node'],
      ['blend', 'node'],
      ['encode', 'encoder ffmpeg'],
    ]);
    expect(p.stages[3]!.options).toMatchObject({ every: 2, wait: true });
    expect(p.delayFrames).toBe(6);
    expect(p.poolSize).toBe(10);
  });
});

describe('compilePipeline: option errors in one shape', () => {
  const classical = [
    'stages:', //                 1
    '  - decode:', //             2
    '  - downscale:', //          3
    '  - autobalance:', //        4
    '      radius: -1', //        5: value at col 15
    '  - merge:', //              6
    '  - encode:', //             7
    '',
  ].join('\n');

  it('an integer out of range, with the file, line and column of the value', () => {
    const err = compileError(classical);
    expect(err.code).toBe('E_PIPELINE_OPTION');
    expect(err.message).toBe(
      'Expected integer between 0 and 120 for stages[2].autobalance.radius (x.yaml:5:15) but received -1 of type number',
    );
    expect(compileError(classical.replace('-1', '121')).message).toBe(
      'Expected integer between 0 and 120 for stages[2].autobalance.radius (x.yaml:5:15) but received 121 of type number',
    );
  });

  it('the bounds themselves are accepted (radius 0 and 120, crf -1 and 63)', () => {
    expect(compile(classical.replace('-1', '0')).stages[2]!.options['radius']).toBe(0);
    expect(compile(classical.replace('-1', '120')).stages[2]!.options['radius']).toBe(120);
    expect(compile('stages: [decode, encode]', ['encode.crf=63']).stages[1]!.options['crf']).toBe(63);
  });

  it('a string for an integer', () => {
    expect(compileError('stages:\n  - decode:\n  - autobalance: {radius: "5"}\n').message).toBe(
      'Expected integer between 0 and 120 for stages[1].autobalance.radius (x.yaml:3:27) but received "5" of type string',
    );
  });

  it('1.5 for an integer', () => {
    expect(compileError('stages:\n  - decode:\n  - autobalance: {radius: 1.5}\n').message).toBe(
      'Expected integer between 0 and 120 for stages[1].autobalance.radius (x.yaml:3:27) but received 1.5 of type number',
    );
  });

  it('a number out of range', () => {
    expect(compileError('stages: [decode, autobalance]', ['autobalance.balance=2']).message).toBe(
      'Expected number between 0 and 1 for stages[1].autobalance.balance (--set autobalance.balance=2) but received 2 of type number',
    );
  });

  it('a boolean for an enum, and a value not in the list', () => {
    expect(compileError('stages:\n  - decode:\n  - downscale: {fit: true}\n').message).toBe(
      'Expected one of pad, crop, stretch for stages[1].downscale.fit (x.yaml:3:22) but received true of type boolean',
    );
    expect(compileError('stages:\n  - decode:\n  - downscale: {fit: letterbox}\n').message).toBe(
      'Expected one of pad, crop, stretch for stages[1].downscale.fit (x.yaml:3:22) but received "letterbox" of type string',
    );
  });

  it('a number for a string option; an empty --set (null) for an integer', () => {
    expect(compileError('stages: [decode, encode]', ['encode.codec=5']).message).toBe(
      'Expected string for stages[1].encode.codec (--set encode.codec=5) but received 5 of type number',
    );
    expect(compileError('stages: [decode, autobalance]', ['autobalance.radius=']).message).toBe(
      'Expected integer between 0 and 120 for stages[1].autobalance.radius (--set autobalance.radius=) but received null',
    );
  });

  it('an unknown option: the message lists the known ones', () => {
    const err = compileError('stages:\n  - decode:\n  - downscale: {foo: 1}\n');
    expect(err.code).toBe('E_PIPELINE_OPTION');
    expect(err.message).toBe(
      'Expected one of width, height, fit, scaler as an option of stages[1].downscale (x.yaml:3:22) but received "foo"',
    );
    expect(compileError('stages:\n  - decode: {foo: 1}\n').message).toBe(
      // e.g. "Expected one of errors, on_full as an option of ..."
      `Expected one of ${Object.keys(decode.options).join(', ')} as an option of stages[0].decode (x.yaml:2:19) but received "foo"`,
    );
  });

  it('an unknown stage name: the message lists the stages', () => {
    const err = compileError('stages:\n  - decode:\n  - blur:\n');
    expect(err.code).toBe('E_PIPELINE_STAGE');
    expect(err.message).toBe(
      'Expected one of decode, live, downscale, oversample, cuts, autobalance, detune, cgan, classify, invert, match, blend, merge, export, encode, preview for stages[1] (x.yaml:3:5) but received "blur"',
    );
  });
});

describe('compilePipeline: order rules', () => {
  it('blend goes where its mode does something: correction after merge, pixels between a grader and merge', () => {
    const early = compileError('stages:\n  - decode:\n  - autobalance:\n  - blend:\n  - merge:\n');
    expect(early.code).toBe('E_PIPELINE_ORDER');
    expect(early.message).toBe(
      'stages[2].blend (x.yaml:4:5): blend with mode correction smooths the per-frame LUT, so it must come after merge (or use mode pixels before merge)',
    );
    const late = compileError(
      'stages:\n  - decode:\n  - autobalance:\n  - merge:\n  - blend:\n      mode: pixels\n',
    );
    expect(late.message).toMatch(
      /^stages\[3\]\.blend \(x\.yaml:5:5\): blend with mode pixels smooths the graded proxy, so it must come after a grader and before merge$/,
    );
    expect(() =>
      compile('stages:\n  - decode:\n  - autobalance:\n  - blend:\n      mode: pixels\n  - merge:\n'),
    ).not.toThrow();
    expect(() => compile('stages:\n  - decode:\n  - autobalance:\n  - merge:\n  - blend:\n')).not.toThrow();
  });

  it('a source must be first', () => {
    const err = compileError('stages:\n  - downscale:\n  - decode:\n');
    expect(err.code).toBe('E_PIPELINE_ORDER');
    expect(err.message).toBe(
      'stages[0].downscale (x.yaml:2:5): the first stage of x.yaml must be a source: decode (files and streams) or live (vgrade preview)',
    );
    expect(compileError('stages:\n  - decode:\n  - decode:\n').message).toBe(
      'stages[1].decode (x.yaml:3:5): decode must be the first stage of x.yaml',
    );
  });

  it('encode must be last', () => {
    const err = compileError('stages:\n  - decode:\n  - encode:\n  - downscale:\n');
    expect(err.code).toBe('E_PIPELINE_ORDER');
    expect(err.message).toBe('stages[1].encode (x.yaml:3:5): encode must be the last stage of x.yaml');
  });

  it('a pipeline without encode is allowed (frames end in Node)', () => {
    const p = compile('stages: [decode, downscale, autobalance]');
    expect(p.stages.map((s) => s.placement)).toEqual(['decoder ffmpeg', 'decoder ffmpeg', 'node']);
  });

  it('downscale runs inside the decoder, so it must directly follow decode (or another fused stage)', () => {
    const err = compileError('stages:\n  - decode:\n  - autobalance:\n  - downscale:\n');
    expect(err.code).toBe('E_PIPELINE_ORDER');
    expect(err.message).toBe(
      "stages[2].downscale (x.yaml:4:5): downscale runs inside the decoder's ffmpeg, so it must directly follow decode",
    );
    expect(compile('stages: [decode, downscale, autobalance]').stages.map((s) => s.placement)).toEqual([
      'decoder ffmpeg',
      'decoder ffmpeg',
      'node',
    ]);
  });

  describe('live pipelines (vgrade preview)', () => {
    it('start with live and end with preview; the proxy is made by the live source, the rest in Node', () => {
      const p = compile('stages: [live, downscale, autobalance, merge, preview]');
      expect(p.stages.map((s) => s.placement)).toEqual([
        'live source',
        'live source',
        'node',
        'node',
        'node',
      ]);
    });

    it('a sink writes where the source reads: live does not end with encode, nor decode with preview', () => {
      expect(compileError('stages: [live, encode]').message).toBe(
        'stages[1].encode (x.yaml:1:16): encode writes files and streams, but x.yaml starts with live, which reads a live input (vgrade preview): end it with preview',
      );
      expect(compileError('stages: [decode, preview]').message).toBe(
        'stages[1].preview (x.yaml:1:18): preview shows a live preview, but x.yaml starts with decode, which reads files and streams: end it with encode',
      );
    });

    it('the live source makes only an area-averaged proxy: downscale with fit crop is refused', () => {
      const err = compileError('stages:\n  - live:\n  - downscale:\n      fit: crop\n  - preview:\n');
      expect(err.message).toMatch(
        /^stages\[1\]\.downscale \(x\.yaml:3:5\): the live source makes its proxy by an area average/,
      );
      expect(compileError('stages: [live, autobalance, downscale, preview]').message).toMatch(
        /downscale is made by the live source, so it must directly follow live$/,
      );
    });

    it('preview refuses a correction that nothing turns into a LUT', () => {
      expect(compileError('stages: [live, downscale, autobalance, preview]').message).toMatch(
        /preview applies each frame's LUT, and nothing makes one from the correction found: put merge before it$/,
      );
    });
  });

  it('merge needs a grader before it (requires: graded)', () => {
    const err = compileError('stages:\n  - decode:\n  - merge:\n  - encode:\n');
    expect(err.code).toBe('E_PIPELINE_ORDER');
    expect(err.message).toBe(
      'stages[1].merge (x.yaml:3:5): merge needs graded frames: put one of autobalance, detune, cgan, invert, match before it',
    );
    // After it is not enough.
    expect(compileError('stages:\n  - decode:\n  - merge:\n  - autobalance:\n').message).toBe(
      'stages[1].merge (x.yaml:3:5): merge needs graded frames: put one of autobalance, detune, cgan, invert, match before it',
    );
  });

  describe("invert needs the classifier's findings (classify with wait: true before it)", () => {
    const pipeline = (classify: string): string =>
      [
        'stages:', //                 1
        '  - decode:', //             2
        '  - downscale:', //          3
        '  - cuts:', //               4
        classify, //                  5, 6
        '  - invert:', //             7
        '  - merge:',
        '  - encode:',
        '',
      ].join('\n');

    it('without classify: refused, naming the stage that would feed it', () => {
      const err = compileError(pipeline('  - cuts:\n      history: 5'));
      expect(err.code).toBe('E_PIPELINE_ORDER');
      expect(err.message).toBe(
        "stages[4].invert (x.yaml:7:5): invert needs the classifier's findings: put classify (with wait: true) before it",
      );
      expect(compileError('stages: [decode, invert, merge, encode]').message).toBe(
        "stages[1].invert (x.yaml:1:18): invert needs the classifier's findings: put classify (with wait: true) before it",
      );
    });

    it('after classify without wait (its frames move on before their records): refused, naming both stages', () => {
      for (const classify of ['  - classify:\n      every: 1', '  - classify:\n      wait: false']) {
        const err = compileError(pipeline(classify));
        expect(err.code).toBe('E_PIPELINE_ORDER');
        expect(err.message).toBe(
          "stages[4].invert (x.yaml:7:5): invert needs the classifier's findings, which stages[3].classify (x.yaml:5:5) gives only with wait: true",
        );
      }
    });

    it('classify (with wait: true) after invert is not enough', () => {
      const err = compileError('stages:\n  - decode:\n  - invert:\n  - classify:\n      wait: true\n');
      expect(err.message).toBe(
        "stages[1].invert (x.yaml:3:5): invert needs the classifier's findings: put classify (with wait: true) before it",
      );
    });

    it('classify with wait: true before it compiles; --set classify.wait=false on the shipped grade is refused', () => {
      const p = compile(pipeline('  - classify:\n      wait: true'));
      expect(p.stages.map((s) => s.definition.name)).toEqual([
        'decode',
        'downscale',
        'cuts',
        'classify',
        'invert',
        'merge',
        'encode',
      ]);
      const grade = parsePipeline(readFileSync(new URL('pipelines/grade.yaml', root), 'utf8'), 'grade.yaml');
      expect(() => compilePipeline(applyOverrides(grade, ['classify.wait=false']))).toThrow(
        /^stages\[4\]\.invert \(grade\.yaml:\d+:\d+\): invert needs the classifier's findings, which stages\[3\]\.classify \(grade\.yaml:\d+:\d+\) gives only with wait: true$/,
      );
    });

    it('classify without wait and no invert is a quality-control tap: it compiles', () => {
      expect(() => compile('stages: [decode, downscale, cuts, classify]')).not.toThrow();
    });
  });

  it('options are checked before order (the first error in the file wins)', () => {
    expect(compileError('stages:\n  - downscale: {fit: x}\n  - decode:\n').code).toBe('E_PIPELINE_OPTION');
  });
});

describe('compilePipeline: pool size, delay, Hald level', () => {
  it(`poolSize = sum of lookbehind + lookahead + FRAMES_IN_MOTION (${FRAMES_IN_MOTION})`, () => {
    expect(FRAMES_IN_MOTION).toBe(4);
    const p = (radius: number): CompiledPipeline =>
      compile('stages: [decode, downscale, autobalance, merge, encode]', [`autobalance.radius=${radius}`]);
    expect(p(12).poolSize).toBe(16);
    expect(p(0).poolSize).toBe(4);
    expect(p(0).delayFrames).toBe(0);
    expect(p(120).poolSize).toBe(124);
    expect(p(120).delayFrames).toBe(120);
  });

  it('two temporal stages add up (each radius 3: ring 10, delay 6)', () => {
    const p = compile('stages: [decode, autobalance, autobalance, merge, encode]', ['autobalance.radius=3']);
    expect(p.poolSize).toBe(3 + 3 + 4);
    expect(p.delayFrames).toBe(6);
  });

  it('a pipeline without context: ring of FRAMES_IN_MOTION, no delay', () => {
    const p = compile('stages: [decode, encode]');
    expect(p.poolSize).toBe(4);
    expect(p.delayFrames).toBe(0);
  });

  it("the stream's LUT level is what merge negotiates (its hald_level); 6 without merge", () => {
    expect(compile('stages: [decode, autobalance, merge]', ['merge.hald_level=4']).format).toEqual({
      haldLevel: 4,
    });
    expect(compile('stages: [decode, autobalance, merge]').format.haldLevel).toBe(6);
    expect(compile('stages: [decode, encode]').format.haldLevel).toBe(6);
    expect(
      compile('stages: [decode, autobalance, merge, encode]', ['merge.hald_level=2']).format.haldLevel,
    ).toBe(2);
  });
});

describe('decoderGeometry', () => {
  const grade = shipped('classical');

  it('1920x1080 -> 456x256 pad: active 455x256 at x=0 (456/256 is not exactly 16:9)', () => {
    expect(decoderGeometry(grade, { width: 1920, height: 1080, depth: 8 })).toEqual({
      geometry: { width: 456, height: 256, depth: 8, active: { x: 0, y: 0, width: 455, height: 256 } },
      filters: ['scale=455:256:flags=area,pad=456:256:0:0:black'],
    });
  });

  it('4:3 640x480 pad: active 341x256 at x=57', () => {
    expect(decoderGeometry(grade, { width: 640, height: 480, depth: 16 })).toEqual({
      geometry: { width: 456, height: 256, depth: 16, active: { x: 57, y: 0, width: 341, height: 256 } },
      filters: ['scale=341:256:flags=area,pad=456:256:57:0:black'],
    });
  });

  it('crop and stretch fill the frame', () => {
    const crop = compile('stages: [decode, downscale]', ['downscale.fit=crop']);
    expect(decoderGeometry(crop, { width: 640, height: 480, depth: 8 })).toEqual({
      geometry: { width: 456, height: 256, depth: 8, active: { x: 0, y: 0, width: 456, height: 256 } },
      filters: ['scale=456:342:flags=area,crop=456:256:0:43'],
    });
    const stretch = compile('stages: [decode, downscale]', ['downscale.fit=stretch']);
    expect(decoderGeometry(stretch, { width: 640, height: 480, depth: 8 })).toEqual({
      geometry: { width: 456, height: 256, depth: 8, active: { x: 0, y: 0, width: 456, height: 256 } },
      filters: ['scale=456:256:flags=area'],
    });
  });

  it('without downscale: the source geometry, no filters', () => {
    expect(
      decoderGeometry(compile('stages: [decode, encode]'), { width: 385, height: 289, depth: 8 }),
    ).toEqual({
      geometry: { width: 385, height: 289, depth: 8, active: { x: 0, y: 0, width: 385, height: 289 } },
      filters: [],
    });
  });

  it('a second downscale is refused: one proxy size is enough (and padding could not be tracked through two)', () => {
    expect(() =>
      compile(
        'stages:\n  - decode:\n  - downscale: {width: 456, height: 256}\n  - downscale: {width: 228, height: 128, fit: stretch}\n',
      ),
    ).toThrow(
      /stages\[2\]\.downscale \(x\.yaml:4:5\): x\.yaml has downscale twice; one proxy size is enough/,
    );
  });
});

describe('memoryEstimate', () => {
  it('shipped classical at 456x256x8: 16 frames of image+graded, 16 LUTs of 36^3 float32 plus a level-6 Hald', () => {
    const p = shipped('classical');
    const { geometry } = decoderGeometry(p, { width: 1920, height: 1080, depth: 8 });
    const pool = 16 * 2 * 456 * 256 * 3; // 11 206 656
    const lut = 16 * (36 ** 3 * 3 * 4 + 216 * 216 * 6); // 16 * (559 872 + 279 936) = 13 436 928
    expect(memoryEstimate(p, geometry)).toEqual({ poolBytes: pool, lutBytes: lut, totalBytes: pool + lut });
    expect(memoryEstimate(p, geometry)).toEqual({
      poolBytes: 11206656,
      lutBytes: 13436928,
      totalBytes: 24643584,
    });
  });

  it('16-bit frames double the pool; Hald level 4 (16^3 lattice, 64x64 image)', () => {
    const p = compile('stages: [decode, downscale, autobalance, merge, encode]', ['merge.hald_level=4']);
    const { geometry } = decoderGeometry(p, { width: 1920, height: 1080, depth: 16 });
    expect(memoryEstimate(p, geometry)).toEqual({
      poolBytes: 16 * 2 * 456 * 256 * 6, // 22 413 312
      lutBytes: 16 * (16 ** 3 * 12 + 64 * 64 * 6), // 16 * 73 728 = 1 179 648
      totalBytes: 22413312 + 1179648,
    });
  });
});

describe('options.ts', () => {
  const int = { type: 'integer', default: 3, min: 1, max: 9, help: '' } as const;
  const num = { type: 'number', default: 0.5, min: 0, max: 1, help: '' } as const;
  const bool = { type: 'boolean', default: false, help: '' } as const;
  const enm = { type: 'enum', values: ['a', 'b'], default: 'a', help: '' } as const;
  const str = { type: 'string', default: 'x', help: '' } as const;

  it('describeSpec says each type the way the messages use it', () => {
    expect([int, num, bool, enm, str].map(describeSpec)).toEqual([
      'integer between 1 and 9',
      'number between 0 and 1',
      'boolean',
      'one of a, b',
      'string',
    ]);
  });

  it('checkOption: the message without a position, NaN and Infinity refused for numbers', () => {
    const where = { path: 'stages[1].s.k' };
    expect(checkOption(int, 9, where)).toBe(9);
    expect(() => checkOption(int, 10, where)).toThrow(
      'Expected integer between 1 and 9 for stages[1].s.k but received 10 of type number',
    );
    expect(() => checkOption(num, Number.NaN, where)).toThrow(
      'Expected number between 0 and 1 for stages[1].s.k but received NaN of type number',
    );
    expect(() => checkOption(num, Infinity, where)).toThrow(UsageError);
    expect(() => checkOption(bool, 'true', where)).toThrow(
      'Expected boolean for stages[1].s.k but received "true" of type string',
    );
    expect(() => checkOption(enm, undefined, where)).toThrow(
      'Expected one of a, b for stages[1].s.k but received nothing',
    );
    expect(() => checkOption(str, { a: 1 }, where)).toThrow(
      'Expected string for stages[1].s.k but received {"a":1} of type object',
    );
  });

  it('resolveOptions fills defaults; a stage with no options names that in its message', () => {
    const table = { k: int, m: num };
    expect(resolveOptions(table, { k: 4 }, 'stages[0].s', () => undefined)).toEqual({ k: 4, m: 0.5 });
    expect(() => resolveOptions({}, { k: 1 }, 'stages[0].s', () => 'x.yaml:1:2')).toThrow(
      'stages[0].s (x.yaml:1:2) takes no options but received "k"',
    );
    expect(defaultOptions(table)).toEqual({ k: 3, m: 0.5 });
    expect(isDefault(table, { k: 3, m: 0.5 })).toBe(true);
    expect(isDefault(table, { k: 4, m: 0.5 })).toBe(false);
  });
});
