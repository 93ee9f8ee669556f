import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../../lib/tensor/backend.js';
import { freshCopy, fusedAdamW, fusedLerp } from '../../../lib/tensor/simd-kernels.js';
import { lcg } from './backend-for-tests.js';

/** Runs fn on cpu and on wasm (with the replacement kernels) and returns both results. */
async function onBoth<T>(fn: () => T): Promise<[T, T]> {
  await initBackend({ prefer: 'cpu', log: () => {} });
  const reference = fn();
  await initBackend({ prefer: 'wasm', log: () => {} });
  return [reference, fn()];
}

describe('wasm Slice/Unpack/SplitV/Transpose/GatherV2/Identity replacements', () => {
  beforeAll(async () => {
    await initBackend({ prefer: 'wasm', log: () => {} });
  });

  const values = (n: number) => Array.from({ length: n }, (_, i) => i * 0.5 - 7);

  it('contiguous and strided slices of rank 2-5 match the cpu backend', async () => {
    const cases: [number[], number[], number[]][] = [
      [[6, 5], [2, 0], [3, 5]],
      [[6, 5], [1, 2], [4, 2]],
      [[4, 5, 6], [1, 1, 2], [2, 3, 3]],
      [[3, 4, 5, 6], [0, 1, 0, 2], [3, 2, 5, 3]],
      [[2, 3, 4, 5, 2], [1, 0, 1, 2, 0], [1, 3, 2, 2, 2]],
    ];
    for (const [shape, begin, size] of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      const [ref, got] = await onBoth(() => tf.slice(tf.tensor(values(n), shape), begin, size).arraySync());
      expect(got).toEqual(ref);
    }
  });

  it('int32 slices and unstack along a middle axis match the cpu backend', async () => {
    const [ref, got] = await onBoth(() => {
      const t = tf.tensor3d(Int32Array.from({ length: 60 }, (_, i) => i * 3 - 50), [3, 4, 5], 'int32');
      return { s: tf.slice(t, [0, 1, 1], [3, 2, 3]).arraySync(), u: tf.unstack(t, 1).map((x) => x.arraySync()) };
    });
    expect(got).toEqual(ref);
  });

  it('unstack along axis 0 and split along the last axis give the exact pieces', async () => {
    const rand = lcg(5);
    const data = Array.from({ length: 4 * 7 * 6 }, () => rand());
    const [ref, got] = await onBoth(() => {
      const t = tf.tensor3d(data, [4, 7, 6]);
      return { u: tf.unstack(t).map((x) => x.arraySync()), s: tf.split(t, [1, 2, 3], 2).map((x) => x.arraySync()) };
    });
    expect(got).toEqual(ref);
  });

  it('transposes whose row count is a multiple of 64 (two-pass path) match the cpu backend exactly', async () => {
    const rand = lcg(9);
    const cases: [number[], number[]][] = [
      [[128, 48], [1, 0]],
      [[192, 17], [1, 0]],
      [[2, 128, 40], [0, 2, 1]],
      [[2, 3, 128, 16], [0, 1, 3, 2]],
      [[1, 256, 1, 32], [0, 3, 2, 1]], // size-1 axes around a 2-D swap
      [[100, 48], [1, 0]], // not a multiple of 64: stock kernel
    ];
    for (const [shape, perm] of cases) {
      const data = Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand());
      const [ref, got] = await onBoth(() => tf.transpose(tf.tensor(data, shape), perm).arraySync());
      expect(got).toEqual(ref);
    }
  });

  it('row gathers match the cpu backend and reject out-of-range rows', async () => {
    const rand = lcg(11);
    const data = Array.from({ length: 6 * 5 }, () => rand());
    const [ref, got] = await onBoth(() => ({
      rows: tf.gather(tf.tensor2d(data, [6, 5]), tf.tensor1d([5, 0, 0, 3], 'int32')).arraySync(),
      nested: tf.gather(tf.tensor2d(data, [6, 5]), tf.tensor2d([[1, 2], [4, 5]], [2, 2], 'int32')).arraySync(),
      ints: tf.gather(tf.tensor1d([7, 8, 9], 'int32'), tf.tensor1d([2, 2, 0], 'int32')).arraySync(),
      inner: tf.gather(tf.tensor2d(data, [6, 5]), tf.tensor1d([4, 1], 'int32'), 1).arraySync(),
    }));
    expect(got).toEqual(ref);
    expect(() => tf.gather(tf.tensor2d(data, [6, 5]), tf.tensor1d([6], 'int32'))).toThrow(/not in \[0, 5\]/);
  });

  it('clones share the buffer and keep their values after the original is disposed', () => {
    const a = tf.tensor2d([[1, 2], [3, 4]]);
    const b = tf.clone(a);
    const c = tf.reshape(b, [4]);
    a.dispose();
    expect(b.arraySync()).toEqual([[1, 2], [3, 4]]);
    b.dispose();
    expect(c.arraySync()).toEqual([1, 2, 3, 4]);
    const before = tf.memory().numBytes;
    c.dispose();
    expect(tf.memory().numBytes).toBe(before - 16);
  });

  it('slice gradients (pad) still work on wasm', () => {
    const g = tf.grad((x: tf.Tensor) => tf.sum(tf.slice(x, [1, 0], [1, 2])))(tf.ones([3, 2]));
    expect(g.arraySync()).toEqual([[0, 0], [1, 1], [0, 0]]);
  });
});

