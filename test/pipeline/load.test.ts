import { describe, expect, it } from 'vitest';
import {
  applyOverrides,
  backendOverrides,
  parsePipeline,
  type PipelineSpec,
  type StageEntry,
} from '../../src/pipeline/load.js';
import { UsageError } from '../../src/util/errors.js';

/** The stage entries as plain data (maps as objects) for exact comparison. */
function plain(stages: readonly StageEntry[]): unknown[] {
  return stages.map((s) => ({ ...s, optionPositions: Object.fromEntries(s.optionPositions) }));
}

/** Runs `fn`, expects a UsageError and returns it. */
function usageError(fn: () => unknown): UsageError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return err as UsageError;
  }
  throw new Error('expected a UsageError, but nothing was thrown');
}

describe('parsePipeline: the stage forms', () => {
  it('block form: `- name:` (null options), `- name: {a: 1}`, nested map and bare scalar, with positions', () => {
    const text = [
      'description: a test pipeline', //             line 1
      'stages:', //                                   line 2
      '  - decode:', //                               line 3: name at col 5
      '  - autobalance: {radius: 5, balance: 0.5}', // line 4: values at cols 27 and 39
      '  - merge:', //                                line 5
      '      hald_level: 4', //                       line 6: value at col 19
      '  - encode', //                                line 7: bare scalar at col 5
      '',
    ].join('\n');
    const spec = parsePipeline(text, 'some/dir/x.yaml');
    expect(spec.file).toBe('some/dir/x.yaml');
    expect(spec.description).toBe('a test pipeline');
    expect(plain(spec.stages)).toEqual([
      { name: 'decode', options: {}, position: 'x.yaml:3:5', optionPositions: {} },
      {
        name: 'autobalance',
        options: { radius: 5, balance: 0.5 },
        position: 'x.yaml:4:5',
        optionPositions: { radius: 'x.yaml:4:27', balance: 'x.yaml:4:39' },
      },
      {
        name: 'merge',
        options: { hald_level: 4 },
        position: 'x.yaml:5:5',
        optionPositions: { hald_level: 'x.yaml:6:19' },
      },
      { name: 'encode', options: {}, position: 'x.yaml:7:5', optionPositions: {} },
    ]);
  });

  it('flow form `stages: [decode, encode]`: names at their columns, no description', () => {
    const spec = parsePipeline('stages: [decode, encode]', 'flow.yaml');
    expect(spec.description).toBeUndefined();
    expect(plain(spec.stages)).toEqual([
      { name: 'decode', options: {}, position: 'flow.yaml:1:10', optionPositions: {} },
      { name: 'encode', options: {}, position: 'flow.yaml:1:18', optionPositions: {} },
    ]);
  });

  it('an explicit `null` / `~` for the options is the same as none', () => {
    const spec = parsePipeline('stages:\n  - decode: null\n  - encode: ~\n', 'n.yaml');
    expect(spec.stages.map((s) => s.options)).toEqual([{}, {}]);
  });

  it("keeps option values as written (type checks are the compiler's): strings, booleans, nested maps, null", () => {
    const text = 'stages:\n  - decode: {a: pad, b: true, c: }\n  - x:\n      d: {e: 1}\n';
    const spec = parsePipeline(text, 'v.yaml');
    expect(spec.stages[0]!.options).toEqual({ a: 'pad', b: true, c: null });
    expect(spec.stages[1]!.options).toEqual({ d: { e: 1 } });
    // A nested value's position is where the value starts (the `{` of `{e: 1}`).
    expect(spec.stages[1]!.optionPositions.get('d')).toBe('v.yaml:4:10');
  });

  it('the shipped pipeline form with a folded description', () => {
    const text = 'description: >-\n  first line\n  second line\nstages: [decode]\n';
    expect(parsePipeline(text, 'd.yaml').description).toBe('first line second line');
  });
});

