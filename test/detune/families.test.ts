import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  CLASS_LABELS,
  FAMILIES,
  amountsOf,
  classIndex,
  classLabel,
  detuneOfClass,
  familyIndex,
  formatDetune,
  formatDetuneList,
  nearestClass,
  parseDetune,
  parseDetuneList,
  sortDetunes,
  validateDetune,
  type Detune,
} from '../../src/detune/families.js';
import { UsageError } from '../../src/util/errors.js';

const FAMILY_MESSAGE =
  'Expected one of green, blue, orange, black-high, black-low, white-low, contrast-high, saturation-low for detune family but received';

/** Runs fn, expects a UsageError with code E_USAGE, and returns its message. */
function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).code).toBe('E_USAGE');
    expect((error as UsageError).exitCode).toBe(2);
    return (error as Error).message;
  }
  throw new Error('expected a UsageError, nothing was thrown');
}

describe('FAMILIES', () => {
  it('lists the eight families in the order of the table in docs/detunes.md', () => {
    expect(FAMILIES).toEqual([
      'green',
      'blue',
      'orange',
      'black-high',
      'black-low',
      'white-low',
      'contrast-high',
      'saturation-low',
    ]);
  });

  it('docs/detunes.md, the table the code and README cite, lists the same families in the same order', () => {
    const doc = readFileSync(fileURLToPath(new URL('../../docs/detunes.md', import.meta.url)), 'utf8');
    const rows = [...doc.matchAll(/^\| (\d) \| `([a-z-]+)`/gm)].map((m) => [Number(m[1]), m[2]]);
    expect(rows).toEqual(FAMILIES.map((family, i) => [i + 1, family]));
    expect(doc).toContain('L = amount / 3');
  });

  it('gives each family its table position', () => {
    expect(familyIndex('green')).toBe(0);
    expect(familyIndex('black-low')).toBe(4);
    expect(familyIndex('saturation-low')).toBe(7);
  });
});

describe('CLASS_LABELS', () => {
  it('has 25 labels: none, then each family at levels 1..3, family-major', () => {
    expect(CLASS_LABELS).toHaveLength(25);
    expect(CLASS_LABELS.slice(0, 8)).toEqual([
      'none',
      'green-1',
      'green-2',
      'green-3',
      'blue-1',
      'blue-2',
      'blue-3',
      'orange-1',
    ]);
    expect(CLASS_LABELS[24]).toBe('saturation-low-3');
    expect(new Set(CLASS_LABELS).size).toBe(25);
  });

  it('is frozen', () => {
    expect(Object.isFrozen(CLASS_LABELS)).toBe(true);
  });

  it('maps labels to indices and back: contrast-high-2 is 1 + 6 * 3 + (2 - 1) = 20', () => {
    expect(classIndex('none')).toBe(0);
    expect(classIndex('green-1')).toBe(1);
    expect(classIndex('contrast-high-2')).toBe(20);
    expect(classIndex('saturation-low-3')).toBe(24);
    CLASS_LABELS.forEach((label, i) => expect(classIndex(label)).toBe(i));
  });

  it('turns a class into its detune: level n is amount n; none is null', () => {
    expect(detuneOfClass('none')).toBeNull();
    expect(detuneOfClass(0)).toBeNull();
    expect(detuneOfClass('contrast-high-2')).toEqual({ family: 'contrast-high', amount: 2 });
    expect(detuneOfClass(4)).toEqual({ family: 'blue', amount: 1 });
    expect(detuneOfClass(24)).toEqual({ family: 'saturation-low', amount: 3 });
  });

  it('builds a label from family and level', () => {
    expect(classLabel('black-high', 3)).toBe('black-high-3');
  });

  it('rejects unknown labels and indices', () => {
    expect(usageMessage(() => classIndex('green-4'))).toBe(
      'Expected none or <family>-<level> (level 1 to 3) for class label but received "green-4" of type string',
    );
    expect(usageMessage(() => detuneOfClass(25))).toBe(
      'Expected integer between 0 and 24 for class index but received 25 of type number',
    );
    expect(usageMessage(() => classLabel('green', 0 as 1))).toBe(
      'Expected integer between 1 and 3 for green level but received 0 of type number',
    );
  });
});

describe('nearestClass', () => {
  it('rounds the amount to the nearest level, half up, and below 0.5 is none', () => {
    expect(nearestClass(null)).toBe('none');
    expect(nearestClass({ family: 'green', amount: 0.49 })).toBe('none');
    expect(nearestClass({ family: 'green', amount: 0.5 })).toBe('green-1');
    expect(nearestClass({ family: 'green', amount: 1.49 })).toBe('green-1');
    expect(nearestClass({ family: 'green', amount: 1.5 })).toBe('green-2');
    expect(nearestClass({ family: 'white-low', amount: 3 })).toBe('white-low-3');
  });
});

describe('amountsOf', () => {
  it('gives all eight families in table order, 0 where absent', () => {
    const amounts = amountsOf([
      { family: 'contrast-high', amount: 1 },
      { family: 'green', amount: 2.5 },
    ]);
    expect(Object.keys(amounts)).toEqual([...FAMILIES]);
    expect(amounts).toEqual({
      green: 2.5,
      blue: 0,
      orange: 0,
      'black-high': 0,
      'black-low': 0,
      'white-low': 0,
      'contrast-high': 1,
      'saturation-low': 0,
    });
  });
});

