import { describe, expect, it } from 'vitest';
import { CLASS_LABELS, FAMILIES } from '../../src/detune/families.js';
import {
  amountsBeyondLargest,
  confidenceOf,
  correctionWeight,
  expectedAmounts,
  gateShare,
  mixFor,
  posteriorDetunes,
  type PosteriorSettings,
} from '../../src/detune/posterior.js';

const settings: PosteriorSettings = {
  threshold: 0.5,
  strength: 1,
  mix: 0.5,
  confidenceMin: 0.45,
  amountOpen: 3,
  severalAt: 1.5,
};

/** Probabilities with `p` on one class and the rest spread evenly. */
function peaked(label: string, p: number): Float32Array {
  const probs = new Float32Array(CLASS_LABELS.length).fill((1 - p) / (CLASS_LABELS.length - 1));
  probs[CLASS_LABELS.indexOf(label as (typeof CLASS_LABELS)[number])] = p;
  return probs;
}

function amounts(values: Partial<Record<string, number>>): Float32Array {
  return Float32Array.from(FAMILIES, (f) => values[f] ?? 0);
}

describe('the posterior correction', () => {
  it('measures confidence as 1 - normalised entropy: 1 for one certain class, 0 for all equal', () => {
    expect(confidenceOf(peaked('green-2', 1))).toBeCloseTo(1, 6);
    expect(confidenceOf(new Float32Array(25).fill(1 / 25))).toBeCloseTo(0, 6);
  });

  it("takes each family's expected amount over its levels, mixed with the amount head", () => {
    const probs = new Float32Array(25);
    probs[CLASS_LABELS.indexOf('green-1')] = 0.5;
    probs[CLASS_LABELS.indexOf('green-3')] = 0.5;
    const e = expectedAmounts(probs, amounts({ green: 1, blue: 2 }), 0.5);
    expect(e[FAMILIES.indexOf('green')]).toBeCloseTo(0.5 * 2 + 0.5 * 1, 6);
    expect(e[FAMILIES.indexOf('blue')]).toBeCloseTo(1, 6);
  });

  it('inverts a frame read with confidence fully', () => {
    const d = posteriorDetunes(peaked('green-3', 0.99), amounts({ green: 3 }), settings);
    expect(d).toHaveLength(1);
    expect(d[0]!.family).toBe('green');
    expect(d[0]!.amount).toBeGreaterThan(2.9);
  });

  it('leaves a frame the classifier cannot read as it is: a spread posterior, amounts that add up to little', () => {
    const unsure = new Float32Array(25).fill(1 / 25);
    expect(posteriorDetunes(unsure, amounts({ green: 1.5, 'saturation-low': 1 }), settings)).toEqual([]);
  });

  it('corrects a frame with several strong problems however spread its posterior, once the amounts add up past amountOpen', () => {
    const unsure = new Float32Array(25).fill(1 / 25);
    const read = amounts({ green: 2.5, 'saturation-low': 2 }); // 4.5: whole 1.5 above 3
    // The amounts as mixed with the posterior (severalAt, below, would give the head alone here).
    const mixed = { ...settings, severalAt: 0 };
    expect(posteriorDetunes(unsure, read, mixed)).toEqual([
      { family: 'green', amount: expect.closeTo(0.5 * 0.24 + 0.5 * 2.5, 6) },
      { family: 'saturation-low', amount: expect.closeTo(0.5 * 0.24 + 0.5 * 2, 6) },
    ]);
    const partly = posteriorDetunes(unsure, amounts({ green: 2, 'saturation-low': 1.75 }), mixed);
    expect(partly[0]!.amount).toBeGreaterThan(0);
    expect(partly[0]!.amount).toBeLessThan(0.5 * 0.24 + 0.5 * 2);
    expect(posteriorDetunes(unsure, read, { ...mixed, amountOpen: 0 })).toEqual([]);
  });

  it('shrinks the correction as confidence falls between the gate and 0.25 above it', () => {
    const strong = posteriorDetunes(peaked('green-3', 0.95), amounts({ green: 3 }), settings)[0]!.amount;
    const weaker = posteriorDetunes(peaked('green-3', 0.75), amounts({ green: 3 }), settings)[0]?.amount ?? 0;
    expect(weaker).toBeGreaterThan(0);
    expect(weaker).toBeLessThan(strong);
  });

  it("takes the gate's share from the caller where given (a shot's pooled share), the amounts still the frame's own", () => {
    const sure = peaked('green-3', 0.99);
    const whole = posteriorDetunes(sure, amounts({ green: 3 }), settings)[0]!.amount;
    expect(gateShare(sure, amounts({ green: 3 }), settings)).toBeCloseTo(1, 6);
    expect(posteriorDetunes(sure, amounts({ green: 3 }), settings, 0.5)[0]!.amount).toBeCloseTo(whole / 2, 6);
    expect(posteriorDetunes(sure, amounts({ green: 3 }), settings, 0)).toEqual([]);
    const unsure = new Float32Array(25).fill(1 / 25);
    expect(gateShare(unsure, amounts({ green: 1.5 }), settings)).toBe(0);
    expect(posteriorDetunes(unsure, amounts({ green: 1.5 }), settings, 1)).toEqual([
      { family: 'green', amount: expect.closeTo(0.5 * 0.24 + 0.5 * 1.5, 6) },
    ]);
  });

  it('reads several problems at once through the amount head: past severalAt beyond the largest amount, the class posterior (single detunes only) gives way', () => {
    // A posterior sure of green-1 alone; the head reads green 3, saturation-low 2 and black-low 1.5.
    const probs = peaked('green-1', 0.95);
    const read = amounts({ green: 3, 'saturation-low': 2, 'black-low': 1.5 }); // 3.5 beyond the largest
    expect(amountsBeyondLargest(read)).toBeCloseTo(3.5, 6);
    expect(mixFor(read, settings)).toBe(0);
    const d = posteriorDetunes(probs, read, settings);
    expect(d.find((x) => x.family === 'green')!.amount).toBeCloseTo(3, 5);
    expect(d.find((x) => x.family === 'saturation-low')!.amount).toBeCloseTo(2, 5);
    // One strong problem and little else: the mix as set.
    expect(mixFor(amounts({ 'white-low': 3, green: 0.4 }), settings)).toBe(0.5);
    // Partly, between severalAt and 1.5 above it; and not at all with severalAt 0.
    const partly = mixFor(amounts({ green: 3, blue: 2.25 }), settings);
    expect(partly).toBeGreaterThan(0);
    expect(partly).toBeLessThan(0.5);
    expect(mixFor(read, { ...settings, severalAt: 0 })).toBe(0.5);
  });

  it('with no gate (confidence 0) and the head alone (mix 0), undoes what the head reads', () => {
    const d = posteriorDetunes(new Float32Array(25).fill(1 / 25), amounts({ orange: 2 }), {
      ...settings,
      mix: 0,
      confidenceMin: 0,
    });
    expect(d).toEqual([{ family: 'orange', amount: 2 }]);
  });
});

