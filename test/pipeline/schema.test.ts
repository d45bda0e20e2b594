import { readFileSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { pipelineSchema } from '../../src/pipeline/schema.js';
import { STAGES } from '../../src/stages/index.js';
import { parsePipeline } from '../../src/pipeline/load.js';
import { compilePipeline } from '../../src/pipeline/compile.js';

type Schema = Record<string, unknown>;

/**
 * A minimal JSON Schema check, enough for what `pipelineSchema` uses: type, properties, required,
 * additionalProperties: false, oneOf, items, minItems, enum, minimum, maximum. Returns the paths
 * that failed (empty when valid).
 */
function validate(schema: Schema, value: unknown, at = '$'): string[] {
  const errors: string[] = [];
  const type = schema['type'] as string | undefined;
  if (type !== undefined) {
    const ok =
      type === 'null'
        ? value === null
        : type === 'object'
          ? typeof value === 'object' && value !== null && !Array.isArray(value)
          : type === 'array'
            ? Array.isArray(value)
            : type === 'integer'
              ? typeof value === 'number' && Number.isInteger(value)
              : typeof value === type;
    if (!ok) return [`${at}: expected ${type}`];
  }
  if (schema['enum'] && !(schema['enum'] as unknown[]).includes(value)) errors.push(`${at}: not in enum`);
  if (typeof value === 'number') {
    if (typeof schema['minimum'] === 'number' && value < schema['minimum'])
      errors.push(`${at}: below minimum`);
    if (typeof schema['maximum'] === 'number' && value > schema['maximum'])
      errors.push(`${at}: above maximum`);
  }
  if (type === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema['properties'] ?? {}) as Record<string, Schema>;
    for (const key of (schema['required'] ?? []) as string[])
      if (!(key in obj)) errors.push(`${at}: missing ${key}`);
    for (const [key, v] of Object.entries(obj)) {
      if (props[key]) errors.push(...validate(props[key], v, `${at}.${key}`));
      else if (schema['additionalProperties'] === false) errors.push(`${at}: unexpected ${key}`);
    }
  }
  if (type === 'array') {
    const arr = value as unknown[];
    if (typeof schema['minItems'] === 'number' && arr.length < schema['minItems'])
      errors.push(`${at}: too few items`);
    if (schema['items'])
      arr.forEach((item, i) => errors.push(...validate(schema['items'] as Schema, item, `${at}[${i}]`)));
  }
  if (schema['oneOf']) {
    const matching = (schema['oneOf'] as Schema[]).filter((s) => validate(s, value, at).length === 0).length;
    if (matching !== 1) errors.push(`${at}: matches ${matching} of oneOf`);
  }
  return errors;
}

const schema = pipelineSchema();
const itemSchemas = (((schema['properties'] as Schema)['stages'] as Schema)['items'] as Schema)[
  'oneOf'
] as Schema[];
/** The object branches (a stage with options); the first branch is the bare stage name. */
const stageSchemas = itemSchemas.filter((s) => s['type'] === 'object');

/** The schema of one stage's options (the object branch of its oneOf). */
function optionsSchema(stage: string): Schema {
  const item = stageSchemas.find((s) => Object.keys(s['properties'] as Schema)[0] === stage)!;
  const entry = (item['properties'] as Record<string, Schema>)[stage]!;
  return (entry['oneOf'] as Schema[])[1]!;
}

const pipelinesDir = new URL('../../pipelines/', import.meta.url);
const shippedFiles = readdirSync(pipelinesDir).filter((f) => f.endsWith('.yaml'));

describe('pipelineSchema: shape', () => {
  it('is a draft 2020-12 object schema with description and a non-empty stages list', () => {
    expect(schema['$schema']).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema['type']).toBe('object');
    expect(schema['required']).toEqual(['stages']);
    expect(schema['additionalProperties']).toBe(false);
    expect(Object.keys(schema['properties'] as Schema)).toEqual(['description', 'stages']);
    const stages = (schema['properties'] as Schema)['stages'] as Schema;
    expect(stages['type']).toBe('array');
    expect(stages['minItems']).toBe(1);
  });

  it('lists every stage of src/stages/index.ts, in order, each a one-key object with its description', () => {
    expect(stageSchemas.map((s) => Object.keys(s['properties'] as Schema))).toEqual(
      [...STAGES.keys()].map((k) => [k]),
    );
    expect([...STAGES.keys()]).toEqual([
      'decode',
      'live',
      'downscale',
      'oversample',
      'cuts',
      'autobalance',
      'detune',
      'cgan',
      'classify',
      'invert',
      'match',
      'blend',
      'merge',
      'export',
      'encode',
      'preview',
    ]);
    for (const s of stageSchemas) {
      const name = Object.keys(s['properties'] as Schema)[0]!;
      expect(s).toMatchObject({ type: 'object', required: [name], additionalProperties: false });
      expect(s['description']).toBe(STAGES.get(name)!.description);
      const entry = (s['properties'] as Record<string, Schema>)[name]!;
      expect((entry['oneOf'] as Schema[])[0]).toEqual({ type: 'null' });
      expect((entry['oneOf'] as Schema[])[1]).toMatchObject({ type: 'object', additionalProperties: false });
    }
  });

  it('every option of every stage, with its type, bounds, values and default', () => {
    for (const [name, stage] of STAGES) {
      const props = optionsSchema(name)['properties'] as Record<string, Schema>;
      expect(Object.keys(props)).toEqual(Object.keys(stage.options));
      for (const [key, spec] of Object.entries(stage.options)) {
        const base = { description: spec.help, default: spec.default };
        const expected =
          spec.type === 'integer' || spec.type === 'number'
            ? { ...base, type: spec.type, minimum: spec.min, maximum: spec.max }
            : spec.type === 'enum'
              ? { ...base, type: 'string', enum: spec.values }
              : { ...base, type: spec.type };
        expect(props[key], `${name}.${key}`).toEqual(expected);
      }
    }
  });

  it('spot checks written out: autobalance.radius, downscale.fit, merge.hald_level, encode.crf, decode.errors', () => {
    expect((optionsSchema('autobalance')['properties'] as Schema)['radius']).toEqual({
      description: 'Frames either side averaged over time',
      default: 12,
      type: 'integer',
      minimum: 0,
      maximum: 120,
    });
    expect((optionsSchema('downscale')['properties'] as Schema)['fit']).toMatchObject({
      type: 'string',
      enum: ['pad', 'crop', 'stretch'],
      default: 'pad',
    });
    expect((optionsSchema('merge')['properties'] as Schema)['hald_level']).toMatchObject({
      type: 'integer',
      minimum: 2,
      maximum: 8,
      default: 6,
    });
    expect((optionsSchema('encode')['properties'] as Schema)['crf']).toMatchObject({
      type: 'integer',
      minimum: -1,
      maximum: 63,
      default: -1,
    });
    expect((optionsSchema('decode')['properties'] as Schema)['errors']).toMatchObject({
      type: 'string',
      enum: ['fail', 'ignore'],
      default: 'fail',
    });
  });

  it('is plain JSON (survives a round trip)', () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
  });
});

