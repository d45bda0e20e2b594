import { describe, expect, it } from 'vitest';
import { FramePool } from '../../src/frame/pool.js';
import {
  CLASSIFIER_OUTPUTS,
  FINDINGS,
  gatedOutputsInShot,
  type ClassifierOutputs,
} from '../../src/stages/classify.js';
import { CLASS_LABELS, FAMILIES } from '../../src/detune/families.js';
import type { Frame } from '../../src/frame/frame.js';

const WHITE_LOW = FAMILIES.indexOf('white-low');

/** Outputs with a white-low amount; the probabilities do not matter to these specifications. */
function outputs(whiteLow: number): ClassifierOutputs {
  return {
    probs: new Float32Array(CLASS_LABELS.length).fill(1 / CLASS_LABELS.length),
    amounts: Float32Array.from(FAMILIES, (f) => (f === 'white-low' ? whiteLow : 0)),
  };
}

/** A shot of frames, the `analysed` ones (every other) with the outputs `read(i)` gives; a cut at `cutAt`. */
function frames(
  count: number,
  read: (i: number) => ClassifierOutputs,
  cutAt = -1,
  analysed = (i: number) => i % 2 === 0,
): Frame[] {
  const pool = new FramePool(count, 4, 2, 8);
  return Array.from({ length: count }, (_, i) => {
    const f = pool.tryAcquire()!;
    f.index = i;
    f.sceneCut = i === cutAt;
    if (analysed(i)) {
      f.notes.set(FINDINGS, { input: 'a.mp4', frame: i, pts: null, top: [], amounts: {} });
      f.notes.set(CLASSIFIER_OUTPUTS, read(i));
    }
    return f;
  });
}

/** A gate whose share is the white-low reading itself (0 or 1 here): easy to follow. */
const shareOf = (o: ClassifierOutputs): number => o.amounts[WHITE_LOW]!;

describe("a grader's gate through a shot (gatedOutputsInShot)", () => {
  it('without memory, gives each reading its own share, held over the frames between readings', () => {
    const shot = frames(4, (i) => outputs(i === 0 ? 1 : 0));
    const gatedOf = gatedOutputsInShot(0, shareOf);
    const shares = shot.map((f) => gatedOf(f)!.share);
    expect(shares).toEqual([1, 1, 0, 0]);
    shot.forEach((f) => f.release());
  });

  it("with memory, a gate that opens on one reading in a shot read as closed opens only a little, while the frame's own outputs are kept", () => {
    // Readings every other frame: closed (0), except frame 8's open (1).
    const shot = frames(12, (i) => outputs(i === 8 ? 1 : 0));
    const gatedOf = gatedOutputsInShot(24, shareOf);
    const gated = shot.map((f) => gatedOf(f)!);
    expect(gated[6]!.share).toBe(0);
    // Four earlier readings weigh in: 1 / (1 + k + k^2 + k^3 + k^4), k = exp(-2 / 24).
    const k = Math.exp(-2 / 24);
    expect(gated[8]!.share).toBeCloseTo(1 / (1 + k + k ** 2 + k ** 3 + k ** 4), 6);
    expect(gated[8]!.share).toBeLessThan(0.25);
    // The amounts a grader undoes stay the frame's own.
    expect(gated[8]!.outputs.amounts[WHITE_LOW]).toBe(1);
    expect(gated[10]!.outputs.amounts[WHITE_LOW]).toBe(0);
    shot.forEach((f) => f.release());
  });

  it('weighs older readings less: exp(-age / memory), age in frames', () => {
    const shot = frames(3, (i) => outputs(i === 0 ? 1 : 0));
    const gatedOf = gatedOutputsInShot(2, shareOf);
    gatedOf(shot[0]!);
    gatedOf(shot[1]!);
    const w = Math.exp(-2 / 2);
    expect(gatedOf(shot[2]!)!.share).toBeCloseTo(w / (w + 1), 6);
    shot.forEach((f) => f.release());
  });

  it('starts again at a cut: nothing of the shot before carries over', () => {
    const shot = frames(6, (i) => outputs(i < 4 ? 1 : 0), 4);
    const gatedOf = gatedOutputsInShot(1000, shareOf);
    const shares = shot.map((f) => gatedOf(f)!.share);
    expect(shares.slice(0, 4)).toEqual([1, 1, 1, 1]);
    expect(shares.slice(4)).toEqual([0, 0]);
    shot.forEach((f) => f.release());
  });

  it('gives nothing before the first reading of a shot', () => {
    const shot = frames(
      3,
      () => outputs(1),
      -1,
      (i) => i === 2,
    );
    const gatedOf = gatedOutputsInShot(24, shareOf);
    expect(gatedOf(shot[0]!)).toBeUndefined();
    expect(gatedOf(shot[1]!)).toBeUndefined();
    expect(gatedOf(shot[2]!)!.share).toBe(1);
    shot.forEach((f) => f.release());
  });
});
