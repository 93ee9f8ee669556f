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
 * So the loop is the only path kept. `attention` wraps the whole sub-layer (both Linears included) in that
 * one op, which keeps the tape to a handful of tensors per layer (bench/train.ts: ViT-S batch 4 peaked at
 * a 4.0 GB wasm heap with per-op autodiff, 1.7 GB now); `scaledDotProductAttention` is the inner part alone.
 */
import * as tf from '@tensorflow/tfjs';
import { customOp, denseBackward, denseForward, isNativeBackend, linear } from './ops.js';

export interface AttentionParams {
  qkvWeight: tf.Tensor2D; // [D, 3D]
  qkvBias: tf.Tensor1D; // [3D]
  projWeight: tf.Tensor2D; // [D, D]
  projBias: tf.Tensor1D; // [D]
}

/** x: [B, T, D] -> [B, T, D]. */
export function attention(x: tf.Tensor3D, p: AttentionParams, numHeads: number): tf.Tensor3D {
  const [batch, tokens, dim] = x.shape;
  const native = isNativeBackend();
  const key = `${native ? 'native' : 'loop'}/${batch}/${tokens}/${numHeads}/${dim}`;
  let op = attentionOps.get(key);
  const make = native ? batchedAttentionOp : attentionBlockOp;
  if (!op) attentionOps.set(key, (op = make(batch, tokens, numHeads, dim / numHeads)));
  const out = op(x.reshape([batch * tokens, dim]), p.qkvWeight, p.qkvBias, p.projWeight, p.projBias);
  return out.reshape([batch, tokens, dim]) as tf.Tensor3D;
}

const attentionOps = new Map<string, (...inputs: tf.Tensor[]) => tf.Tensor>();

/**
 * The whole attention sub-layer (qkv Linear, per-head softmax(q·kᵀ)·v, proj Linear) as one custom op,
 * so that the tape holds h, qkv, the probabilities and the merged heads instead of ~15 intermediates per
 * layer and their gradients. h: [B·T, D], weights as AttentionParams -> [B·T, D].
 *
 * Layout: qkv columns are (s, head, j) with s ∈ {q, k, v}; [B, T, 3H, d] -> [B, 3H, T, d] puts every
 * head's q, k and v in contiguous [T, d] blocks (block (b·3 + s)·H + head). q is scaled by 1/√d before
 * q·kᵀ as timm does, by multiplying qkv with a per-column scale (exactly 1 on the k and v columns).
 */