describe('pipelineSchema: validating documents', () => {
  it('finds the shipped pipelines', () => {
    expect(shippedFiles.sort()).toEqual([
      'cgan-oversample.yaml',
      'cgan.yaml',
      'classical.yaml',
      'classifier-grade.yaml',
      'classify.yaml',
      'detune.yaml',
      'grade-fast.yaml',
      'grade.yaml',
      'match.yaml',
      'preview-classical.yaml',
      'preview-match.yaml',
      'preview-off.yaml',
      'preview.yaml',
    ]);
  });

  for (const file of shippedFiles) {
    it(`pipelines/${file} satisfies the schema: one known stage per item, every option key known`, () => {
      const doc = parseYaml(readFileSync(new URL(file, pipelinesDir), 'utf8')) as Schema;
      expect(validate(schema, doc)).toEqual([]);
      for (const item of doc['stages'] as Schema[]) {
        const keys = Object.keys(item);
        expect(keys).toHaveLength(1);
        expect(STAGES.has(keys[0]!)).toBe(true);
        const props = optionsSchema(keys[0]!)['properties'] as Schema;
        for (const opt of Object.keys((item[keys[0]!] ?? {}) as Schema))
          expect(Object.keys(props)).toContain(opt);
      }
    });
  }

  it('rejects what the compiler rejects for shape and options', () => {
    const bad: [string, string][] = [
      ['stages: []', '$.stages: too few items'],
      ['description: x', '$: missing stages'],
      ['stages: [{decode: null}]\nfoo: 1', '$: unexpected foo'],
      ['stages: [{autobalance: {radius: -1}}]', '$.stages[0]: matches 0 of oneOf'],
      ['stages: [{autobalance: {radius: 1.5}}]', '$.stages[0]: matches 0 of oneOf'],
      ['stages: [{downscale: {fit: letterbox}}]', '$.stages[0]: matches 0 of oneOf'],
      ['stages: [{downscale: {foo: 1}}]', '$.stages[0]: matches 0 of oneOf'],
      ['stages: [{blur: null}]', '$.stages[0]: matches 0 of oneOf'],
      ['stages: [{decode: null, encode: null}]', '$.stages[0]: matches 0 of oneOf'],
      ['stages: [{decode: 5}]', '$.stages[0]: matches 0 of oneOf'],
    ];
    for (const [text, error] of bad) expect(validate(schema, parseYaml(text)), text).toEqual([error]);
  });

  it('accepts the map forms the compiler accepts', () => {
    const good = [
      'stages:\n  - decode:\n  - encode:\n',
      'stages:\n  - decode: {errors: ignore}\n  - downscale: {width: 16, height: 4096, fit: crop}\n  - encode:\n',
      'description: x\nstages:\n  - decode:\n  - autobalance: {radius: 0, balance: 1}\n  - merge:\n  - encode:\n',
    ];
    for (const text of good) {
      expect(() => compilePipeline(parsePipeline(text, 'x.yaml')), text).not.toThrow();
      expect(validate(schema, parseYaml(text)), text).toEqual([]);
    }
  });

  it('accepts bare stage names, as the loader does (`- decode`, `stages: [decode, encode]`)', () => {
    // test/stages/encode-sync.test.ts compiles `stages: [decode, encode]`.
    for (const text of ['stages:\n  - decode\n  - encode\n', 'stages: [decode, encode]']) {
      expect(() => compilePipeline(parsePipeline(text, 'x.yaml')), text).not.toThrow();
      // Regression (fixed): the schema accepts a stage item only as a one-key map, but parsePipeline (and so
      // `vgrade grade`) also accepts a bare stage name, so an editor using `vgrade schema` flags
      // valid pipelines. The items' oneOf needs a branch such as { type: 'string', enum: [stage names] }.
      expect(validate(schema, parseYaml(text)), text).toEqual([]);
    }
  });
});

describe('schema/pipeline.schema.json (the file the shipped pipelines point editors at)', () => {
  it('is what `vgrade schema` writes today', async () => {
    const { readFile } = await import('node:fs/promises');
    const shipped = JSON.parse(
      await readFile(new URL('../../schema/pipeline.schema.json', import.meta.url), 'utf8'),
    );
    expect(shipped).toEqual(pipelineSchema());
  });
});
