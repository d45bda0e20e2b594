/**
 * Model folders as pipelines name them: where a relative name is found, and what a folder's
 * `model.json` says about its input, read without loading TensorFlow.js so that a stage can refuse
 * a mismatched stream before any frame is read.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../util/packageRoot.js';
import { UsageError } from '../util/errors.js';
import { takesProxy } from './grid.js';

/** Whether a folder holds a model (its `model.json`). */
export function isModelFolder(dir: string): boolean {
  return statSync(path.join(dir, 'model.json'), { throwIfNoEntry: false })?.isFile() ?? false;
}

/** A model folder as the user wrote it: from the working folder if it is there, else the package's own. */
export function resolveModelDir(value: string): string {
  if (path.isAbsolute(value)) return value;
  return isModelFolder(value) ? path.resolve(value) : path.join(packageRoot(), value);
}

/** A model file as the user wrote it: from the working folder if it is there, else the package's own. */
export function resolveModelFile(value: string): string {
  if (path.isAbsolute(value)) return value;
  return statSync(value, { throwIfNoEntry: false })?.isFile()
    ? path.resolve(value)
    : path.join(packageRoot(), value);
}

/** The input size a model folder was trained on, read without loading TensorFlow.js. */
export function modelInput(dir: string, format: string): { width: number; height: number } {
  let json: { format?: string; config?: { input?: { width: number; height: number } } };
  try {
    json = JSON.parse(readFileSync(path.join(dir, 'model.json'), 'utf8')) as typeof json;
  } catch {
    throw new UsageError('E_MODEL', `No model at ${dir}: expected ${path.join(dir, 'model.json')}`);
  }
  if (json.format !== format || !json.config?.input) {
    throw new UsageError(
      'E_MODEL',
      `Expected a ${format} model in ${dir} but found ${json.format ?? 'something else'}`,
    );
  }
  return json.config.input;
}

/**
 * Refuses a stream whose proxy the model cannot take: the model's input size, or a whole multiple
 * of it (an `oversample`d proxy: averaged to the model's grid it gives the same grid).
 */
export function checkModelAgainstStream(
  dir: string,
  format: string,
  stream: { width: number; height: number },
): void {
  const want = modelInput(dir, format);
  if (!takesProxy(want, stream)) {
    throw new UsageError(
      'E_MODEL_MISMATCH',
      `Model ${dir} expects ${want.width}x${want.height} proxy frames (or a whole multiple, oversampled) but the stream's proxy is ${stream.width}x${stream.height}; set downscale.width=${want.width} and downscale.height=${want.height}`,
    );
  }
}
