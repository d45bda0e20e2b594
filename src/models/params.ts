/*
 * Trainable parameters by name, and the one model format: tfjs's `model.json` with a weights
 * manifest, plus `weights.bin`.
 *
 * The networks here are written as functions of named variables rather than tfjs-layers models:
 * the temporal generator mixes features across the frames of a window (the batch axis), which
 * layers cannot say, and a plain function keeps inference inside one `tf.tidy` with nothing hidden.
 * The files are still tfjs's own format: `weightsManifest` as `tf.io.encodeWeights` writes it, so
 * any tfjs tool can read the weights; `format` and `config` say which of our networks they belong to.
 */
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { tf } from './backend.js';
import type { Rng } from '../detune/random.js';
import { RuntimeFailure, UsageError } from '../util/errors.js';
import type { io } from '@tensorflow/tfjs-core';
import { fromHalfBytes, halfBytes } from './half.js';

export type Params = Map<string, tf.Variable>;

/** Normal random numbers from our seeded generator (Box-Muller), so training starts reproducibly. */
function normals(rng: Rng, n: number, std: number): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i += 2) {
    const u = Math.max(rng(), 1e-12);
    const v = rng();
    const r = Math.sqrt(-2 * Math.log(u)) * std;
    out[i] = r * Math.cos(2 * Math.PI * v);
    if (i + 1 < n) out[i + 1] = r * Math.sin(2 * Math.PI * v);
  }
  return out;
}

/** Builds parameters as they are declared; names must be unique. */
export class ParamBuilder {
  readonly params: Params = new Map();
  constructor(private readonly rng: Rng) {}

  private add(name: string, value: tf.Tensor): tf.Variable {
    if (this.params.has(name)) throw new Error(`Parameter ${name} declared twice`);
    const v = tf.variable(value, true);
    value.dispose();
    this.params.set(name, v);
    return v;
  }

  /** A convolution filter [k, k, in, out], He-initialised, and its bias. */
  conv(name: string, k: number, cin: number, cout: number, gain = Math.SQRT2): void {
    const std = gain / Math.sqrt(k * k * cin);
    this.add(`${name}/w`, tf.tensor4d(normals(this.rng, k * k * cin * cout, std), [k, k, cin, cout]));
    this.add(`${name}/b`, tf.zeros([cout]));
  }

  /** A dense layer [in, out] and its bias. */
  dense(name: string, cin: number, cout: number, gain = Math.SQRT2): void {
    const std = gain / Math.sqrt(cin);
    this.add(`${name}/w`, tf.tensor2d(normals(this.rng, cin * cout, std), [cin, cout]));
    this.add(`${name}/b`, tf.zeros([cout]));
  }

  /** A parameter with a given starting value. */
  value(name: string, value: tf.Tensor): void {
    this.add(name, value);
  }
}

export function param<R extends tf.Rank>(params: Params, name: string): tf.Tensor<R> {
  const v = params.get(name);
  if (!v) throw new Error(`Missing parameter ${name}`);
  return v as unknown as tf.Tensor<R>;
}

export function countParams(params: Params): number {
  let n = 0;
  for (const v of params.values()) n += v.size;
  return n;
}

export function disposeParams(params: Params): void {
  for (const v of params.values()) v.dispose();
  params.clear();
}

/** What `model.json` holds besides the weights. */
export interface ModelFile<C> {
  readonly format: string;
  readonly formatVersion: 1;
  readonly config: C;
  /** Free-form facts about how the model was made: command, data, steps, time, metrics. */
  readonly training?: Record<string, unknown>;
}

interface ModelJson<C> extends ModelFile<C> {
  readonly generatedBy: string;
  readonly weightsManifest: Array<{ paths: string[]; weights: io.WeightsManifestEntry[] }>;
}

/**
 * Writes `dir/model.json` and `dir/weights.bin` (each under a temporary name, then renamed, so a
 * kill mid-write leaves the previous model whole). With `float16`, every weight is stored in half
 * precision (tfjs's `float16` quantization, which its loaders decode): half the bytes, values
 * within 1/2048 of themselves.
 */
