/**
 * Differentiable primitives shaped for the wasm backend.
 *
 * On wasm only a plain 2-D matMul is fast (~22-29 GFLOP/s on the 2-core box); the transposeA/B flags
 * (~2 GFLOP/s) and batched 3-D matMul (~1-2 GFLOP/s) are an order of magnitude slower. TensorFlow.js'
 * own matMul gradient uses the flags, so every matMul here carries a custom gradient that transposes
 * explicitly and then multiplies plainly. `gather`'s gradient (UnsortedSegmentSum) does not exist on
 * wasm, so row selection carries a custom gradient too (a gather by the inverse index).
 */
import * as tf from '@tensorflow/tfjs';

/** a: [M,K], b: [K,N] -> [M,N]; forward and backward are plain 2-D matMuls. */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matMul2dOp(a, b) as tf.Tensor2D;
}

const matMul2dOp = customOp(([a, b], save) => {
  save([a, b]);
  return {
    value: tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy, saved) => {
      const g = dy as tf.Tensor2D;
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      return [tf.matMul(g, tf.transpose(sb)), tf.matMul(tf.transpose(sa), g)];
    },
  };
});

/**
 * Fully connected layer. x: [..., in] -> [..., out]. weight is stored [in, out] (the transpose of
 * PyTorch's nn.Linear layout) so that the forward pass needs no transpose at all.
 */
export function linear(x: tf.Tensor, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor {
  const [inDim, outDim] = weight.shape;
  const lead = x.shape.slice(0, -1);
  const x2d = x.reshape([-1, inDim]) as tf.Tensor2D;
  let y: tf.Tensor = matMul2d(x2d, weight);
  if (bias) y = tf.add(y, bias);
  return y.reshape([...lead, outDim]);
}

/** LayerNorm over the last axis, biased variance as in PyTorch. x: [..., D] -> [..., D]. */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor {
  const mean = tf.mean(x, -1, true);
  const centered = tf.sub(x, mean);
  const variance = tf.mean(tf.square(centered), -1, true);
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(variance, eps))), gamma), beta);
}

/** Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)), as nn.GELU() in PyTorch (not the tanh approximation). */
export function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
}

/** x / max(‖x‖₂, 1e-12) over the last axis, as torch.nn.functional.normalize. */
export function l2Normalize(x: tf.Tensor): tf.Tensor {
  const norm = tf.sqrt(tf.sum(tf.square(x), -1, true));
  return tf.div(x, tf.maximum(norm, 1e-12));
}

/**
 * Row selection with an explicit inverse for the gradient. x: [R, D] -> [R', D].
 * `forward[i]` is the input row that output row i copies, or -1 for a zero row.
 * `backward[j]` is the output row that input row j went to, or -1 if it was dropped.
 * Every input row may be used at most once (so the gradient is itself a gather).
 */
export function permuteRows(x: tf.Tensor2D, forward: Int32Array, backward: Int32Array): tf.Tensor2D {
  if (backward.length !== x.shape[0]) {
    throw new Error(`permuteRows: backward index has ${backward.length} rows, input has ${x.shape[0]}`);
  }
  const op = customOp(([input]) => ({
    value: gatherWithZeroRow(input as tf.Tensor2D, forward),
    gradFunc: (dy) => gatherWithZeroRow(dy as tf.Tensor2D, backward),
  }));
  return op(x) as tf.Tensor2D;
}

/** Rows of x by index; -1 picks a row of zeros. x: [R, D], index: [R'] -> [R', D]. */
function gatherWithZeroRow(x: tf.Tensor2D, index: Int32Array): tf.Tensor2D {
  return tf.tidy(() => {
    const rows = x.shape[0];
    const needsZero = index.some((i) => i < 0);
    const source = needsZero ? tf.concat([x, tf.zeros([1, x.shape[1]])], 0) : x;
    const idx = needsZero ? index.map((i) => (i < 0 ? rows : i)) : index;
    return tf.gather(source, tf.tensor1d(idx, 'int32')) as tf.Tensor2D;
  });
}

/** Identity forward, zero gradient (TensorFlow.js has no stop_gradient op). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}

const stopGradientOp = customOp(([x]) => ({ value: tf.clone(x), gradFunc: (dy) => tf.zerosLike(dy) }));

type GradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];

/** tf.customGrad with the inputs as an array and the typing TensorFlow.js' declaration makes awkward. */
export function customOp(
  f: (inputs: tf.Tensor[], save: tf.GradSaveFunc) => { value: tf.Tensor; gradFunc: GradFunc },
): (...inputs: tf.Tensor[]) => tf.Tensor {
  const op = tf.customGrad(((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const { value, gradFunc } = f(args.slice(0, -1) as tf.Tensor[], save);
    return { value, gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => gradFunc(dy as tf.Tensor, saved) };
  }) as Parameters<typeof tf.customGrad>[0]);
  return (...inputs: tf.Tensor[]) => op(...inputs);
}

/** tf.tidy for functions that return an object of tensors. */
export function tidyObject<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}
