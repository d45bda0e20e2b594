/*
 * A trained generator, loaded for grading: the inference side of the cGAN.
 *
 * `load` reads `model.json` + `weights.bin`, checks it is a cGAN, and runs one warm-up inference
 * (the first call on wasm compiles kernels). `checkInput` is what the pipeline compiler calls: the
 * model knows the proxy size it was trained on, and a stream whose proxy differs is refused before
 * any frame is read. Per-frame work runs inside `tf.tidy`; nothing outlives a call but the result.
 */
import { tf } from '../backend.js';
import { disposeParams, loadModel, type ModelFile, type Params } from '../params.js';
import { UsageError } from '../../util/errors.js';
import { generatorCoefficients } from './generator.js';
import { CGAN_FORMAT, type CganTrainConfig } from './train.js';
import { applyCoefficientsToImage } from './apply.js';
import { blockAverage, gridFactor } from '../grid.js';

/** One frame's correction: the coarse map of affine colour matrices, [gridHeight][gridWidth][12]. */
export interface FrameCorrection {
  readonly coefficients: Float32Array;
  readonly gridWidth: number;
  readonly gridHeight: number;
}

export class CganModel {
  private constructor(
    readonly dir: string,
    readonly file: ModelFile<CganTrainConfig>,
    private readonly params: Params,
  ) {}

  static async load(dir: string): Promise<CganModel> {
    const { file, params } = await loadModel<CganTrainConfig>(dir, CGAN_FORMAT);
    const model = new CganModel(dir, file, params);
    const { width, height } = model.input;
    model.corrections([new Uint8Array(width * height * 3)], 1);
    return model;
  }

  get input(): { width: number; height: number } {
    return this.file.config.input;
  }

  /** Frames per window the temporal form was trained on (1: per-frame only). */
  get window(): number {
    return this.file.config.generator.window;
  }

  /** Refuses a stream whose proxy is not the size the model was trained on. */
  checkInput(width: number, height: number, where = 'the stream'): void {
    const want = this.input;
    if (width !== want.width || height !== want.height) {
      throw new UsageError(
        'E_MODEL_MISMATCH',
        `Model ${this.dir} expects ${want.width}x${want.height} proxy frames but ${where} gives ${width}x${height}; set downscale to ${want.width}x${want.height}`,
      );
    }
  }

  /**
   * The corrections of a window of frames (rgb24 or rgb48 at the model's input size), corrected
   * together: the window's frames share one view of the shot. `window` 1 corrects each alone.
   */
  corrections(frames: readonly (Uint8Array | Uint16Array)[], window: number): FrameCorrection[] {
    const { width, height } = this.input;
    const n = frames.length;
    const size = width * height * 3;
    // Averaged to the working grid here, in one pass, rather than inside the network: the tensor
    // that crosses into TensorFlow.js is 16 times smaller, and the result is the same.
    const factor = gridFactor(height);
    const gw = Math.floor(width / factor);
    const gh = Math.floor(height / factor);
    const data = new Float32Array(n * gw * gh * 3);
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
  static apply<T extends Uint8Array | Uint16Array>(correction: FrameCorrection, src: T, width: number, height: number, dst: T): T {
    return applyCoefficientsToImage(correction.coefficients, correction.gridWidth, correction.gridHeight, src, width, height, dst);
  }

  dispose(): void {
    disposeParams(this.params);
  }
}
