/*
 * Kernels the wasm backend lacks and training needs.
 *
 * `Conv2DBackpropFilter` (the gradient of a convolution with respect to its filter):
 *
 *   dW[i, j, c, o] = sum over n, y, x of  X[n, y*s + i*d - top, x*s + j*d - left, c] * dY[n, y, x, o]
 *
 * which is itself a convolution: take the input with batch and channels swapped (channels become
 * the batch, images become the channels) and convolve it with the output gradient, also
 * transposed, used as the filter, with the original stride as the dilation. The result is
 * [c, kh, kw, o]; one transpose gives the filter's layout. It runs on the wasm backend's fast
 * forward convolution (about 150 ms for a 3x3, 32 -> 32 layer on a 256x144 frame, where the `cpu`
 * backend's own kernel took about 49 s).
 *
 * Padding is applied explicitly, then the padded input is cut (or extended) to exactly the rows and
 * columns the filter taps reach, so the convolution is VALID and its output has the filter's size.
 *
 * `Conv2DBackpropInput` (the gradient with respect to the input) exists on wasm but is a plain
 * loop: about 300 ms of a 480 ms training step of the generator. It is replaced the same way: the
 * output gradient, with zeros inserted between its rows and columns for a stride above 1, padded
 * so that every tap lines up, is convolved with the filter turned 180 degrees and with its
 * channels swapped (dx[h] = sum_i dY'[h + top - i] W[i]).
 */
import type {
  backend_util,
  KernelConfig,
  NamedAttrMap,
  NamedTensorInfoMap,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { tf } from './tfjs.js';

interface BackpropFilterAttrs {
  strides: [number, number] | number;
  pad: 'valid' | 'same' | number | backend_util.ExplicitPadding;
  dataFormat: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  filterShape: [number, number, number, number];
}

/** Strides, output size and leading padding of a convolution, as tfjs computes them. */
function convGeometry(
  inputShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: BackpropFilterAttrs['pad'],
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): { sh: number; sw: number; oh: number; ow: number; top: number; left: number } {
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filterShape,
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    'channelsLast',
  );
  return {
    sh: info.strideHeight,
    sw: info.strideWidth,
    oh: info.outHeight,
    ow: info.outWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/** The filter gradient computed with ordinary tfjs ops (so it runs on whichever backend is active). */
export function conv2dFilterGradient(
  x: tf.Tensor4D,
  dy: tf.Tensor4D,
  filterShape: [number, number, number, number],
  strides: [number, number] | number,
  pad: BackpropFilterAttrs['pad'],
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const { sh, sw, oh, ow, top, left } = convGeometry(x.shape, filterShape, strides, pad, dimRoundingMode);
    const [kh, kw] = filterShape;
    // Rows/columns of the padded input that the taps reach: (k-1) + (out-1)*s + 1.
    const needH = kh - 1 + (oh - 1) * sh + 1;
    const needW = kw - 1 + (ow - 1) * sw + 1;
    const [, h, w] = x.shape;
    const bottom = Math.max(0, needH - (h + top));
    const right = Math.max(0, needW - (w + left));
    let xp: tf.Tensor4D = x;
    if (top || bottom || left || right) {
      xp = tf.pad(x, [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ]);
    }
    xp = tf.slice(xp, [0, 0, 0, 0], [-1, needH, needW, -1]);
    const xt = tf.transpose(xp, [3, 1, 2, 0]); // [c, H, W, n]
    const dyt = tf.transpose(dy, [1, 2, 0, 3]); // [oh, ow, n, o]
    const g = tf.conv2d(xt, dyt as tf.Tensor4D, 1, 'valid', 'NHWC', [sh, sw]); // [c, kh, kw, o]
    return tf.transpose(g, [1, 2, 0, 3]);
  });
}

