import { STAGES } from '../stages/index.js';
import type { OptionSpec } from '../stages/options.js';

function optionSchema(spec: OptionSpec): Record<string, unknown> {
  const base = { description: spec.help, default: spec.default };
  switch (spec.type) {
    case 'integer':
    case 'number':
      return { ...base, type: spec.type, minimum: spec.min, maximum: spec.max };
    case 'boolean':
      return { ...base, type: 'boolean' };
    case 'enum':
      return { ...base, type: 'string', enum: spec.values };
    case 'string':
      return { ...base, type: 'string' };
  }
}

/** JSON Schema (draft 2020-12) for pipeline files, generated from the stages' option tables. */
export function pipelineSchema(): Record<string, unknown> {
  const stageSchemas = [...STAGES.values()].map((stage) => {
    const props = Object.fromEntries(
      Object.entries(stage.options).map(([k, spec]) => [k, optionSchema(spec)]),
    );
    return {
      type: 'object',
      description: stage.description,
      properties: {
        [stage.name]: {
          description: stage.description,
          oneOf: [{ type: 'null' }, { type: 'object', properties: props, additionalProperties: false }],
        },
      },
      required: [stage.name],
      additionalProperties: false,
    };
  });
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://vgrade.dev/schema/pipeline.schema.json',
    title: 'vgrade pipeline',
    type: 'object',
    properties: {
      description: { type: 'string' },
      stages: {
        type: 'array',
        minItems: 1,
        items: {
          oneOf: [
            { type: 'string', enum: [...STAGES.keys()], description: 'A stage with its default options' },
            ...stageSchemas,
          ],
        },
      },
    },
    required: ['stages'],
    additionalProperties: false,
  };
}
