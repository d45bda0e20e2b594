import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  checkStrength,
  helpWidth,
  onExisting,
  rejectRepeated,
  STDIO_TOKEN,
  stdio,
  STRENGTH_OPTION,
  strengthSets,
} from '../../src/cli/options.js';
import { encode } from '../../src/stages/encode.js';
import { UsageError } from '../../src/util/errors.js';

/** What yargs hands a middleware as its second argument: the options it declared. */
const declared = (array: string[], alias: Record<string, string[]>) => ({
  getOptions: () => ({ array, alias }),
});
const reject = (args: Record<string, unknown>, array: string[] = [], alias: Record<string, string[]> = {}) =>
  (rejectRepeated as unknown as (a: typeof args, p: ReturnType<typeof declared>) => void)(
    args,
    declared(array, alias),
  );

function usage(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).exitCode).toBe(2);
    return (err as UsageError).message;
  }
  throw new Error('expected a UsageError');
}

describe('rejectRepeated', () => {
  it('refuses an option of one value given twice, naming it as it is typed, and "-" as "-"', () => {
    expect(
      usage(() =>
        reject({ _: [], output: ['a.mp4', STDIO_TOKEN], o: ['a.mp4', STDIO_TOKEN] }, [], { output: ['o'] }),
      ),
    ).toBe('Expected one value for --output but received 2: a.mp4, -');
    expect(usage(() => reject({ _: [], 'input-format': ['nut', 'y4m'], inputFormat: ['nut', 'y4m'] }))).toBe(
      'Expected one value for --input-format but received 2: nut, y4m',
    );
  });

  it('takes any number of values for an option declared as an array, and its aliases', () => {
    expect(() =>
      reject({ _: ['grade'], set: ['a.b=1', 'a.c=2'], inputs: ['x', 'y'] }, ['set', 'inputs']),
    ).not.toThrow();
    expect(() =>
      reject({ _: [], pipeline: ['a', 'b'], p: ['a', 'b'] }, ['pipeline'], { pipeline: ['p'] }),
    ).not.toThrow();
  });

  it('lets single values through', () => {
    expect(() => reject({ _: ['grade', 'extra'], output: 'a.mp4', crf: 20 })).not.toThrow();
  });
});

describe('onExisting', () => {
  it('-y overwrites, -n skips, neither refuses, both is a usage error', () => {
    expect(onExisting({ overwrite: true })).toBe('overwrite');
    expect(onExisting({ 'skip-existing': true })).toBe('skip');
    expect(onExisting({})).toBe('refuse');
    expect(usage(() => onExisting({ overwrite: true, 'skip-existing': true }))).toBe(
      '-y (overwrite) and -n (skip existing outputs) cannot both be given',
    );
  });
});

describe('--strength', () => {
  const { min, max } = encode.options.strength;

  it("is the encode stage's strength, within that option's range, both ends included", () => {
    expect(strengthSets(undefined)).toEqual([]);
    expect(strengthSets(min)).toEqual([`encode.strength=${min}`]);
    expect(strengthSets(max)).toEqual([`encode.strength=${max}`]);
    expect(checkStrength(0.5)).toBe(0.5);
    expect(checkStrength(undefined)).toBeUndefined();
  });

  it('outside the range, or not a number: a usage error naming the flag', () => {
    for (const value of [min - 0.01, max + 0.01, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(usage(() => strengthSets(value))).toBe(
        `Expected number between ${min} and ${max} for --strength but received ${value}`,
      );
    }
  });

  it("says the range's top in its help, from the encode stage's table", () => {
    expect(STRENGTH_OPTION.describe).toMatch(new RegExp(`up to ${max}$`));
  });
});

describe('stdio', () => {
  it('turns the stand-in for a lone "-" back into "-", and leaves every other value', () => {
    expect(stdio(STDIO_TOKEN)).toBe('-');
    expect(stdio('-')).toBe('-');
    expect(stdio('out.mp4')).toBe('out.mp4');
  });
});

describe('helpWidth', () => {
  afterEach(() => vi.unstubAllEnvs());

  it('is COLUMNS when set, never wider than 110', () => {
    vi.stubEnv('COLUMNS', '80');
    expect(helpWidth()).toBe(80);
    vi.stubEnv('COLUMNS', '200');
    expect(helpWidth()).toBe(110);
  });
});