/** The input gradient computed with ordinary tfjs ops. */
export function conv2dInputGradient(
  inputShape: [number, number, number, number],
  dy: tf.Tensor4D,
  filter: tf.Tensor4D,
  strides: [number, number] | number,
  pad: BackpropFilterAttrs['pad'],
  dimRoundingMode?: 'floor' | 'round' | 'ceil',
): tf.Tensor4D {
  return tf.tidy(() => {
    const { sh, sw, oh, ow, top, left } = convGeometry(
      inputShape,
      filter.shape,
      strides,
      pad,
      dimRoundingMode,
    );
    const [n, h, w] = inputShape;
    const [kh, kw, , co] = filter.shape;
    // Zeros between rows and columns: the stride undone.
    let d: tf.Tensor4D = dy;
    if (sh > 1 || sw > 1) {
      const spread = tf.pad(tf.reshape(dy, [n, oh, 1, ow, 1, co]), [
        [0, 0],
        [0, 0],
        [0, sh - 1],
        [0, 0],
        [0, sw - 1],
        [0, 0],
      ]);
      d = tf.reshape(spread, [n, oh * sh, ow * sw, co]);
      d = tf.slice(d, [0, 0, 0, 0], [n, (oh - 1) * sh + 1, (ow - 1) * sw + 1, co]);
    }
    // Lead: kh - 1 - top rows before (cut if negative); trail: enough for an output of h rows.
    const fit = (t: tf.Tensor4D, axis: 1 | 2, lead: number, total: number): tf.Tensor4D => {
      if (lead < 0) {
        const begin = [0, 0, 0, 0];
        begin[axis] = -lead;
        const size = [-1, -1, -1, -1];
        t = tf.slice(t, begin, size);
        lead = 0;
      }
      const trail = total - lead - t.shape[axis];
      const paddings: Array<[number, number]> = [
        [0, 0],
        [0, 0],
        [0, 0],
        [0, 0],
      ];
      paddings[axis] = [lead, Math.max(0, trail)];
      if (lead > 0 || trail > 0) t = tf.pad(t, paddings);
      if (trail < 0) {
        const size = [-1, -1, -1, -1];
        size[axis] = total;
        t = tf.slice(t, [0, 0, 0, 0], size);
      }
      return t;
    };
    d = fit(d, 1, kh - 1 - top, h + kh - 1);
    d = fit(d, 2, kw - 1 - left, w + kw - 1);
    const turned = tf.transpose(tf.reverse(filter, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D; // [kh, kw, co, ci]
    return tf.conv2d(d, turned, 1, 'valid');
  });
}

function backpropInputKernel(args: {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}): TensorInfo {
  const attrs = args.attrs as unknown as Omit<BackpropFilterAttrs, 'filterShape'> & {
    inputShape: [number, number, number, number];
  };
  if (attrs.dataFormat !== 'NHWC') {
    throw new Error(`Conv2DBackpropInput on wasm supports NHWC only, not ${attrs.dataFormat}`);
  }
  return withWrapped(
    args,
    (dy, filter) =>
      conv2dInputGradient(attrs.inputShape, dy, filter, attrs.strides, attrs.pad, attrs.dimRoundingMode),
    ['dy', 'filter'],
  );
}

/**
 * Runs `f` on the kernel's inputs wrapped as tensors and hands its result to the engine as the
 * kernel's output. Each wrapper takes its own reference in the backend, so disposing it leaves the
 * caller's tensor intact; the result gets one more reference before its wrapper goes.
 */
function withWrapped(
  args: { inputs: NamedTensorInfoMap; backend: unknown },
  f: (a: tf.Tensor4D, b: tf.Tensor4D) => tf.Tensor4D,
  names: [string, string],
): TensorInfo {
  const backend = args.backend as { incRef(dataId: object): void };
  const engine = tf.engine();
  const wrap = (info: TensorInfo): tf.Tensor4D => {
    backend.incRef(info.dataId);
    return engine.makeTensorFromTensorInfo(info) as tf.Tensor4D;
  };
  const a = wrap(args.inputs[names[0]]!);
  const b = wrap(args.inputs[names[1]]!);
  const result = f(a, b);
  backend.incRef(result.dataId);
  const out: TensorInfo = { dataId: result.dataId, shape: result.shape, dtype: result.dtype };
  a.dispose();
  b.dispose();
  result.dispose();
  return out;
}

function backpropFilterKernel(args: {
  inputs: NamedTensorInfoMap;
  backend: unknown;
  attrs?: NamedAttrMap;
}): TensorInfo {
  const attrs = args.attrs as unknown as BackpropFilterAttrs;
  if (attrs.dataFormat !== 'NHWC') {
    throw new Error(`Conv2DBackpropFilter on wasm supports NHWC only, not ${attrs.dataFormat}`);
  }
  return withWrapped(
    args,
    (x, dy) =>
      conv2dFilterGradient(x, dy, attrs.filterShape, attrs.strides, attrs.pad, attrs.dimRoundingMode),
    ['x', 'dy'],
  );
}

let registered = false;

/** Registers the missing training kernels on the wasm backend (once per process). */
export function registerWasmTrainingKernels(): void {
  if (registered) return;
  registered = true;
  if (tf.getKernel('Conv2DBackpropFilter', 'wasm') === undefined) {
    const config: KernelConfig = {
      kernelName: 'Conv2DBackpropFilter',
      backendName: 'wasm',
      kernelFunc: backpropFilterKernel as KernelConfig['kernelFunc'],
    };
    tf.registerKernel(config);
  }
  if (tf.getKernel('Conv2DBackpropInput', 'wasm') !== undefined)
    tf.unregisterKernel('Conv2DBackpropInput', 'wasm');
  tf.registerKernel({
    kernelName: 'Conv2DBackpropInput',
    backendName: 'wasm',
    kernelFunc: backpropInputKernel as KernelConfig['kernelFunc'],
  });
}
