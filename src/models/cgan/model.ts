/*
 * A trained generator, loaded for grading: the inference side of the cGAN.
 *
 * `load` reads `model.json` + `weights.bin`, checks it is a cGAN, and runs one warm-up inference
 * (the first call on wasm compiles kernels). `checkInput` is what the pipeline compiler calls: the
 * model knows the proxy size it was trained on, and a stream whose proxy differs is refused before
 * any frame is read. Per-frame work runs inside `tf.tidy`; nothing outlives a call but the result.
 */
import { tf } from '../backend.js';
import { loadModel } from '../params.js';
import { LoadedModel, type ModelFrame } from '../loadedModel.js';
import { generatorCoefficients } from './generator.js';
import { CGAN_FORMAT, type CganTrainConfig } from './train.js';
import { applyCoefficientsToImage } from './apply.js';

/** One frame's correction: the coarse map of affine colour matrices, [gridHeight][gridWidth][12]. */
export interface FrameCorrection {
  readonly coefficients: Float32Array;
  readonly gridWidth: number;
  readonly gridHeight: number;
}

export class CganModel extends LoadedModel<CganTrainConfig> {
  static async load(dir: string): Promise<CganModel> {
    const { file, params } = await loadModel<CganTrainConfig>(dir, CGAN_FORMAT);
    const model = new CganModel(dir, file, params);
    const { width, height } = model.input;
    model.corrections([new Uint8Array(width * height * 3)], 1);
    return model;
  }

  /** Frames per window the temporal form was trained on (1: per-frame only). */
  get window(): number {
    return this.file.config.generator.window;
  }

  /**
   * The corrections of a window of frames (rgb24 or rgb48 at the model's input size), corrected
   * together: the window's frames share one view of the shot. `window` 1 corrects each alone.
   */
  corrections(frames: readonly ModelFrame[], window: number): FrameCorrection[] {
    const n = frames.length;
    const { data, gridWidth: gw, gridHeight: gh } = this.gridBatch(frames);
    return tf.tidy(() => {
      const x = tf.tensor4d(data, [n, gh, gw, 3]);
      const c = generatorCoefficients(this.params, x, window);
      const [, ch, cw] = c.shape;
      const all = c.dataSync() as Float32Array;
      const per = ch * cw * 12;
      return frames.map((_, i) => ({
        coefficients: all.slice(i * per, (i + 1) * per),
        gridWidth: cw,
        gridHeight: ch,
      }));
    });
  }

  /** Applies a correction to a frame of any size (the proxy, or the full frame). */
  static applyCorrection<T extends Uint8Array | Uint16Array>(
    correction: FrameCorrection,
    src: T,
    width: number,
    height: number,
    dst: T,
  ): T {
    return applyCoefficientsToImage(
      correction.coefficients,
      correction.gridWidth,
      correction.gridHeight,
      src,
      width,
      height,
      dst,
    );
  }
}
