/**
 * Differentiable primitives shaped for the wasm backend, with native TensorFlow paths where they differ
 * (isNativeBackend: transpose flags instead of explicit transposes; see also attention.ts).
 *
 * On wasm only a plain 2-D matMul is fast (~22-29 GFLOP/s on the 2-core box); the transposeA/B flags
 * (~2 GFLOP/s) and batched 3-D matMul (~1-2 GFLOP/s) are an order of magnitude slower. TensorFlow.js'
 * own matMul gradient uses the flags, so every matMul here carries a custom gradient that transposes
 * explicitly and then multiplies plainly. `gather`'s gradient (UnsortedSegmentSum) does not exist on
 * wasm, so row selection carries a custom gradient too (a gather by the inverse index).
 */
import * as tf from '@tensorflow/tfjs';
import { freshCopy } from '../tensor/simd-kernels.js';

/**
 * Whether the active backend is native TensorFlow (tfjs-node / tfjs-node-gpu). There every op is one TFE_Execute
 * call: transpose flags and batched matMuls are as fast as plain 2-D ones, and each extra op or transpose costs a
 * kernel launch and a memory pass. The functions here take their native path then, with the same numbers.
 */
export function isNativeBackend(): boolean {
  return tf.getBackend() === 'tensorflow';
}

/** a: [M,K], b: [K,N] -> [M,N]; forward and backward are plain 2-D matMuls (native: matMuls with transpose flags). */
export function matMul2d(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  return matMul2dOp(a, b) as tf.Tensor2D;
}

const matMul2dOp = customOp(([a, b], save) => {
  save([a, b]);
  return {
    value: matMulReleasing(a as tf.Tensor2D, b as tf.Tensor2D),
    gradFunc: (dy, saved) => {
      const g = dy as tf.Tensor2D;
      const [sa, sb] = saved as [tf.Tensor2D, tf.Tensor2D];
      if (isNativeBackend()) return [tf.matMul(g, sb, false, true), tf.matMul(sa, g, true, false)];
      return [tf.matMul(g, tf.transpose(sb)), matMulReleasing(tf.transpose(sa), g)];
    },
  };
});

/**
 * a·b (+ bias) for a right operand that outlives the call (a weight, a saved activation, a gradient the
 * engine keeps until backprop ends). wasm's matMul packs the right operand and caches the packed copy
 * until that tensor is disposed, so multiplying by a long-lived tensor held a second copy of it just as
 * long: for ViT-B every weight of both networks plus every activation gradient, ~1.5 GB of the 4 GiB
 * wasm heap. Multiplying by a fresh copy (one memory pass, negligible next to the matMul) and disposing
 * it frees the packed form at once. Other backends multiply directly.
 */