function attentionBlockOp(batch: number, tokens: number, heads: number, headDim: number): (...inputs: tf.Tensor[]) => tf.Tensor {
  const dim = heads * headDim;
  const groups = batch * heads;
  const colScale = () => tf.concat([tf.fill([dim], 1 / Math.sqrt(headDim)), tf.ones([2 * dim])]) as tf.Tensor1D;
  /** [B·T, 3D] -> per-head [T, d] blocks, index (b·3 + s)·H + head. */
  const headBlocks = (qkv: tf.Tensor) =>
    tf.unstack(qkv.reshape([batch, tokens, 3 * heads, headDim]).transpose([0, 2, 1, 3]).reshape([3 * groups, tokens, headDim])) as tf.Tensor2D[];
  /** [B·T, 3D] -> the per-head [d, T] transposes of part s (1 = k, 2 = v), index b·H + head. */
  const transposedPart = (qkv: tf.Tensor, s: number) =>
    tf.unstack(
      qkv.slice([0, s * dim], [batch * tokens, dim]).reshape([batch, tokens, heads, headDim]).transpose([0, 2, 3, 1]).reshape([groups, headDim, tokens]),
    ) as tf.Tensor2D[];
  const block = (parts: tf.Tensor2D[], s: number, g: number) => parts[(Math.floor(g / heads) * 3 + s) * heads + (g % heads)];
  /** G per-head [T, d] results -> [B·T, D] with the heads side by side again. */
  const mergeHeads = (perHead: tf.Tensor[]) =>
    tf.stack(perHead).reshape([batch, heads, tokens, headDim]).transpose([0, 2, 1, 3]).reshape([batch * tokens, dim]);

  return customOp(([h, wQkv, bQkv, wProj, bProj], save) => {
    const scale = colScale();
    const qkv = tf.mul(denseForward(h as tf.Tensor2D, wQkv as tf.Tensor2D, bQkv as tf.Tensor1D), scale);
    const parts = headBlocks(qkv);
    const kT = transposedPart(qkv, 1);
    const probs = tf.softmax(tf.stack(Array.from({ length: groups }, (_, g) => tf.matMul(block(parts, 0, g), kT[g])))) as tf.Tensor3D;
    const probsEach = tf.unstack(probs) as tf.Tensor2D[];
    const merged = mergeHeads(probsEach.map((pg, g) => tf.matMul(pg, block(parts, 2, g)))) as tf.Tensor2D;
    save([h, wQkv, wProj, qkv, probs, merged, scale]);
    return {
      value: denseForward(merged, wProj as tf.Tensor2D, bProj as tf.Tensor1D),
      gradFunc: (dy, saved) => {
        const [sh, sWQkv, sWProj, sQkv, sProbs, sMerged, sScale] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor3D, tf.Tensor2D, tf.Tensor1D];
        const [dMerged, dWProj, dBProj] = denseBackward(dy as tf.Tensor2D, sMerged, sWProj);
        const dOut = tf.unstack(dMerged.reshape([batch, tokens, heads, headDim]).transpose([0, 2, 1, 3]).reshape([groups, tokens, headDim])) as tf.Tensor2D[];
        const blocks = headBlocks(sQkv);
        const vT = transposedPart(sQkv, 2);
        const probsT = tf.unstack(tf.transpose(sProbs, [0, 2, 1])) as tf.Tensor2D[];
        // softmax backward on the stack: dS = P ⊙ (dP − Σ_j dP·P)
        const dProbs = tf.stack(dOut.map((d, g) => tf.matMul(d, vT[g])));
        const dScores = tf.mul(sProbs, tf.sub(dProbs, tf.sum(tf.mul(dProbs, sProbs), -1, true))) as tf.Tensor3D;
        const dScoresEach = tf.unstack(dScores) as tf.Tensor2D[];
        const dScoresT = tf.unstack(tf.transpose(dScores, [0, 2, 1])) as tf.Tensor2D[];
        // Gradient blocks in the forward's (b, s, head) order, then back to [B·T, 3D] columns.
        const dBlocks: tf.Tensor2D[] = [];
        for (let b = 0; b < batch; b++) {
          for (let s = 0; s < 3; s++) {
            for (let hd = 0; hd < heads; hd++) {
              const g = b * heads + hd;
              if (s === 0) dBlocks.push(tf.matMul(dScoresEach[g], block(blocks, 1, g)));
              else if (s === 1) dBlocks.push(tf.matMul(dScoresT[g], block(blocks, 0, g)));
              else dBlocks.push(tf.matMul(probsT[g], dOut[g]));
            }
          }
        }
        const dQkvScaled = tf.stack(dBlocks).reshape([batch, 3 * heads, tokens, headDim]).transpose([0, 2, 1, 3]).reshape([batch * tokens, 3 * dim]);
        const [dH, dWQkv, dBQkv] = denseBackward(tf.mul(dQkvScaled, sScale) as tf.Tensor2D, sh, sWQkv);
        return [dH, dWQkv, dBQkv, dWProj, dBProj];
      },
    };
  });
}

/**
 * The same sub-layer for the native TensorFlow backend, where one BatchMatMul over all B·H heads (with its
 * transpose flags, which cost nothing there) beats G small products plus stack/unstack by far: 4 batched
 * products forward, 4 backward, one 5-D transpose each way, and the 1/√d scale applied to the [G, T, T] scores
 * (forward) and their gradient. h: [B·T, D] -> [B·T, D]; same parameters and numbers as attentionBlockOp.
 */
