import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { scaledDotProductAttention } from '../../../lib/model/attention.js';
import { gelu, l2Normalize, layerNorm, matMul2d, permuteRows, stopGradient } from '../../../lib/model/ops.js';
import { TEST_BACKENDS, lcg, useTestBackend } from './backend-for-tests.js';

function rnd(shape: number[], seed: number): tf.Tensor {
  const r = lcg(seed);
  return tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r() * 2 - 1), shape);
}

function expectClose(a: tf.Tensor, b: tf.Tensor, tol = 1e-4): void {
  expect(a.shape).toEqual(b.shape);
  const x = a.dataSync();
  const y = b.dataSync();
  let worst = 0;
  for (let i = 0; i < x.length; i++) worst = Math.max(worst, Math.abs(x[i] - y[i]));
  expect(worst).toBeLessThan(tol);
}

describe.each(TEST_BACKENDS)('differentiable primitives, %s backend', (which) => {
  beforeAll(async () => {
    console.info(`ops tests on ${await useTestBackend(which)}`);
  });

  it('matMul2d has the same value and gradients as tf.matMul', () => {
    const a = rnd([5, 7], 1) as tf.Tensor2D;
    const b = rnd([7, 3], 2) as tf.Tensor2D;
    const w = rnd([5, 3], 3);
    const f = (mm: (x: tf.Tensor2D, y: tf.Tensor2D) => tf.Tensor) => tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(mm(x as tf.Tensor2D, y as tf.Tensor2D), w)));
    const [ga, gb] = f(matMul2d)([a, b]);
    const [ra, rb] = f((x, y) => tf.matMul(x, y))([a, b]);
    expectClose(matMul2d(a, b), tf.matMul(a, b));
    expectClose(ga, ra);
    expectClose(gb, rb);
  });

  it('the loop-of-2-D attention matches softmax(q·kᵀ)·v and its autodiff gradients', () => {
    const q = rnd([6, 5, 4], 4);
    const k = rnd([6, 5, 4], 5);
    const v = rnd([6, 5, 4], 6);
    const w = rnd([6, 5, 4], 7);
    const naive = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.matMul(tf.softmax(tf.matMul(x as tf.Tensor3D, y as tf.Tensor3D, false, true)), z as tf.Tensor3D);
    const ours = (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => scaledDotProductAttention(x as tf.Tensor3D, y as tf.Tensor3D, z as tf.Tensor3D);
    expectClose(ours(q, k, v), naive(q, k, v));
    const lossOf = (fn: typeof naive) => (x: tf.Tensor, y: tf.Tensor, z: tf.Tensor) => tf.sum(tf.mul(fn(x, y, z), w));
    const got = tf.grads(lossOf(ours))([q, k, v]);
    const want = tf.grads(lossOf(naive))([q, k, v]);
    got.forEach((g, i) => expectClose(g, want[i]));
  });

  it('permuteRows gathers rows (zeros for -1) and sends gradients back through the inverse index', () => {
    const x = tf.tensor2d([[1, 1], [2, 2], [3, 3]]);
    const forward = Int32Array.from([2, -1, 0]); // out0 <- in2, out1 <- zeros, out2 <- in0
    const backward = Int32Array.from([2, -1, 0]); // in0 -> out2, in1 dropped, in2 -> out0
    expect(permuteRows(x, forward, backward).arraySync()).toEqual([[3, 3], [0, 0], [1, 1]]);
    const weights = tf.tensor2d([[10, 20], [30, 40], [50, 60]]);
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(permuteRows(t as tf.Tensor2D, forward, backward), weights)))(x);
    expect(g.arraySync()).toEqual([[50, 60], [0, 0], [10, 20]]);
  });

  it('GELU is the exact erf form, not the tanh approximation', () => {
    // Φ(1) = 0.841344746…, Φ(−2) = 0.022750131…; tanh-GELU(1) would be 0.841192.
    const y = gelu(tf.tensor1d([1, -2, 0])).dataSync();
    expect(y[0]).toBeCloseTo(0.8413447, 6);
    expect(y[1]).toBeCloseTo(-2 * 0.0227501, 6);
    expect(y[2]).toBe(0);
  });

  it('layerNorm uses the biased variance and the given eps', () => {
    const y = layerNorm(tf.tensor2d([[1, 2, 3, 6]]), tf.tensor1d([1, 1, 1, 2]), tf.tensor1d([0, 0, 0, 1]), 1e-6).dataSync();
    // mean 3, biased var (4+1+0+9)/4 = 3.5
    const s = Math.sqrt(3.5 + 1e-6);
    [-2 / s, -1 / s, 0, (2 * 3) / s + 1].forEach((want, i) => expect(y[i]).toBeCloseTo(want, 5));
  });

  it('l2Normalize gives unit rows and stopGradient blocks gradients', () => {
    const n = l2Normalize(tf.tensor2d([[3, 4], [0, 0]])).dataSync();
    [0.6, 0.8, 0, 0].forEach((want, i) => expect(n[i]).toBeCloseTo(want, 6));
    const g = tf.grad((t: tf.Tensor) => tf.sum(tf.add(stopGradient(t), tf.mul(t, 2))))(tf.ones([2]));
    expect(g.arraySync()).toEqual([2, 2]);
  });
});