function matMulReleasing(a: tf.Tensor2D, b: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor2D {
  const copy = tf.getBackend() === 'wasm';
  const right = copy ? freshCopy(b) : b;
  const out = (bias ? tf.fused.matMul({ a, b: right, bias }) : tf.matMul(a, right)) as tf.Tensor2D;
  if (copy) right.dispose();
  return out;
}

/**
 * Fully connected layer. x: [..., in] -> [..., out]. weight is stored [in, out] (the transpose of
 * PyTorch's nn.Linear layout) so that the forward pass needs no transpose at all.
 * With a bias it is one custom op: the bias rides in the matMul (wasm fuses it into the XNNPACK kernel)
 * and the gradient is dX = dY·Wᵀ, dW = Xᵀ·dY, db = Σ_rows dY, all plain 2-D matMuls.
 */
export function linear(x: tf.Tensor, weight: tf.Tensor2D, bias?: tf.Tensor1D): tf.Tensor {
  const [inDim, outDim] = weight.shape;
  const lead = x.shape.slice(0, -1);
  const x2d = x.reshape([-1, inDim]) as tf.Tensor2D;
  const y = bias ? (linearOp(x2d, weight, bias) as tf.Tensor2D) : matMul2d(x2d, weight);
  return y.reshape([...lead, outDim]);
}

const linearOp = customOp(([x, w, b], save) => {
  save([x, w]);
  return {
    value: denseForward(x as tf.Tensor2D, w as tf.Tensor2D, b as tf.Tensor1D),
    gradFunc: (dy, saved) => {
      const [sx, sw] = saved as [tf.Tensor2D, tf.Tensor2D];
      return denseBackward(dy as tf.Tensor2D, sx, sw);
    },
  };
});

/**
 * x·W + b. x: [M, K], w: [K, N], b: [N] -> [M, N].
 * Usually one kernel with the bias fused into the matMul. For few rows against a large weight (the online
 * encoder sees B·(1+Lv) tokens: 100 for ViT-B at batch 2) it computes (Wᵀ·xᵀ)ᵀ + b instead: wasm's
 * matMul streams the left operand and packs the right one, and packing a large W for 100 rows costs
 * more than transposing it (measured, M=100, 768×3072: 16.5 -> 22.4 GFLOP/s).
 */
export function denseForward(x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D {
  const [rows, inDim] = x.shape;
  if (fewRows(rows, inDim, w.shape[1], 0.5)) return tf.add(tf.transpose(tf.matMul(tf.transpose(w), tf.transpose(x))), b) as tf.Tensor2D;
  return matMulReleasing(x, w, b);
}

/**
 * Gradients of x·W + b as [dX, dW, db], plain 2-D matMuls on explicit transposes. dy: [M, N].
 * dX is dy·Wᵀ, or (W·dyᵀ)ᵀ for few rows (see denseForward; M=100, 3072×768: 14.9 -> 25.8 GFLOP/s).
 */
export function denseBackward(dy: tf.Tensor2D, x: tf.Tensor2D, w: tf.Tensor2D): [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D] {
  const [inDim, outDim] = w.shape;
  if (isNativeBackend()) return [tf.matMul(dy, w, false, true), tf.matMul(x, dy, true, false), tf.sum(dy, 0) as tf.Tensor1D];
  const dx = (fewRows(dy.shape[0], inDim, outDim, 0.7) ? tf.transpose(tf.matMul(w, tf.transpose(dy))) : tf.matMul(dy, tf.transpose(w))) as tf.Tensor2D;
  return [dx, matMulReleasing(tf.transpose(x), dy), tf.sum(dy, 0) as tf.Tensor1D];
}

/**
 * Whether [rows, inDim]·[inDim, outDim] is faster as the transposed product on wasm: the transposes and
 * packing then move rows·(in + out) values instead of in·out. Thresholds from timings on the 2-core box
 * (rows 100-1576, widths 192-3072): the transposed dX won by 10-45 % below 0.7 and lost or tied above; the
 * transposed forward gives up the fused bias and won clearly only below ~0.5 (at 0.64, ViT-B's 394 rows,
 * it tied).
 */
function fewRows(rows: number, inDim: number, outDim: number, threshold: number): boolean {
  return tf.getBackend() === 'wasm' && rows * (inDim + outDim) < threshold * inDim * outDim;
}

/**
 * LayerNorm over the last axis, biased variance as in PyTorch. x: [..., D] -> [..., D].
 * One custom op that keeps only x̂ and 1/σ for the gradient:
 *   dx = (1/σ)·(g − mean(g) − x̂·mean(g·x̂)) with g = dy·γ;  dγ = Σ dy·x̂;  dβ = Σ dy
 * (autodiff of the composed ops kept ~8 intermediates, and later their gradients, per call).
 */
export function layerNorm(x: tf.Tensor, gamma: tf.Tensor1D, beta: tf.Tensor1D, eps: number): tf.Tensor {
  const dim = x.shape[x.shape.length - 1];
  return layerNormOp(eps)(x.reshape([-1, dim]), gamma, beta).reshape(x.shape);
}

const layerNormOps = new Map<number, (...inputs: tf.Tensor[]) => tf.Tensor>();

function layerNormOp(eps: number): (...inputs: tf.Tensor[]) => tf.Tensor {
  let op = layerNormOps.get(eps);
  if (!op) {
    op = customOp(([x, gamma, beta], save) => {
      const centered = tf.sub(x, tf.mean(x, -1, true));
      const rstd = tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps));
      const xhat = tf.mul(centered, rstd);
      save([xhat, rstd, gamma]);
      return {
        value: tf.add(tf.mul(xhat, gamma), beta),
        gradFunc: (dy, saved) => {
          const [sx, sr, sg] = saved;
          const g = tf.mul(dy, sg);
          const dx = tf.mul(sr, tf.sub(tf.sub(g, tf.mean(g, -1, true)), tf.mul(sx, tf.mean(tf.mul(g, sx), -1, true))));
          return [dx, tf.sum(tf.mul(dy, sx), 0), tf.sum(dy, 0)];
        },
      };
    });
    layerNormOps.set(eps, op);
  }
  return op;
}