describe("the weight a regenerating grader's correction gets (cgan's gate)", () => {
  const gate = { threshold: 0.5, mix: 0.5, confidenceMin: 0.35, amountOpen: 0 };

  it('lets the whole correction through where the classifier is sure something is wrong by a level or more', () => {
    expect(correctionWeight(peaked('green-2', 0.99), amounts({ green: 2 }), gate)).toBeCloseTo(1, 6);
  });

  it('holds it back on a frame read as right, however sure the classifier is', () => {
    expect(correctionWeight(peaked('clean', 0.99), amounts({}), gate)).toBe(0);
  });

  it('holds it back on a frame the classifier cannot read, whatever it thinks is wrong', () => {
    const unsure = new Float32Array(25).fill(1 / 25);
    expect(correctionWeight(unsure, amounts({ blue: 3 }), gate)).toBe(0);
  });

  it('lets part of it through for a small amount near the threshold, and more as confidence rises', () => {
    const small = correctionWeight(peaked('orange-1', 0.99), amounts({ orange: 0 }), gate);
    expect(small).toBeGreaterThan(0);
    expect(small).toBeLessThan(1);
    const lessSure = correctionWeight(peaked('green-2', 0.45), amounts({ green: 2 }), gate);
    const surer = correctionWeight(peaked('green-2', 0.6), amounts({ green: 2 }), gate);
    expect(lessSure).toBeLessThan(surer);
  });
});