function batchedAttentionOp(batch: number, tokens: number, heads: number, headDim: number): (...inputs: tf.Tensor[]) => tf.Tensor {
  const dim = heads * headDim;
  const groups = batch * heads;
  const scale = 1 / Math.sqrt(headDim);
  /** [B·T, 3D] (columns s, head, j) -> q, k, v as [G, T, d] with G = b·H + head. */
  const split = (qkv: tf.Tensor) =>
    tf.unstack(qkv.reshape([batch, tokens, 3, heads, headDim]).transpose([2, 0, 3, 1, 4]).reshape([3, groups, tokens, headDim])) as tf.Tensor3D[];
  return customOp(([h, wQkv, bQkv, wProj, bProj], save) => {
    const qkv = denseForward(h as tf.Tensor2D, wQkv as tf.Tensor2D, bQkv as tf.Tensor1D);
    const [q, k, v] = split(qkv);
    const probs = tf.softmax(tf.mul(tf.matMul(q, k, false, true), scale)) as tf.Tensor3D;
    const merged = tf.matMul(probs, v).reshape([batch, heads, tokens, headDim]).transpose([0, 2, 1, 3]).reshape([batch * tokens, dim]) as tf.Tensor2D;
    save([h, wQkv, wProj, qkv, probs, merged]);
    return {
      value: denseForward(merged, wProj as tf.Tensor2D, bProj as tf.Tensor1D),
      gradFunc: (dy, saved) => {
        const [sh, sWQkv, sWProj, sQkv, sProbs, sMerged] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor2D, tf.Tensor3D, tf.Tensor2D];
        const [dMerged, dWProj, dBProj] = denseBackward(dy as tf.Tensor2D, sMerged, sWProj);
        const dOut = dMerged.reshape([batch, tokens, heads, headDim]).transpose([0, 2, 1, 3]).reshape([groups, tokens, headDim]) as tf.Tensor3D;
        const [sq, sk, sv] = split(sQkv);
        const dProbs = tf.matMul(dOut, sv, false, true);
        const dV = tf.matMul(sProbs, dOut, true, false);
        // softmax backward, times the scale: dS = scale · P ⊙ (dP − Σ_j dP·P)
        const dScores = tf.mul(tf.mul(sProbs, tf.sub(dProbs, tf.sum(tf.mul(dProbs, sProbs), -1, true))), scale) as tf.Tensor3D;
        const dQ = tf.matMul(dScores, sk);
        const dK = tf.matMul(dScores, sq, true, false);
        const dQkv = tf.stack([dQ, dK, dV]).reshape([3, batch, heads, tokens, headDim]).transpose([1, 3, 0, 2, 4]).reshape([batch * tokens, 3 * dim]) as tf.Tensor2D;
        const [dH, dWQkv, dBQkv] = denseBackward(dQkv, sh, sWQkv);
        return [dH, dWQkv, dBQkv, dWProj, dBProj];
      },
    };
  });
}

/**
 * The sub-layer's attention probabilities softmax(q·kᵀ/√d), forward only (for analysis: attention distance,
 * head divergence, rollout). h: [B, T, D] (the block's norm1 output) -> [B, H, T, T], rows sum to 1.
 * Plain batched products: no tape, no custom op, so training's fast paths are untouched.
 */
export function attentionProbabilities(h: tf.Tensor3D, p: AttentionParams, numHeads: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [batch, tokens, dim] = h.shape;
    const headDim = dim / numHeads;
    // [B, T, 3D] -> [B, 3H, T, d]: block s·H + head holds part s (q, k, v) of that head.
    const qkv = linear(h, p.qkvWeight, p.qkvBias).reshape([batch, tokens, 3 * numHeads, headDim]).transpose([0, 2, 1, 3]);
    const q = qkv.slice([0, 0, 0, 0], [batch, numHeads, tokens, headDim]).mul(1 / Math.sqrt(headDim));
    const k = qkv.slice([0, numHeads, 0, 0], [batch, numHeads, tokens, headDim]);
    return tf.softmax(tf.matMul(q as tf.Tensor4D, k as tf.Tensor4D, false, true)) as tf.Tensor4D;
  });
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
