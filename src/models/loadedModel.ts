/**
 * What every trained network has once loaded for inference: its folder, its `model.json`, its
 * parameters, the proxy size it was trained on, the check of a stream against that size, and the
 * batch of frames averaged to the working grid that its network takes.
 */
import { disposeParams, type ModelFile, type Params } from './params.js';
import { blockAverage, gridFactor } from './grid.js';
import { UsageError } from '../util/errors.js';

/**
 * A frame as the networks take it: rgb24 or rgb48 at the model's input size, or (Float32Array)
 * already averaged to the working grid.
 */
export type ModelFrame = Uint8Array | Uint16Array | Float32Array;

/** What a network's requests carry: frames averaged to its working grid, or the proxies' own pixels. */
export type RequestFrames = 'grid' | 'pixels';

export abstract class LoadedModel<C extends { readonly input: { width: number; height: number } }> {
  protected constructor(
    readonly dir: string,
    readonly file: ModelFile<C>,
    protected readonly params: Params,
  ) {}

  get input(): { width: number; height: number } {
    return this.file.config.input;
  }

  /**
   * What a request should carry: frames averaged to the working grid (the convolutional networks),
   * or the frames' own pixels (a network that measures the whole proxy).
   */
  get takes(): RequestFrames {
    return 'grid';
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
   * rgb24 or rgb48 frames at the model's input size, averaged to the working grid here in one pass
   * rather than inside the network: the tensor that crosses into TensorFlow.js is 16 times smaller,
   * and the result is the same. A Float32Array is a frame already averaged to the grid
   * (`blockAverage`), as the stages' worker clients send them.
   */
  protected gridBatch(frames: ReadonlyArray<ModelFrame>): {
    data: Float32Array;
    gridWidth: number;
    gridHeight: number;
  } {
    const { width, height } = this.input;
    const size = width * height * 3;
    const factor = gridFactor(height);
    const gridWidth = Math.floor(width / factor);
    const gridHeight = Math.floor(height / factor);
    const data = new Float32Array(frames.length * gridWidth * gridHeight * 3);
    const gridSize = gridWidth * gridHeight * 3;
    frames.forEach((f, i) => {
      if (f instanceof Float32Array) {
        if (f.length !== gridSize) {
          throw new UsageError(
            'E_MODEL_MISMATCH',
            `Expected frames averaged to a ${gridWidth}x${gridHeight} grid (${gridSize} values) but received ${f.length}`,
          );
        }
        data.set(f, i * gridSize);
        return;
      }
      // The model's size, or a whole multiple of it (an oversampled proxy averages to the same grid).
      const k = Math.round(Math.sqrt(f.length / size));
      if (k < 1 || f.length !== k * k * size) {
        throw new UsageError(
          'E_MODEL_MISMATCH',
          `Expected ${width}x${height} RGB frames (${size} values) or a whole multiple but received ${f.length}`,
        );
      }
      data.set(blockAverage(f, width * k, height * k, factor * k).data, i * gridWidth * gridHeight * 3);
    });
    return { data, gridWidth, gridHeight };
  }

  dispose(): void {
    disposeParams(this.params);
  }
}