describe('parsePipeline: errors are E_PIPELINE_SYNTAX with file:line:col', () => {
  it.each([
    [
      'bad YAML: an unterminated flow sequence',
      'stages:\n  - decode:\n  - [oops\n',
      'x.yaml:4:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]',
    ],
    [
      'bad YAML: a tab used as indentation',
      'stages:\n  - decode:\n\tfoo\n',
      'x.yaml:3:1: invalid YAML: Tabs are not allowed as indentation',
    ],
    [
      'a top-level key other than stages and description',
      'stages: [decode]\nfoo: 1\n',
      'x.yaml:2:1: expected "stages" or "description" at the top of x.yaml but received "foo"',
    ],
    [
      'a description that is not text',
      'description: [a]\nstages: [decode]\n',
      'x.yaml:1:14: expected text for description',
    ],
    ['the document is not a map', '- decode\n', 'x.yaml:1:1: expected a map with a "stages" list in x.yaml'],
    ['empty stages: `[]`', 'stages: []\n', 'x.yaml:1:9: expected a non-empty list under "stages"'],
    ['empty stages: nothing', 'stages:\n', 'x.yaml:1:8: expected a non-empty list under "stages"'],
    [
      'empty stages: no stages key at all',
      'description: hi\n',
      'x.yaml:1:1: expected a non-empty list under "stages"',
    ],
    [
      'a stage item with two keys',
      'stages:\n  - decode:\n    encode:\n',
      'x.yaml:2:5: expected stages[0] to be one stage name with its options, e.g. "- downscale: { width: 456 }"',
    ],
    [
      'a stage item that is neither a name nor a map',
      'stages: [decode, 5]\n',
      'x.yaml:1:18: expected stages[1] to be one stage name with its options, e.g. "- downscale: { width: 456 }"',
    ],
    [
      'options that are not a map: a number',
      'stages:\n  - decode: 5\n',
      'x.yaml:2:13: expected the options of stages[0].decode to be a map but received 5 of type number',
    ],
    [
      'options that are not a map: a list',
      'stages:\n  - decode: [1, 2]\n',
      'x.yaml:2:13: expected the options of stages[0].decode to be a map but received [1,2] of type array',
    ],
    [
      'a stage name that is not text',
      'stages:\n  - 5: {}\n',
      'x.yaml:2:5: expected a stage name for stages[0]',
    ],
    [
      'an option name that is not text',
      'stages:\n  - decode: {5: 1}\n',
      'x.yaml:2:14: expected an option name in stages[0].decode',
    ],
  ])('%s', (_, text, message) => {
    const err = usageError(() => parsePipeline(text, 'pipelines/x.yaml'));
    expect(err.code).toBe('E_PIPELINE_SYNTAX');
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(message);
  });
});

