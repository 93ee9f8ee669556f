import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { attention } from '../../../lib/model/attention.js';
import { denseBackward, denseForward, gelu, layerNorm, linear, mlp } from '../../../lib/model/ops.js';
import { TEST_BACKENDS, lcg, useTestBackend } from './backend-for-tests.js';

function rnd(shape: number[], seed: number, scale = 1): tf.Tensor {
  const r = lcg(seed);
  return tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => (r() * 2 - 1) * scale), shape);
}

/** Largest |a − b| relative to the largest |b| (so that tiny gradients compare on the tensor's own scale). */
function relErr(a: tf.Tensor, b: tf.Tensor): number {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < x.length; i++) {
    worst = Math.max(worst, Math.abs(x[i] - y[i]));
    scale = Math.max(scale, Math.abs(y[i]));
  }
  return worst / Math.max(scale, 1e-12);
}

/** Value and gradients (w.r.t. every input, under a fixed random cotangent) of ours and of the reference composition. */
function compare(ours: (...xs: tf.Tensor[]) => tf.Tensor, reference: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], seed: number): number {
  const out = reference(...inputs);
  const cotangent = rnd(out.shape, seed);
  const loss = (f: (...xs: tf.Tensor[]) => tf.Tensor) => (...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), cotangent));
  let worst = relErr(ours(...inputs), out);
  const got = tf.grads(loss(ours))(inputs);
  const want = tf.grads(loss(reference))(inputs);
  got.forEach((g, i) => (worst = Math.max(worst, relErr(g, want[i]))));
  return worst;
}

// The compositions the custom ops replace (what autodiff differentiated before).
const refLinear = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) => tf.add(tf.matMul(x as tf.Tensor2D, w as tf.Tensor2D), b);
const refGelu = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, Math.SQRT1_2)), 1));
const refLayerNorm = (eps: number) => (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
  const centered = tf.sub(x, tf.mean(x, -1, true));
  return tf.add(tf.mul(tf.mul(centered, tf.rsqrt(tf.add(tf.mean(tf.square(centered), -1, true), eps))), g), b);
};

/** timm Attention with batched matMuls and plain autodiff. x: [B, T, D]. */
function refAttention(heads: number) {
  return (x: tf.Tensor, wQkv: tf.Tensor, bQkv: tf.Tensor, wProj: tf.Tensor, bProj: tf.Tensor) => {
    const [batch, tokens, dim] = x.shape;
    const d = dim / heads;
    const qkv = refLinear(x.reshape([batch * tokens, dim]), wQkv, bQkv).reshape([batch, tokens, 3, heads, d]).transpose([2, 0, 3, 1, 4]);
    const [q, k, v] = tf.unstack(qkv).map((t) => t.reshape([batch * heads, tokens, d]) as tf.Tensor3D);
    const probs = tf.softmax(tf.matMul(tf.mul(q, 1 / Math.sqrt(d)) as tf.Tensor3D, k, false, true));
    const out = tf.matMul(probs, v).reshape([batch, heads, tokens, d]).transpose([0, 2, 1, 3]).reshape([batch * tokens, dim]);
    return refLinear(out, wProj, bProj).reshape([batch, tokens, dim]);
  };
}

