/**
 * Multi-head self-attention (timm `Attention`: one qkv Linear with bias, softmax(q·kᵀ/√d)·v, proj Linear).
 *
 * The per-head products run as a loop of plain 2-D matMuls inside one custom-gradient op, with every
 * transpose done once for the whole [B·H, T, d] stack. Measured on the 2-core box (wasm; other jobs ran
 * on the box too, so ±30 %):
 *   forward + backward of softmax(q·kᵀ)·v alone       batched 3-D matMul | 2-D loop
 *     B·H=24,  T=50,  d=64                               25-29 ms          |  36 ms   (tie within noise)
 *     B·H=32,  T=197, d=32                              223-415 ms         | 186 ms
 *     B·H=128, T=197, d=32                             1112-1584 ms        | 378 ms
 *     B·H=64,  T=197, d=64                             1146-1888 ms        | 550 ms
 *   one demo-preset training step, batch 8: batched 3.20 s (3.25 s with explicit transposes),
 *   2-D loop 1.64 s, 2-D loop without the Unpack fix of lib/tensor/wasm-kernels.ts 1.9-2.3 s.
 * So the loop is the only path kept.
 */
import * as tf from '@tensorflow/tfjs';
import { customOp, linear } from './ops.js';

export interface AttentionParams {
  qkvWeight: tf.Tensor2D; // [D, 3D]
  qkvBias: tf.Tensor1D; // [3D]
  projWeight: tf.Tensor2D; // [D, D]
  projBias: tf.Tensor1D; // [D]
}

/** x: [B, T, D] -> [B, T, D]. */
export function attention(x: tf.Tensor3D, p: AttentionParams, numHeads: number): tf.Tensor3D {
  const [batch, tokens, dim] = x.shape;
  const headDim = dim / numHeads;
  const qkv = linear(x, p.qkvWeight, p.qkvBias).reshape([batch * tokens, 3 * dim]) as tf.Tensor2D;
  const [q, k, v] = tf.split(qkv, 3, 1).map((t) => splitHeads(t, batch, tokens, numHeads, headDim));
  const heads = scaledDotProductAttention(tf.mul(q, 1 / Math.sqrt(headDim)) as tf.Tensor3D, k, v);
  const merged = heads.reshape([batch, numHeads, tokens, headDim]).transpose([0, 2, 1, 3]).reshape([batch, tokens, dim]);
  return linear(merged, p.projWeight, p.projBias) as tf.Tensor3D;
}

/** t: [B·T, H·d] -> [B·H, T, d]. */
function splitHeads(t: tf.Tensor, batch: number, tokens: number, heads: number, headDim: number): tf.Tensor3D {
  return t.reshape([batch, tokens, heads, headDim]).transpose([0, 2, 1, 3]).reshape([batch * heads, tokens, headDim]);
}

/** softmax(q·kᵀ)·v per group. q (already scaled), k, v: [G, T, d] -> [G, T, d]. */
export function scaledDotProductAttention(q: tf.Tensor3D, k: tf.Tensor3D, v: tf.Tensor3D): tf.Tensor3D {
  return attentionOp(q, k, v) as tf.Tensor3D;
}

const attentionOp = customOp(([q, k, v], save) => {
  const probs = tf.softmax(pairwise(q as tf.Tensor3D, transpose12(k as tf.Tensor3D)));
  const out = pairwise(probs, v as tf.Tensor3D);
  save([q, k, v, probs]);
  return {
    value: out,
    gradFunc: (dy, saved) => {
      const [sq, sk, sv, sp] = saved as [tf.Tensor3D, tf.Tensor3D, tf.Tensor3D, tf.Tensor3D];
      const dOut = dy as tf.Tensor3D;
      const dProbs = pairwise(dOut, transpose12(sv)); // [G,T,T]
      const dV = pairwise(transpose12(sp), dOut); // [G,T,d]
      // softmax backward: dS = P ⊙ (dP − Σ_j dP·P)
      const dScores = tf.mul(sp, tf.sub(dProbs, tf.sum(tf.mul(dProbs, sp), -1, true))) as tf.Tensor3D;
      const dQ = pairwise(dScores, sk); // [G,T,d]
      const dK = pairwise(transpose12(dScores), sq); // [G,T,d]
      return [dQ, dK, dV];
    },
  };
});

/** a: [G, M, K], b: [G, K, N] -> [G, M, N] as G plain 2-D matMuls. */
function pairwise(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const as = tf.unstack(a) as tf.Tensor2D[];
  const bs = tf.unstack(b) as tf.Tensor2D[];
  const products = as.map((ai, i) => tf.matMul(ai, bs[i]));
  const out = tf.stack(products) as tf.Tensor3D;
  tf.dispose([...as, ...bs, ...products]);
  return out;
}

function transpose12(t: tf.Tensor3D): tf.Tensor3D {
  return tf.transpose(t, [0, 2, 1]);
}