describe('applyOverrides', () => {
  const text = [
    'stages:',
    '  - decode:',
    '  - autobalance:',
    '  - merge:',
    '  - autobalance: {radius: 3}', // radius value at col 27
    '  - encode:',
    '',
  ].join('\n');
  const spec: PipelineSpec = parsePipeline(text, 'pipelines/g.yaml');

  it('`--set autobalance.radius=5` sets a number on every stage of that name, and says where it came from', () => {
    const out = applyOverrides(spec, ['autobalance.radius=5']);
    expect(plain(out.stages)).toEqual([
      { name: 'decode', options: {}, position: 'g.yaml:2:5', optionPositions: {} },
      {
        name: 'autobalance',
        options: { radius: 5 },
        position: 'g.yaml:3:5',
        optionPositions: { radius: '--set autobalance.radius=5' },
      },
      { name: 'merge', options: {}, position: 'g.yaml:4:5', optionPositions: {} },
      {
        name: 'autobalance',
        options: { radius: 5 },
        position: 'g.yaml:5:5',
        optionPositions: { radius: '--set autobalance.radius=5' },
      },
      { name: 'encode', options: {}, position: 'g.yaml:6:5', optionPositions: {} },
    ]);
    expect(out.file).toBe('pipelines/g.yaml');
  });

  it('leaves the spec it was given untouched', () => {
    applyOverrides(spec, ['autobalance.radius=5', 'autobalance.balance=0.2']);
    expect(spec.stages[1]!.options).toEqual({});
    expect(spec.stages[3]!.options).toEqual({ radius: 3 });
    expect(spec.stages[3]!.optionPositions.get('radius')).toBe('g.yaml:5:27');
  });

  it('values are YAML scalars: true, pad, 0.5, 0x10, 1e3, "5" (quoted: a string), empty (null)', () => {
    const value = (set: string): unknown => applyOverrides(spec, [set]).stages[3]!.options['x'];
    expect(value('autobalance.x=true')).toBe(true);
    expect(value('autobalance.x=pad')).toBe('pad');
    expect(value('autobalance.x=0.5')).toBe(0.5);
    expect(value('autobalance.x=0x10')).toBe(16);
    expect(value('autobalance.x=1e3')).toBe(1000);
    expect(value('autobalance.x="5"')).toBe('5');
    expect(value('autobalance.x=')).toBeNull();
    // Not valid YAML: kept as the text written.
    expect(value('autobalance.x=[1')).toBe('[1');
  });

  it('an override keeps the other options and their positions', () => {
    const out = applyOverrides(spec, ['autobalance.balance=0.5']);
    expect(out.stages[3]!.options).toEqual({ radius: 3, balance: 0.5 });
    expect(Object.fromEntries(out.stages[3]!.optionPositions)).toEqual({
      radius: 'g.yaml:5:27',
      balance: '--set autobalance.balance=0.5',
    });
  });

  it('later --set wins over earlier', () => {
    const out = applyOverrides(spec, ['autobalance.radius=5', 'autobalance.radius=7']);
    expect(out.stages[3]!.options).toEqual({ radius: 7 });
    expect(out.stages[3]!.optionPositions.get('radius')).toBe('--set autobalance.radius=7');
  });

  it('no overrides: the same stages', () => {
    expect(applyOverrides(spec, []).stages).toEqual(spec.stages);
  });

  it('a stage the pipeline does not have: the error lists the stages it has', () => {
    const simple = parsePipeline('stages: [decode, autobalance, merge, encode]', 'p.yaml');
    const err = usageError(() => applyOverrides(simple, ['downscale.fit=pad']));
    expect(err.code).toBe('E_USAGE');
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe(
      '--set downscale.fit=pad: p.yaml has no stage named "downscale" (it has decode, autobalance, merge, encode)',
    );
    // Stage names are case-sensitive.
    expect(usageError(() => applyOverrides(simple, ['Autobalance.radius=5'])).message).toBe(
      '--set Autobalance.radius=5: p.yaml has no stage named "Autobalance" (it has decode, autobalance, merge, encode)',
    );
  });

  it('a malformed --set', () => {
    for (const set of [
      'autobalance',
      'autobalance.radius',
      'autobalance.=1',
      '.radius=1',
      'autobalance radius=1',
    ]) {
      const err = usageError(() => applyOverrides(spec, [set]));
      expect(err.code).toBe('E_USAGE');
      expect(err.exitCode).toBe(2);
      expect(err.message).toBe(`Expected --set stage.option=value but received ${JSON.stringify(set)}`);
    }
  });
});

describe('backendOverrides (--backend)', () => {
  const spec = parsePipeline(
    'stages: [decode, downscale, cuts, classify, cgan, classify, merge, encode]\n',
    'pipelines/n.yaml',
  );

  it('puts every stage that runs a network on the backend, each stage name once', () => {
    expect(backendOverrides(spec, 'cpu')).toEqual(['classify.backend=cpu', 'cgan.backend=cpu']);
    const stages = applyOverrides(spec, backendOverrides(spec, 'cpu')).stages;
    expect(stages.filter((s) => s.options['backend'] === 'cpu').map((s) => s.name)).toEqual([
      'classify',
      'cgan',
      'classify',
    ]);
  });

  it("leaves the pipeline's own setting when the flag is not given", () => {
    expect(backendOverrides(spec, undefined)).toEqual([]);
  });

  it('asks nothing of a pipeline without networks', () => {
    const classical = parsePipeline('stages: [decode, autobalance, merge, encode]\n', 'pipelines/c.yaml');
    expect(backendOverrides(classical, 'wasm')).toEqual([]);
  });
});
