/**
 * Detune families, class labels and the text form of detune lists.
 *
 * A detune is a deliberate colour fault of one family at an amount in [0, 3]. Whole amounts are the
 * classifier's levels: amount 1, 2, 3 are the paper's 33 %, 66 %, 100 % and are named
 * `<family>-<level>` (`green-2`); the formulas in docs/detunes.md use L = amount / 3. Amounts in between
 * are written `<family>:<amount>` (`green:1.5`) and are what the classifier's amount head regresses.
 *
 * The families are listed in the table order of docs/detunes.md, which is also the order in which several
 * detunes are applied. Class index 0 is `none`, then family-major: green-1, green-2, green-3,
 * blue-1, ... saturation-low-3 (25 classes).
 */
import { UsageError, describeValue } from '../util/errors.js';

/** The eight families, in the order they are applied. */
export const FAMILIES = [
  'green',
  'blue',
  'orange',
  'black-high',
  'black-low',
  'white-low',
  'contrast-high',
  'saturation-low',
] as const;

export type DetuneFamily = (typeof FAMILIES)[number];

/** The three named levels; level n is amount n. */
export const LEVELS = [1, 2, 3] as const;
export type DetuneLevel = (typeof LEVELS)[number];

/** The largest amount a detune may have (level 3, L = 1). */
export const MAX_AMOUNT = 3;

/** One detune: a family at an amount in [0, 3] (0 = identity, 3 = the paper's 100 %). */
export interface Detune {
  readonly family: DetuneFamily;
  readonly amount: number;
}

export type ClassLabel = 'none' | `${DetuneFamily}-${DetuneLevel}`;

/** All 25 class labels: `none`, then every family's levels 1..3 in table order. */
export const CLASS_LABELS: readonly ClassLabel[] = Object.freeze([
  'none' as const,
  ...FAMILIES.flatMap((family) => LEVELS.map((level) => `${family}-${level}` as const)),
]);

const FAMILY_INDEX: ReadonlyMap<string, number> = new Map(FAMILIES.map((family, i) => [family, i]));
const CLASS_INDEX: ReadonlyMap<string, number> = new Map(CLASS_LABELS.map((label, i) => [label, i]));

export function isDetuneFamily(value: unknown): value is DetuneFamily {
  return typeof value === 'string' && FAMILY_INDEX.has(value);
}

/** Position of a family in table order (0 = green ... 7 = saturation-low). */
export function familyIndex(family: DetuneFamily): number {
  return checkFamily(family);
}

function checkFamily(family: unknown): number {
  const index = typeof family === 'string' ? FAMILY_INDEX.get(family) : undefined;
  if (index === undefined) {
    throw new UsageError(
      'E_USAGE',
      `Expected one of ${FAMILIES.join(', ')} for detune family but received ${describeValue(family)}`,
    );
  }
  return index;
}

function checkAmount(family: string, amount: unknown): number {
  if (typeof amount !== 'number' || !Number.isFinite(amount) || amount < 0 || amount > MAX_AMOUNT) {
    throw new UsageError(
      'E_USAGE',
      `Expected number between 0 and ${MAX_AMOUNT} for ${family} amount but received ${describeValue(amount)}`,
    );
  }
  return amount;
}

function checkLevel(family: string, level: unknown): DetuneLevel {
  if (level !== 1 && level !== 2 && level !== 3) {
    throw new UsageError(
      'E_USAGE',
      `Expected integer between 1 and 3 for ${family} level but received ${describeValue(level)}`,
    );
  }
  return level;
}

/**
 * Checks a detune that came from outside the type system (JSON, options) and returns it as a
 * `Detune`. Throws `UsageError` (E_USAGE) for an unknown family or an amount outside [0, 3].
 */
export function validateDetune(detune: unknown): Detune {
  if (typeof detune !== 'object' || detune === null) {
    throw new UsageError(
      'E_USAGE',
      `Expected object with family and amount for detune but received ${describeValue(detune)}`,
    );
  }
  const { family, amount } = detune as { family?: unknown; amount?: unknown };
  checkFamily(family);
  return { family: family as DetuneFamily, amount: checkAmount(family as string, amount) };
}

/** Returns the detunes sorted in table order (the order they are applied in); stable for equal families. */
export function sortDetunes<T extends Detune>(detunes: readonly T[]): T[] {
  return detunes
    .map((detune, i) => ({ detune, key: checkFamily(detune.family), i }))
    .sort((x, y) => x.key - y.key || x.i - y.i)
    .map(({ detune }) => detune);
}

/** The class label of a family at a whole level: `classLabel('green', 2)` is `green-2`. */
export function classLabel(family: DetuneFamily, level: DetuneLevel): ClassLabel {
  checkFamily(family);
  return `${family}-${checkLevel(family, level)}`;
}

