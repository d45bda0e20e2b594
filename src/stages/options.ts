import { describeValue, UsageError } from '../util/errors.js';

/**
 * Option tables: every stage option has a type, a default, a range or a set of values, and a line
 * of help, in one place (the stage's file). Validation, the JSON Schema, `vgrade explain` and the
 * README's stage list all read these tables, so they cannot disagree.
 */
export type OptionSpec =
  | {
      readonly type: 'integer';
      readonly default: number;
      readonly min: number;
      readonly max: number;
      readonly help: string;
    }
  | {
      readonly type: 'number';
      readonly default: number;
      readonly min: number;
      readonly max: number;
      readonly help: string;
    }
  | { readonly type: 'boolean'; readonly default: boolean; readonly help: string }
  | {
      readonly type: 'enum';
      readonly values: readonly string[];
      readonly default: string;
      readonly help: string;
    }
  | { readonly type: 'string'; readonly default: string; readonly help: string };

export type OptionsTable = Readonly<Record<string, OptionSpec>>;

type ValueOf<S extends OptionSpec> = S extends { type: 'integer' | 'number' }
  ? number
  : S extends { type: 'boolean' }
    ? boolean
    : S extends { type: 'enum'; values: readonly (infer V)[] }
      ? V
      : string;

export type OptionValues<T extends OptionsTable> = { readonly [K in keyof T]: ValueOf<T[K]> };

/** Where a value came from, for error messages: `stages[3].window.frames (grade.yaml:14:7)`. */
export interface OptionLocation {
  readonly path: string;
  readonly position?: string;
}

export function describeSpec(spec: OptionSpec): string {
  switch (spec.type) {
    case 'integer':
      return `integer between ${spec.min} and ${spec.max}`;
    case 'number':
      return `number between ${spec.min} and ${spec.max}`;
    case 'boolean':
      return 'boolean';
    case 'enum':
      return `one of ${spec.values.join(', ')}`;
    case 'string':
      return 'string';
  }
}

function fail(spec: OptionSpec, where: OptionLocation, received: unknown): never {
  const at = where.position ? ` (${where.position})` : '';
  throw new UsageError(
    'E_PIPELINE_OPTION',
    `Expected ${describeSpec(spec)} for ${where.path}${at} but received ${describeValue(received)}`,
  );
}

/** Checks one value against its spec and returns it typed; throws a UsageError otherwise. */
export function checkOption(
  spec: OptionSpec,
  value: unknown,
  where: OptionLocation,
): number | boolean | string {
  switch (spec.type) {
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < spec.min || value > spec.max) {
        fail(spec, where, value);
      }
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || value < spec.min || value > spec.max) {
        fail(spec, where, value);
      }
      return value;
    case 'boolean':
      if (typeof value !== 'boolean') fail(spec, where, value);
      return value;
    case 'enum':
      if (typeof value !== 'string' || !spec.values.includes(value)) fail(spec, where, value);
      return value;
    case 'string':
      if (typeof value !== 'string') fail(spec, where, value);
      return value;
  }
}

/** The table's defaults. */
export function defaultOptions<T extends OptionsTable>(table: T): OptionValues<T> {
  const out: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(table)) out[key] = spec.default;
  return out as OptionValues<T>;
}

/**
 * Validates a stage's raw options against its table, filling defaults.
 * `locate(key)` says where the key's value was written; unknown keys are errors too.
 */
export function resolveOptions<T extends OptionsTable>(
  table: T,
  raw: Readonly<Record<string, unknown>>,
  stagePath: string,
  locate: (key: string) => string | undefined,
): OptionValues<T> {
  const out: Record<string, unknown> = { ...defaultOptions(table) };
  for (const [key, value] of Object.entries(raw)) {
    const spec = table[key];
    const position = locate(key);
    if (!spec) {
      const known = Object.keys(table);
      const at = position ? ` (${position})` : '';
      throw new UsageError(
        'E_PIPELINE_OPTION',
        known.length > 0
          ? `Expected one of ${known.join(', ')} as an option of ${stagePath}${at} but received ${JSON.stringify(key)}`
          : `${stagePath}${at} takes no options but received ${JSON.stringify(key)}`,
      );
    }
    out[key] = checkOption(spec, value, { path: `${stagePath}.${key}`, ...(position ? { position } : {}) });
  }
  return out as OptionValues<T>;
}

/** True when every option equals its default (used to tell identity stages from active ones). */
export function isDefault<T extends OptionsTable>(table: T, values: OptionValues<T>): boolean {
  return Object.entries(table).every(
    ([key, spec]) => (values as Record<string, unknown>)[key] === spec.default,
  );
}