describe('parseDetune', () => {
  it('reads <family>-<level> as amount = level, for families with hyphens too', () => {
    expect(parseDetune('green-2')).toEqual({ family: 'green', amount: 2 });
    expect(parseDetune('contrast-high-1')).toEqual({ family: 'contrast-high', amount: 1 });
    expect(parseDetune(' saturation-low-3 ')).toEqual({ family: 'saturation-low', amount: 3 });
  });

  it('reads <family>:<amount> as a continuous amount in [0, 3]', () => {
    expect(parseDetune('green:1.5')).toEqual({ family: 'green', amount: 1.5 });
    expect(parseDetune('black-low:0')).toEqual({ family: 'black-low', amount: 0 });
    expect(parseDetune('white-low: 3')).toEqual({ family: 'white-low', amount: 3 });
  });

  it('names an unknown family the way sharp names a bad option', () => {
    expect(usageMessage(() => parseDetune('pink'))).toBe(`${FAMILY_MESSAGE} "pink" of type string`);
    expect(usageMessage(() => parseDetune('pink-2'))).toBe(`${FAMILY_MESSAGE} "pink" of type string`);
    expect(usageMessage(() => parseDetune('pink:1'))).toBe(`${FAMILY_MESSAGE} "pink" of type string`);
    expect(usageMessage(() => parseDetune('black-hi'))).toBe(`${FAMILY_MESSAGE} "black-hi" of type string`);
  });

  it('rejects levels outside 1..3 and amounts outside [0, 3]', () => {
    expect(usageMessage(() => parseDetune('green-4'))).toBe(
      'Expected integer between 1 and 3 for green level but received 4 of type number',
    );
    expect(usageMessage(() => parseDetune('green-0'))).toBe(
      'Expected integer between 1 and 3 for green level but received 0 of type number',
    );
    expect(usageMessage(() => parseDetune('green-1.5'))).toBe(
      'Expected integer between 1 and 3 for green level but received 1.5 of type number',
    );
    expect(usageMessage(() => parseDetune('green:3.5'))).toBe(
      'Expected number between 0 and 3 for green amount but received 3.5 of type number',
    );
    expect(usageMessage(() => parseDetune('green:-1'))).toBe(
      'Expected number between 0 and 3 for green amount but received -1 of type number',
    );
    expect(usageMessage(() => parseDetune('green:lots'))).toBe(
      'Expected number between 0 and 3 for green amount but received "lots" of type string',
    );
  });

  it('asks for a level when only a family is given', () => {
    expect(usageMessage(() => parseDetune('black-high'))).toBe(
      'Expected <family>-<level> or <family>:<amount> for detune but received "black-high" of type string',
    );
  });
});

describe('parseDetuneList', () => {
  it('reads a comma-separated list and returns it in table order', () => {
    expect(parseDetuneList('green-2,contrast-high-1')).toEqual([
      { family: 'green', amount: 2 },
      { family: 'contrast-high', amount: 1 },
    ]);
    expect(parseDetuneList('saturation-low:0.25, orange-3, green:1.5')).toEqual([
      { family: 'green', amount: 1.5 },
      { family: 'orange', amount: 3 },
      { family: 'saturation-low', amount: 0.25 },
    ]);
  });

  it('reads none and the empty string as no detunes', () => {
    expect(parseDetuneList('none')).toEqual([]);
    expect(parseDetuneList('')).toEqual([]);
  });

  it('rejects a family given twice', () => {
    expect(usageMessage(() => parseDetuneList('green-1,blue-1,green:2'))).toBe(
      'Expected each family at most once in detune list but received "green" of type string twice in "green-1,blue-1,green:2" of type string',
    );
  });

  it('rejects an empty item', () => {
    expect(usageMessage(() => parseDetuneList('green-1,,blue-1'))).toBe(
      `${FAMILY_MESSAGE} "" of type string`,
    );
  });
});

describe('formatDetune and formatDetuneList', () => {
  it('write whole levels as <family>-<level> and other amounts as <family>:<amount>', () => {
    expect(formatDetune({ family: 'green', amount: 2 })).toBe('green-2');
    expect(formatDetune({ family: 'green', amount: 1.5 })).toBe('green:1.5');
    expect(formatDetune({ family: 'green', amount: 0 })).toBe('green:0');
  });

  it('write lists in table order, and the empty list as none', () => {
    expect(formatDetuneList([])).toBe('none');
    expect(
      formatDetuneList([
        { family: 'saturation-low', amount: 0.25 },
        { family: 'black-high', amount: 3 },
      ]),
    ).toBe('black-high-3,saturation-low:0.25');
  });

  it('round-trip with parseDetuneList', () => {
    for (const text of [
      'none',
      'green-2,contrast-high-1',
      'blue:0.1,orange-3,black-low:2.75,saturation-low-1',
    ]) {
      expect(formatDetuneList(parseDetuneList(text))).toBe(text);
    }
  });
});

describe('validateDetune and sortDetunes', () => {
  it('accept a well-formed detune and reject a bad family or amount', () => {
    expect(validateDetune({ family: 'blue', amount: 0.5 })).toEqual({ family: 'blue', amount: 0.5 });
    expect(usageMessage(() => validateDetune({ family: 'pink', amount: 1 }))).toBe(
      `${FAMILY_MESSAGE} "pink" of type string`,
    );
    expect(usageMessage(() => validateDetune({ family: 'blue', amount: Number.NaN }))).toBe(
      'Expected number between 0 and 3 for blue amount but received NaN of type number',
    );
    expect(usageMessage(() => validateDetune(null))).toBe(
      'Expected object with family and amount for detune but received null',
    );
  });

  it('sort by table order, keeping the given order of equal families', () => {
    const a: Detune = { family: 'green', amount: 1 };
    const b: Detune = { family: 'green', amount: 2 };
    const c: Detune = { family: 'blue', amount: 1 };
    const d: Detune = { family: 'saturation-low', amount: 1 };
    expect(sortDetunes([d, a, c, b])).toEqual([a, b, c, d]);
  });
});