/** Index of a class label in `CLASS_LABELS` (0 = none). */
export function classIndex(label: string): number {
  const index = CLASS_INDEX.get(label);
  if (index === undefined) {
    throw new UsageError(
      'E_USAGE',
      `Expected none or <family>-<level> (level 1 to 3) for class label but received ${describeValue(label)}`,
    );
  }
  return index;
}

/** The detune a class stands for (`green-2` -> { green, 2 }); `none` gives null. */
export function detuneOfClass(label: ClassLabel | number): Detune | null {
  const index = typeof label === 'number' ? label : classIndex(label);
  if (!Number.isInteger(index) || index < 0 || index >= CLASS_LABELS.length) {
    throw new UsageError(
      'E_USAGE',
      `Expected integer between 0 and ${CLASS_LABELS.length - 1} for class index but received ${describeValue(label)}`,
    );
  }
  if (index === 0) return null;
  const family = FAMILIES[Math.floor((index - 1) / 3)] as DetuneFamily;
  return { family, amount: ((index - 1) % 3) + 1 };
}

/**
 * The class nearest to a single detune: the amount rounded to the nearest level (half up), and
 * `none` where it rounds to 0. Used for the classifier's class-or-nearest-level accuracy and to
 * label continuous detunes.
 */
export function nearestClass(detune: Detune | null): ClassLabel {
  if (detune === null) return 'none';
  const { family, amount } = validateDetune(detune);
  const level = Math.floor(amount + 0.5);
  return level === 0 ? 'none' : `${family}-${level as DetuneLevel}`;
}

/**
 * The amount of every family (0 where absent), keyed in table order: the classifier's regression
 * target and the `amounts` object of `vgrade classify --json`. A family given twice keeps the last.
 */
export function amountsOf(detunes: readonly Detune[]): Record<DetuneFamily, number> {
  const amounts = Object.fromEntries(FAMILIES.map((family) => [family, 0])) as Record<DetuneFamily, number>;
  for (const detune of detunes) {
    const { family, amount } = validateDetune(detune);
    amounts[family] = amount;
  }
  return amounts;
}

/**
 * Parses one detune: `green-2` (level 1..3, amount = level) or `green:1.5` (amount in [0, 3]).
 * Surrounding white space is ignored.
 */
export function parseDetune(text: string): Detune {
  const token = text.trim();
  const colon = token.indexOf(':');
  if (colon >= 0) {
    const family = token.slice(0, colon).trim();
    const amountText = token.slice(colon + 1).trim();
    checkFamily(family);
    const amount = amountText !== '' && Number.isFinite(Number(amountText)) ? Number(amountText) : amountText;
    return { family: family as DetuneFamily, amount: checkAmount(family, amount) };
  }
  if (isDetuneFamily(token)) {
    throw new UsageError(
      'E_USAGE',
      `Expected <family>-<level> or <family>:<amount> for detune but received ${describeValue(token)}`,
    );
  }
  const dash = token.lastIndexOf('-');
  const levelText = token.slice(dash + 1);
  // `pink`, `black-hi`: no level at the end, so the whole token is the unknown family.
  if (dash < 0 || !/^\d+(\.\d*)?$/.test(levelText)) checkFamily(token);
  const family = token.slice(0, dash);
  checkFamily(family);
  const level = Number(levelText);
  return { family: family as DetuneFamily, amount: checkLevel(family, level) };
}

/**
 * Parses a comma-separated detune list (`green-2,contrast-high-1`, `orange:0.7, blue-3`); `none` or
 * an empty string is the empty list. The result is in table order. A family may appear only once.
 */
export function parseDetuneList(text: string): Detune[] {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed === 'none') return [];
  const detunes = trimmed.split(',').map(parseDetune);
  const seen = new Set<DetuneFamily>();
  for (const { family } of detunes) {
    if (seen.has(family)) {
      throw new UsageError(
        'E_USAGE',
        `Expected each family at most once in detune list but received ${describeValue(family)} twice in ${describeValue(text)}`,
      );
    }
    seen.add(family);
  }
  return sortDetunes(detunes);
}

/** Writes a detune as text: `green-2` for a whole level 1..3, else `green:1.5`. */
export function formatDetune(detune: Detune): string {
  const { family, amount } = validateDetune(detune);
  return amount === 1 || amount === 2 || amount === 3 ? `${family}-${amount}` : `${family}:${amount}`;
}

/** Writes a detune list as text in table order; the empty list is `none`. Inverse of `parseDetuneList`. */
export function formatDetuneList(detunes: readonly Detune[]): string {
  return detunes.length === 0 ? 'none' : sortDetunes(detunes).map(formatDetune).join(',');
}