describe('fused wasm SIMD kernels (AdamW step, EMA blend, copy)', () => {
  const sizes = [1, 3, 4, 7, 1001];

  function inputs(n: number, seed: number) {
    const rand = lcg(seed);
    const arr = (scale: number, positive = false) => Array.from({ length: n }, () => (positive ? rand() : rand() * 2 - 1) * scale);
    return { p: arr(1), m: arr(0.01), v: arr(1e-4, true), g: arr(0.01) };
  }

  const constants = { decayFactor: 1 - 1.5e-4 * 0.05, beta1: 0.9, oneMinusBeta1: 1 - 0.9, beta2: 0.95, oneMinusBeta2: 1 - 0.95, sqrtBiasCorrection2: Math.sqrt(1 - 0.95 ** 3), eps: 1e-8, stepSize: 1.5e-4 / (1 - 0.9 ** 3) };

  /** The op-by-op AdamW update, as lib/train/adamw.ts does it without the fused kernel. */
  function opsUpdate(x: ReturnType<typeof inputs>): number[][] {
    return tf.tidy(() => {
      const [p, m, v, g] = [x.p, x.m, x.v, x.g].map((a) => tf.tensor1d(a));
      const c = constants;
      const m1 = tf.add(tf.mul(m, c.beta1), tf.mul(g, c.oneMinusBeta1));
      const v1 = tf.add(tf.mul(v, c.beta2), tf.mul(tf.square(g), c.oneMinusBeta2));
      const denom = tf.add(tf.div(tf.sqrt(v1), c.sqrtBiasCorrection2), c.eps);
      return [tf.sub(tf.mul(p, c.decayFactor), tf.mul(tf.div(m1, denom), c.stepSize)), m1, v1].map((t) => Array.from(t.dataSync()));
    });
  }

  it('the AdamW pass is bit-identical to the op-by-op update on wasm and on cpu, tails included', async () => {
    await initBackend({ prefer: 'wasm', log: () => {} });
    for (const n of sizes) {
      const x = inputs(n, n);
      const fused = fusedAdamW(tf.tensor1d(x.p), tf.tensor1d(x.m), tf.tensor1d(x.v), tf.tensor1d(x.g), constants);
      expect(fused).not.toBeNull();
      const got = fused!.map((t) => Array.from(t.dataSync()));
      expect(got).toEqual(opsUpdate(x));
      await initBackend({ prefer: 'cpu', log: () => {} });
      expect(fusedAdamW(tf.tensor1d(x.p), tf.tensor1d(x.m), tf.tensor1d(x.v), tf.tensor1d(x.g), constants)).toBeNull();
      expect(got).toEqual(opsUpdate(x));
      await initBackend({ prefer: 'wasm', log: () => {} });
    }
  });

  it('the EMA blend is bit-identical to t·m + o·(1 − m), and copies get a buffer of their own', async () => {
    await initBackend({ prefer: 'wasm', log: () => {} });
    for (const n of sizes) {
      const x = inputs(n, 100 + n);
      const [t, o] = [tf.tensor1d(x.p), tf.tensor1d(x.g)];
      const got = fusedLerp(t, o, 0.9973, 1 - 0.9973)!.dataSync();
      expect(Array.from(got)).toEqual(Array.from(tf.add(tf.mul(t, 0.9973), tf.mul(o, 1 - 0.9973)).dataSync()));
      const copy = freshCopy(t);
      expect(copy.dataId).not.toBe(t.dataId);
      t.dispose();
      expect(Array.from(copy.dataSync())).toEqual(x.p.map(Math.fround));
    }
  });

  it('rejects mismatched sizes', async () => {
    await initBackend({ prefer: 'wasm', log: () => {} });
    expect(() => fusedLerp(tf.ones([4]), tf.ones([5]), 0.5, 0.5)).toThrow(/differ in size/);
  });
});