/**
 * Exact GELU, x·Φ(x) = 0.5·x·(1 + erf(x/√2)), as nn.GELU() in PyTorch (not the tanh approximation).
 * Custom gradient dy·(Φ(x) + x·φ(x)) (φ the standard normal density), keeping x and 1 + erf(x/√2).
 */
export function gelu(x: tf.Tensor): tf.Tensor {
  return geluOp(x);
}

const geluOp = customOp(([x], save) => {
  const { value, onePlusErf } = geluForward(x);
  save([x, onePlusErf]);
  return { value, gradFunc: (dy, saved) => geluBackward(dy, saved[0], saved[1]) };
});

function geluForward(x: tf.Tensor): { value: tf.Tensor; onePlusErf: tf.Tensor } {
  const onePlusErf = tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1);
  return { value: tf.mul(tf.mul(x, 0.5), onePlusErf), onePlusErf };
}

const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

/** dy·GELU'(x) = dy·(0.5·(1 + erf(x/√2)) + x·exp(−x²/2)/√(2π)). */
function geluBackward(dy: tf.Tensor, x: tf.Tensor, onePlusErf: tf.Tensor): tf.Tensor {
  const density = tf.exp(tf.mul(tf.square(x), -0.5));
  return tf.mul(dy, tf.add(tf.mul(onePlusErf, 0.5), tf.mul(tf.mul(x, INV_SQRT_2PI), density)));
}

/**
 * The transformer MLP fc2(GELU(fc1(x))) as one custom op. x: [M, D] -> [M, D].
 * It keeps x, fc1's output and 1 + erf for the gradient (GELU's output is recomputed: one multiply), so a
 * block's MLP leaves 3 tensors on the tape instead of ~10 plus their gradients.
 */
export function mlp(x: tf.Tensor2D, w1: tf.Tensor2D, b1: tf.Tensor1D, w2: tf.Tensor2D, b2: tf.Tensor1D): tf.Tensor2D {
  return mlpOp(x, w1, b1, w2, b2) as tf.Tensor2D;
}

const mlpOp = customOp(([x, w1, b1, w2, b2], save) => {
  const pre = denseForward(x as tf.Tensor2D, w1 as tf.Tensor2D, b1 as tf.Tensor1D);
  const { value: act, onePlusErf } = geluForward(pre);
  save([x, w1, w2, pre, onePlusErf]);
  return {
    value: denseForward(act as tf.Tensor2D, w2 as tf.Tensor2D, b2 as tf.Tensor1D),
    gradFunc: (dy, saved) => {
      const [sx, sw1, sw2, sPre, sErf] = saved as tf.Tensor2D[];
      const act2 = tf.mul(tf.mul(sPre, 0.5), sErf) as tf.Tensor2D;
      const [dAct, dW2, dB2] = denseBackward(dy as tf.Tensor2D, act2, sw2);
      const dPre = geluBackward(dAct, sPre, sErf) as tf.Tensor2D;
      const [dX, dW1, dB1] = denseBackward(dPre, sx, sw1);
      return [dX, dW1, dB1, dW2, dB2];
    },
  };
});

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
    // The engine calls a custom gradient outside any per-node scope, so without this tidy its temporaries
    // (explicit transposes, and on wasm the packed copy of each right operand) would live until the whole
    // backward pass ends.
    return { value, gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => tf.tidy(() => gradFunc(dy as tf.Tensor, saved)) };
  }) as Parameters<typeof tf.customGrad>[0]);
  return (...inputs: tf.Tensor[]) => op(...inputs);
}

/** tf.tidy for functions that return an object of tensors. */
export function tidyObject<T>(fn: () => T): T {
  return tf.tidy(fn as unknown as () => tf.TensorContainer) as unknown as T;
}