export async function saveModel<C>(
  dir: string,
  file: ModelFile<C>,
  params: Params,
  opts: { readonly float16?: boolean } = {},
): Promise<void> {
  await mkdir(dir, { recursive: true });
  let bytes: Uint8Array;
  let specs: io.WeightsManifestEntry[];
  if (opts.float16) {
    const parts: Uint8Array[] = [];
    specs = [];
    for (const [name, v] of params) {
      if (v.dtype !== 'float32')
        throw new Error(`Only float32 weights are stored in half precision: ${name} is ${v.dtype}`);
      parts.push(halfBytes(await v.data()));
      specs.push({ name, shape: v.shape, dtype: 'float32', quantization: { dtype: 'float16' } });
    }
    bytes = Buffer.concat(parts);
  } else {
    const named: tf.NamedTensorMap = {};
    for (const [name, v] of params) named[name] = v;
    const encoded = await tf.io.encodeWeights(named);
    bytes = new Uint8Array(encoded.data);
    specs = encoded.specs;
  }
  const json: ModelJson<C> = {
    ...file,
    generatedBy: `vgrade, TensorFlow.js ${tf.version_core}`,
    weightsManifest: [{ paths: ['weights.bin'], weights: specs }],
  };
  const weightsPath = path.join(dir, 'weights.bin');
  const jsonPath = path.join(dir, 'model.json');
  await writeFile(`${weightsPath}.tmp`, bytes);
  await writeFile(`${jsonPath}.tmp`, `${JSON.stringify(json, null, 1)}\n`);
  await rename(`${weightsPath}.tmp`, weightsPath);
  await rename(`${jsonPath}.tmp`, jsonPath);
}

/**
 * The tensors a weights file holds. Float32 and half-precision weights are made straight from
 * the file's bytes (halves widened by `fromHalfBytes`: the same values as tfjs's decoder, in a
 * fraction of its time, which is most of a large model's load); anything else goes through
 * `tf.io.decodeWeights`.
 */
function decodeTensors(bin: Buffer, specs: readonly io.WeightsManifestEntry[]): Record<string, tf.Tensor> {
  const plain = (w: io.WeightsManifestEntry): boolean =>
    w.dtype === 'float32' && (w.quantization === undefined || w.quantization.dtype === 'float16');
  if (!specs.every(plain)) {
    return tf.io.decodeWeights(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.length) as ArrayBuffer, [
      ...specs,
    ]);
  }
  const out: Record<string, tf.Tensor> = {};
  let offset = 0;
  for (const w of specs) {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const half = w.quantization?.dtype === 'float16';
    const bytes = bin.subarray(offset, offset + (half ? 2 : 4) * size);
    // A copy where the bytes are not aligned for a Float32Array view (tfjs copies them anyway).
    const values = half
      ? fromHalfBytes(bytes)
      : bytes.byteOffset % 4 === 0
        ? new Float32Array(bytes.buffer, bytes.byteOffset, size)
        : new Float32Array(new Uint8Array(bytes).buffer);
    out[w.name] = tf.tensor(values, w.shape, 'float32');
    offset += bytes.length;
  }
  return out;
}

/**
 * Reads a model written by `saveModel`. `format` is the kind of network expected; a model of
 * another kind, or files that do not match their manifest, are refused with a message that says so.
 */
export async function loadModel<C>(
  dir: string,
  format: string,
): Promise<{ file: ModelFile<C>; params: Params }> {
  const jsonPath = path.join(dir, 'model.json');
  let json: ModelJson<C>;
  try {
    json = JSON.parse(await readFile(jsonPath, 'utf8')) as ModelJson<C>;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      throw new UsageError('E_MODEL', `No model at ${dir}: expected ${jsonPath}`);
    }
    throw new UsageError('E_MODEL', `Cannot read ${jsonPath}: ${(err as Error).message}`);
  }
  if (json.format !== format) {
    throw new UsageError(
      'E_MODEL',
      `Expected a ${format} model in ${dir} but ${jsonPath} holds ${json.format === undefined ? 'no vgrade model' : `a ${json.format} model`}`,
    );
  }
  const group = json.weightsManifest?.[0];
  if (!group || group.paths.length !== 1) {
    throw new UsageError('E_MODEL', `${jsonPath} has no weights manifest`);
  }
  const bin = await readFile(path.join(dir, group.paths[0]!));
  const expected = group.weights.reduce(
    (n, w) => n + w.shape.reduce((a, b) => a * b, 1) * (w.quantization?.dtype === 'float16' ? 2 : 4),
    0,
  );
  if (bin.length !== expected) {
    throw new RuntimeFailure(
      'E_MODEL',
      `${path.join(dir, group.paths[0]!)} has ${bin.length} bytes but its manifest describes ${expected}`,
    );
  }
  const tensors = decodeTensors(bin, group.weights);
  const params: Params = new Map();
  for (const [name, t] of Object.entries(tensors)) {
    params.set(name, tf.variable(t, false));
    t.dispose();
  }
  const { weightsManifest: _m, generatedBy: _g, ...file } = json;
  return { file, params };
}

/** Sum of squares of the weight tensors (not biases): the L2 penalty that weight decay adds. */
export function weightPenalty(params: Params): tf.Scalar {
  return tf.tidy(() => {
    const terms = [...params.entries()]
      .filter(([k]) => k.endsWith('/w'))
      .map(([, v]) => tf.sum(tf.square(v)));
    return tf.addN(terms) as tf.Scalar;
  });
}
