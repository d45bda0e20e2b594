/*
 * A trained classifier, loaded for the tap and for `vgrade classify`: frames in, the 25 classes'
 * probabilities and each family's amount out. It never changes a frame. A folder that holds an
 * ensemble (`ensemble.ts`) runs each member and averages their outputs.
 */
import { tf } from '../backend.js';
import { loadModel } from '../params.js';
import { LoadedModel, type ModelFrame, type RequestFrames } from '../loadedModel.js';
import { CLASS_LABELS, FAMILIES, type ClassLabel, type DetuneFamily } from '../../detune/families.js';
import { classify, classifyStatistics, isStatisticsClassifier, NUM_CLASSES } from './network.js';
import { frameStatistics, STATISTICS_LENGTH } from './statistics.js';
import { UsageError } from '../../util/errors.js';
import { CLASSIFIER_FORMAT } from './train.js';
import { isEnsemble, splitMembers, type ClassifierFolderConfig } from './ensemble.js';
import type { ModelFile, Params } from '../params.js';

export interface Diagnosis {
  /** Classes by probability, highest first. */
  readonly top: Array<{ label: ClassLabel; p: number }>;
  /** Each family's amount in [0, 3]. */
  readonly amounts: Record<DetuneFamily, number>;
}

export class ClassifierModel extends LoadedModel<ClassifierFolderConfig> {
  /** Each network's parameters: one, or an ensemble's members. */
  private readonly members: Params[];

  private constructor(dir: string, file: ModelFile<ClassifierFolderConfig>, params: Params) {
    super(dir, file, params);
    this.members = isEnsemble(file.config) ? splitMembers(params, file.config.members.length) : [params];
  }

  static async load(dir: string): Promise<ClassifierModel> {
    const { file, params } = await loadModel<ClassifierFolderConfig>(dir, CLASSIFIER_FORMAT);
    const model = new ClassifierModel(dir, file, params);
    const { width, height } = model.input;
    model.diagnose([new Uint8Array(width * height * 3)]);
    return model;
  }

  /** A statistics form reads each frame's whole proxy; the convolutional form alone, its grid. */
  override get takes(): RequestFrames {
    return this.members.some(isStatisticsClassifier) ? 'pixels' : 'grid';
  }

  /**
   * The statistics form's batch: each frame's statistics (`frameStatistics`) from its rgb24 or rgb48
   * pixels at any size (an oversampled proxy has the same statistics), or given as they are.
   */
  private statisticsBatch(frames: readonly ModelFrame[]): Float32Array {
    const data = new Float32Array(frames.length * STATISTICS_LENGTH);
    frames.forEach((f, i) => {
      const at = data.subarray(i * STATISTICS_LENGTH, (i + 1) * STATISTICS_LENGTH);
      if (f instanceof Float32Array) {
        if (f.length !== STATISTICS_LENGTH) {
          throw new UsageError(
            'E_MODEL_MISMATCH',
            `Expected a frame's ${STATISTICS_LENGTH} statistics or its RGB pixels but received ${f.length} floats`,
          );
        }
        at.set(f);
      } else if (f.length === 0 || f.length % 3 !== 0) {
        throw new UsageError('E_MODEL_MISMATCH', `Expected RGB pixels but received ${f.length} values`);
      } else {
        frameStatistics(f, at);
      }
    });
    return data;
  }

  /** Raw outputs for a batch: probabilities [n x 25] and amounts [n x 8], the members' mean. */
  predict(frames: readonly ModelFrame[]): { probs: Float32Array; amounts: Float32Array } {
    const outputs = this.members.map((params) => this.predictOne(params, frames));
    if (outputs.length === 1) return outputs[0]!;
    const mean = (key: 'probs' | 'amounts'): Float32Array => {
      const out = new Float32Array(outputs[0]![key].length);
      for (const o of outputs) o[key].forEach((v, i) => (out[i]! += v / outputs.length));
      return out;
    };
    return { probs: mean('probs'), amounts: mean('amounts') };
  }

  private predictOne(
    params: Params,
    frames: readonly ModelFrame[],
  ): { probs: Float32Array; amounts: Float32Array } {
    const statistics = isStatisticsClassifier(params);
    const data = statistics ? this.statisticsBatch(frames) : undefined;
    const grid = statistics ? undefined : this.gridBatch(frames);
    return tf.tidy(() => {
      const out = data
        ? classifyStatistics(params, tf.tensor2d(data, [frames.length, STATISTICS_LENGTH]))
        : classify(params, tf.tensor4d(grid!.data, [frames.length, grid!.gridHeight, grid!.gridWidth, 3]));
      return {
        probs: tf.softmax(out.logits).dataSync() as Float32Array,
        amounts: out.amounts.dataSync() as Float32Array,
      };
    });
  }

  diagnose(frames: readonly ModelFrame[], topK = 3): Diagnosis[] {
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
}
