/*
 * A trained classifier, loaded for the tap and for `vgrade classify`: frames in, the 25 classes'
 * probabilities and each family's amount out. It never changes a frame.
 */
import { tf } from '../backend.js';
import { disposeParams, loadModel, type ModelFile, type Params } from '../params.js';
import { UsageError } from '../../util/errors.js';
import { CLASS_LABELS, FAMILIES, type ClassLabel, type DetuneFamily } from '../../detune/families.js';
import { classify, NUM_CLASSES } from './network.js';
import { blockAverage, gridFactor } from '../grid.js';
import { CLASSIFIER_FORMAT, type ClassifierTrainConfig } from './train.js';

export interface Diagnosis {
  /** Classes by probability, highest first. */
  readonly top: Array<{ label: ClassLabel; p: number }>;
  /** Each family's amount in [0, 3]. */
  readonly amounts: Record<DetuneFamily, number>;
}

export class ClassifierModel {
  private constructor(
    readonly dir: string,
    readonly file: ModelFile<ClassifierTrainConfig>,
    private readonly params: Params,
  ) {}

  static async load(dir: string): Promise<ClassifierModel> {
    const { file, params } = await loadModel<ClassifierTrainConfig>(dir, CLASSIFIER_FORMAT);
    const model = new ClassifierModel(dir, file, params);
    const { width, height } = model.input;
    model.diagnose([new Uint8Array(width * height * 3)]);
    return model;
  }

  get input(): { width: number; height: number } {
    return this.file.config.input;
  }

  checkInput(width: number, height: number, where = 'the stream'): void {
    const want = this.input;
    if (width !== want.width || height !== want.height) {
      throw new UsageError(
        'E_MODEL_MISMATCH',
        `Model ${this.dir} expects ${want.width}x${want.height} proxy frames but ${where} gives ${width}x${height}; set downscale to ${want.width}x${want.height}`,
      );
    }
  }

  /** Raw outputs for a batch: probabilities [n x 25] and amounts [n x 8]. */
  predict(frames: readonly (Uint8Array | Uint16Array)[]): { probs: Float32Array; amounts: Float32Array } {
    const { width, height } = this.input;
    const size = width * height * 3;
    const factor = gridFactor(height);
    const gw = Math.floor(width / factor);
    const gh = Math.floor(height / factor);
    const data = new Float32Array(frames.length * gw * gh * 3);
    frames.forEach((f, i) => {
      if (f.length !== size) {
        throw new UsageError(
          'E_MODEL_MISMATCH',
          `Expected ${width}x${height} RGB frames (${size} values) but received ${f.length}`,
        );
      }
      data.set(blockAverage(f, width, height, factor).data, i * gw * gh * 3);
    });
    return tf.tidy(() => {
      const out = classify(this.params, tf.tensor4d(data, [frames.length, gh, gw, 3]));
      return {
        probs: tf.softmax(out.logits).dataSync() as Float32Array,
        amounts: out.amounts.dataSync() as Float32Array,
      };
    });
  }

  diagnose(frames: readonly (Uint8Array | Uint16Array)[], topK = 3): Diagnosis[] {
    const { probs, amounts } = this.predict(frames);
    return frames.map((_, i) => {
      const ranked = CLASS_LABELS.map((label, k) => ({ label, p: probs[i * NUM_CLASSES + k]! }))
        .sort((a, b) => b.p - a.p)
        .slice(0, topK);
      const a = Object.fromEntries(FAMILIES.map((f, k) => [f, amounts[i * FAMILIES.length + k]!])) as Record<
        DetuneFamily,
        number
      >;
      return { top: ranked, amounts: a };
    });
  }

  dispose(): void {
    disposeParams(this.params);
  }
}