// On the default backend (native tfjs-node when built: its own batched attention and transpose-flag matMuls) and on wasm.
describe.each(TEST_BACKENDS)('custom-gradient layers match the compositions they replace (values and gradients), %s backend', (which) => {
  beforeAll(async () => {
    console.info(`fused-op tests on ${await useTestBackend(which)}`);
  });

  it('linear with bias (one fused op) and without', () => {
    const x = rnd([6, 5], 1);
    const w = rnd([5, 7], 2);
    const b = rnd([7], 3);
    expect(compare((a, c, e) => linear(a, c as tf.Tensor2D, e as tf.Tensor1D), refLinear, [x, w, b], 4)).toBeLessThan(1e-5);
    expect(compare((a, c) => linear(a, c as tf.Tensor2D), (a, c) => tf.matMul(a as tf.Tensor2D, c as tf.Tensor2D), [x, w], 5)).toBeLessThan(1e-5);
    // Leading axes are kept.
    expect(linear(rnd([2, 3, 5], 6), w as tf.Tensor2D, b as tf.Tensor1D).shape).toEqual([2, 3, 7]);
  });

  it('the transposed product for few rows gives the same dense layer and gradients as the plain one', () => {
    // 3 rows against a 40×50 weight: wasm takes (Wᵀ·xᵀ)ᵀ and (W·dyᵀ)ᵀ here; 60 rows: the plain products.
    for (const rows of [3, 60]) {
      const x = rnd([rows, 40], 7) as tf.Tensor2D;
      const w = rnd([40, 50], 8) as tf.Tensor2D;
      const b = rnd([50], 9) as tf.Tensor1D;
      const dy = rnd([rows, 50], 10) as tf.Tensor2D;
      expect(relErr(denseForward(x, w, b), refLinear(x, w, b))).toBeLessThan(1e-5);
      const [dx, dw, db] = denseBackward(dy, x, w);
      expect(relErr(dx, tf.matMul(dy, w, false, true))).toBeLessThan(1e-5);
      expect(relErr(dw, tf.matMul(x, dy, true, false))).toBeLessThan(1e-5);
      expect(relErr(db, tf.sum(dy, 0))).toBeLessThan(1e-5);
    }
  });

  it('LayerNorm keeps the biased variance and eps, with exact gradients for x, γ and β', () => {
    const x = rnd([2, 3, 8], 11, 3);
    const g = rnd([8], 12);
    const b = rnd([8], 13);
    for (const eps of [1e-6, 1e-5, 0.5]) {
      expect(compare((a, c, e) => layerNorm(a, c as tf.Tensor1D, e as tf.Tensor1D, eps), refLayerNorm(eps), [x, g, b], 14)).toBeLessThan(1e-5);
    }
    expect(layerNorm(x, g as tf.Tensor1D, b as tf.Tensor1D, 1e-6).shape).toEqual([2, 3, 8]);
  });

  it('GELU and the fused MLP fc2(GELU(fc1(x)))', () => {
    const x = rnd([7, 6], 15, 3);
    expect(compare((a) => gelu(a), refGelu, [x], 16)).toBeLessThan(1e-5);
    const w1 = rnd([6, 24], 17);
    const b1 = rnd([24], 18);
    const w2 = rnd([24, 6], 19);
    const b2 = rnd([6], 20);
    const ours = (a: tf.Tensor, c: tf.Tensor, e: tf.Tensor, f: tf.Tensor, h: tf.Tensor) =>
      mlp(a as tf.Tensor2D, c as tf.Tensor2D, e as tf.Tensor1D, f as tf.Tensor2D, h as tf.Tensor1D);
    const reference = (a: tf.Tensor, c: tf.Tensor, e: tf.Tensor, f: tf.Tensor, h: tf.Tensor) => refLinear(refGelu(refLinear(a, c, e)), f, h);
    expect(compare(ours, reference, [x, w1, b1, w2, b2], 21)).toBeLessThan(1e-5);
  });

  it('the attention sub-layer as one op equals timm Attention (qkv, scaled q, softmax, proj) and its autodiff', () => {
    for (const [batch, tokens, heads, headDim] of [
      [2, 5, 2, 4],
      [1, 7, 3, 2],
    ]) {
      const dim = heads * headDim;
      const inputs = [rnd([batch, tokens, dim], 22), rnd([dim, 3 * dim], 23), rnd([3 * dim], 24), rnd([dim, dim], 25), rnd([dim], 26)];
      const ours = (x: tf.Tensor, a: tf.Tensor, b: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
        attention(x as tf.Tensor3D, { qkvWeight: a as tf.Tensor2D, qkvBias: b as tf.Tensor1D, projWeight: c as tf.Tensor2D, projBias: d as tf.Tensor1D }, heads);
      expect(compare(ours, refAttention(heads), inputs, 27)).toBeLessThan(1e-5);
    }
  });

  it('the custom ops leave no tensors behind in forward or backward', () => {
    const x = rnd([2, 5, 8], 28);
    const params = [rnd([8, 24], 29), rnd([24], 30), rnd([8, 8], 31), rnd([8], 32)];
    const g = rnd([8], 33);
    const f = (t: tf.Tensor) => {
      const h = layerNorm(t, g as tf.Tensor1D, g as tf.Tensor1D, 1e-6);
      const a = attention(h as tf.Tensor3D, { qkvWeight: params[0] as tf.Tensor2D, qkvBias: params[1] as tf.Tensor1D, projWeight: params[2] as tf.Tensor2D, projBias: params[3] as tf.Tensor1D }, 2);
      return tf.sum(gelu(a));
    };
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      tf.grad(f)(x);
    });
    expect(tf.memory().numTensors).toBe(before);
    const grad = tf.grad(f)(x);
    expect(tf.memory().numTensors).toBe(before + 1);
    grad.dispose();
  });
});
