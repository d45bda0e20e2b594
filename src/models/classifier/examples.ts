/*
 * The classifier's labelled examples: a clean reference detuned at random (one of the 25 classes,
 * or several families at once for the amount head), read as the grid or as the proxy's
 * statistics. Training makes them on the fly; `research/statistics-examples.ts` writes them out for
 * training elsewhere (a GPU machine), so both read the same examples.
 */
import { createRng, randomCombination, type Rng } from '../../detune/random.js';
import { amountsOf, detuneOfClass, FAMILIES, type Detune } from '../../detune/families.js';
import { makeExample, randomReference, type ReferenceSet } from '../data.js';
import { compileDetunes } from '../../detune/apply.js';
import { gridFactor } from '../grid.js';
import { NUM_CLASSES, type ClassifierInputs, type Standardisation } from './network.js';
import { frameStatistics, STATISTICS_LENGTH } from './statistics.js';

export interface Labelled {
  /** What the network reads: the example on the grid, or its statistics. */
  readonly input: Float32Array;
  /** Class index, or -1 for a combination. */
  readonly label: number;
  readonly amounts: number[];
}

function amountsVector(detunes: readonly Detune[]): number[] {
  const a = amountsOf(detunes);
  return FAMILIES.map((f) => a[f]);
}

/** Makes labelled examples for one form of the network, reusing one scratch frame. */
export class Examples {
  private readonly scratch: Uint8Array;
  readonly shape: number[];

  constructor(
    private readonly refs: ReferenceSet,
    private readonly inputs: ClassifierInputs,
  ) {
    this.scratch = new Uint8Array(refs.width * refs.height * 3);
    const factor = gridFactor(refs.height);
    this.shape =
      inputs === 'statistics'
        ? [STATISTICS_LENGTH]
        : [Math.floor(refs.height / factor), Math.floor(refs.width / factor), 3];
  }

  make(frame: number | Uint8Array, detunes: Detune[], label: number, flip: boolean): Labelled {
    let input: Float32Array;
    if (this.inputs === 'statistics') {
      // Statistics do not change under a left-right flip.
      const ref = typeof frame === 'number' ? this.refs.frames[frame]! : frame;
      compileDetunes(detunes)(ref, this.scratch);
      input = frameStatistics(this.scratch);
    } else {
      input = makeExample(this.refs, frame, detunes, flip, this.scratch).input.data;
    }
    return { input, label, amounts: amountsVector(detunes) };
  }

  random(rng: Rng, combinationShare: number): Labelled {
    const frame = randomReference(this.refs, rng);
    const flip = rng() < 0.5;
    if (rng() < combinationShare) {
      return this.make(frame, randomCombination(rng, { min: 2, max: 3 }), -1, flip);
    }
    const label = Math.floor(rng() * NUM_CLASSES);
    const d = detuneOfClass(label);
    return this.make(frame, d ? [d] : [], label, flip);
  }
}

/**
 * Mean and deviation of each statistic over random training examples of the same mix as training,
 * so that every input of the statistics form starts on a comparable scale.
 */
export function standardisation(examples: Examples, seed: number, combinationShare: number): Standardisation {
  const rng = createRng(seed);
  const count = 2048;
  const sum = new Float64Array(STATISTICS_LENGTH);
  const squares = new Float64Array(STATISTICS_LENGTH);
  for (let i = 0; i < count; i++) {
    const { input } = examples.random(rng, combinationShare);
    for (let k = 0; k < STATISTICS_LENGTH; k++) {
      sum[k]! += input[k]!;
      squares[k]! += input[k]! * input[k]!;
    }
  }
  const mean = new Float32Array(STATISTICS_LENGTH);
  const std = new Float32Array(STATISTICS_LENGTH);
  for (let k = 0; k < STATISTICS_LENGTH; k++) {
    mean[k] = sum[k]! / count;
    // A floor, so that a statistic nearly constant in training cannot blow up on a new frame.
    std[k] = Math.max(0.01, Math.sqrt(Math.max(0, squares[k]! / count - mean[k]! ** 2)));
  }
  return { mean, std };
}

/** Validation: every clean reference at every class, and a fixed set of doubles. */
export function validationSet(
  refs: ReferenceSet,
  examples: Examples,
  seed: number,
  maxFrames: number,
): { singles: Labelled[]; doubles: Labelled[] } {
  const rng = createRng(seed);
  const frames = [...refs.frames.keys()];
  // A spread of frames when there are many (runs repeat nearly the same picture).
  const step = Math.max(1, frames.length / maxFrames);
  const chosen: number[] = [];
  for (let i = 0; i < frames.length && chosen.length < maxFrames; i += step)
    chosen.push(frames[Math.floor(i)]!);
  const singles: Labelled[] = [];
  const doubles: Labelled[] = [];
  for (const frame of chosen) {
    for (let label = 0; label < NUM_CLASSES; label++) {
      const d = detuneOfClass(label);
      singles.push(examples.make(frame, d ? [d] : [], label, false));
    }
    for (let k = 0; k < 4; k++) {
      const pair = randomCombination(rng, { min: 2, max: 2 }).map((d) => ({
        ...d,
        amount: Math.ceil(d.amount),
      }));
      doubles.push(examples.make(frame, pair, -1, false));
    }
  }
  return { singles, doubles };
}
