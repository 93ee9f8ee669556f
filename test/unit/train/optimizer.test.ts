import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FsfmModel, type NamedVariable } from '../../../lib/model/model.js';
import { AdamW } from '../../../lib/train/adamw.js';
import { clipByGlobalNorm, GradientAccumulator, globalNorm } from '../../../lib/train/gradients.js';
import { randomImages, randomMasks, TEST_ARCH, useTestBackend } from '../model/backend-for-tests.js';

function param(name: string, values: number[]): NamedVariable {
  return { name, variable: tf.variable(tf.tensor1d(values)), spec: undefined as never };
}

/** torch.optim.AdamW written out in float64, one parameter tensor. */
function referenceAdamW(theta: number[], grads: number[][], lr: number, wd: number, b1: number, b2: number, eps: number): number[] {
  const p = theta.slice();
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      p[i] *= 1 - lr * wd;
      m[i] = b1 * m[i] + (1 - b1) * g[i];
      v[i] = b2 * v[i] + (1 - b2) * g[i] * g[i];
      const mHat = m[i] / (1 - b1 ** t);
      const vHat = v[i] / (1 - b2 ** t);
      p[i] -= (lr * mHat) / (Math.sqrt(vHat) + eps);
    }
  });
  return p;
}

describe('AdamW', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('matches a hand-computed torch AdamW update over three steps, decaying only the decay group', () => {
    const decayed = param('w', [1, -2, 0.5]);
    const plain = param('b', [0.25, -0.75]);
    const opt = new AdamW({ decay: [decayed], noDecay: [plain] }, { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05 });
    const gw = [[0.5, -0.1, 0.02], [0.3, 0.2, -0.4], [-0.05, 0.6, 0.1]];
    const gb = [[-1, 2], [0.5, 0.25], [0.1, -0.3]];
    const lrs = [0.1, 0.05, 0.02];
    for (let k = 0; k < 3; k++) {
      const grads = new Map([['w', tf.tensor1d(gw[k])], ['b', tf.tensor1d(gb[k])]]);
      opt.step(grads, lrs[k]);
      tf.dispose([...grads.values()]);
    }
    // The schedule changes lr per step: recompute the reference step by step with each lr.
    const ref = (theta: number[], grads: number[][], wd: number) => {
      const p = theta.slice();
      const m = p.map(() => 0);
      const v = p.map(() => 0);
      grads.forEach((g, k) => {
        const t = k + 1;
        const lr = lrs[k];
        for (let i = 0; i < p.length; i++) {
          p[i] *= 1 - lr * wd;
          m[i] = 0.9 * m[i] + 0.1 * g[i];
          v[i] = 0.95 * v[i] + 0.05 * g[i] ** 2;
          p[i] -= (lr * (m[i] / (1 - 0.9 ** t))) / (Math.sqrt(v[i] / (1 - 0.95 ** t)) + 1e-8);
        }
      });
      return p;
    };
    const w = Array.from(decayed.variable.dataSync());
    const b = Array.from(plain.variable.dataSync());
    ref([1, -2, 0.5], gw, 0.05).forEach((x, i) => expect(w[i]).toBeCloseTo(x, 5));
    ref([0.25, -0.75], gb, 0).forEach((x, i) => expect(b[i]).toBeCloseTo(x, 5));
    // And the first step is, by hand: θ·(1 − lr·wd) − lr·sign(g) (bias-corrected m̂/√v̂ = g/|g|).
    const one = referenceAdamW([1, -2, 0.5], [gw[0]], 0.1, 0.05, 0.9, 0.95, 1e-8);
    expect(one[0]).toBeCloseTo(1 * 0.995 - 0.1, 6);
    expect(one[1]).toBeCloseTo(-2 * 0.995 + 0.1, 6);
    expect(opt.stepCount).toBe(3);
    opt.dispose();
    tf.dispose([decayed.variable, plain.variable]);
  });

  it('scales the lr per parameter when asked (layer-wise decay), decay included', () => {
    const a = param('a', [1, -1]);
    const b = param('b', [1, -1]);
    const opt = new AdamW({ decay: [a, b], noDecay: [] }, { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05, lrScale: (n) => (n === 'b' ? 0.5 : 1) });
    const grads = new Map([['a', tf.tensor1d([0.3, 0.3])], ['b', tf.tensor1d([0.3, 0.3])]]);
    opt.step(grads, 0.1);
    expect(a.variable.dataSync()[0]).toBeCloseTo(1 * (1 - 0.1 * 0.05) - 0.1, 6);
    expect(b.variable.dataSync()[0]).toBeCloseTo(1 * (1 - 0.05 * 0.05) - 0.05, 6);
    tf.dispose([...grads.values(), a.variable, b.variable]);
    opt.dispose();
  });

  it('leaves parameters without a gradient untouched (no decay either)', () => {
    const a = param('a', [1, 2]);
    const b = param('b', [3, 4]);
    const opt = new AdamW({ decay: [a, b], noDecay: [] }, { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.5 });
    const grads = new Map([['a', tf.tensor1d([1, 1])]]);
    opt.step(grads, 0.1);
    expect(Array.from(b.variable.dataSync())).toEqual([3, 4]);
    expect(Array.from(a.variable.dataSync())[0]).not.toBe(1);
    tf.dispose([...grads.values(), a.variable, b.variable]);
    opt.dispose();
  });

  it('state() and loadState() continue the same trajectory', () => {
    const mk = () => param('w', [0.3, -0.2, 0.9]);
    const gs = [[0.1, 0.2, -0.3], [0.4, -0.1, 0.2], [-0.2, 0.3, 0.1], [0.05, 0.05, -0.5]];
    const a = mk();
    const optA = new AdamW({ decay: [a], noDecay: [] }, { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05 });
    for (const g of gs) {
      const grads = new Map([['w', tf.tensor1d(g)]]);
      optA.step(grads, 0.01);
      tf.dispose([...grads.values()]);
    }
    const b = mk();
    const optB = new AdamW({ decay: [b], noDecay: [] }, { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05 });
    for (const g of gs.slice(0, 2)) {
      const grads = new Map([['w', tf.tensor1d(g)]]);
      optB.step(grads, 0.01);
      tf.dispose([...grads.values()]);
    }
    const saved = optB.state();
    const weights = b.variable.dataSync().slice();
    optB.dispose();
    const c = param('w', Array.from(weights));
    const optC = new AdamW({ decay: [c], noDecay: [] }, { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05 });
    optC.loadState(saved);
    for (const g of gs.slice(2)) {
      const grads = new Map([['w', tf.tensor1d(g)]]);
      optC.step(grads, 0.01);
      tf.dispose([...grads.values()]);
    }
    expect(Array.from(c.variable.dataSync())).toEqual(Array.from(a.variable.dataSync()));
    expect([...saved.tensors.keys()]).toEqual(['exp_avg.w', 'exp_avg_sq.w']);
    optA.dispose();
    optC.dispose();
    tf.dispose([a.variable, b.variable, c.variable]);
  });

  it('decays matrices, CLS and mask tokens but not biases, norms or other 1-D parameters', () => {
    const model = new FsfmModel({ preset: 'demo', arch: TEST_ARCH });
    const { decay, noDecay } = model.paramGroups();
    const decayNames = new Set(decay.map((p) => p.name));
    expect(decayNames.has('cls_token')).toBe(true);
    expect(decayNames.has('mask_token')).toBe(true);
    expect(decayNames.has('blocks.0.attn.qkv.weight')).toBe(true);
    expect(decayNames.has('patch_embed.proj.weight')).toBe(true);
    for (const p of noDecay) expect(p.name.endsWith('.bias') || p.variable.shape.length === 1).toBe(true);
    expect(noDecay.map((p) => p.name)).toContain('blocks.0.norm1.weight');
    expect(noDecay.map((p) => p.name)).toContain('projector.projection_head.1.weight');
    for (const p of decay) expect(p.variable.shape.length).toBeGreaterThan(1);
    // Every trainable parameter is in exactly one group.
    expect(decay.length + noDecay.length).toBe(model.trainableVariables().length);
    // AdamW really applies it that way: with a zero gradient only the decay group moves.
    const opt = new AdamW(model.paramGroups(), { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.5 });
    const before = new Map(model.trainableVariables().map((p) => [p.name, p.variable.dataSync().slice()]));
    const zeros = new Map(model.trainableVariables().map((p) => [p.name, tf.zerosLike(p.variable) as tf.Tensor]));
    opt.step(zeros, 0.1);
    for (const p of model.trainableVariables()) {
      const was = before.get(p.name)!;
      const now = p.variable.dataSync();
      const changed = now.some((x, i) => x !== was[i]);
      const nonZero = was.some((x) => x !== 0);
      if (decayNames.has(p.name) && nonZero) expect(changed, p.name).toBe(true);
      if (!decayNames.has(p.name)) expect(changed, p.name).toBe(false);
    }
    tf.dispose([...zeros.values()]);
    opt.dispose();
    model.dispose();
  });

  it('keeps the tensor count flat across steps', () => {
    const a = param('w', [1, 2, 3]);
    const opt = new AdamW({ decay: [a], noDecay: [] }, { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05 });
    const g = tf.tensor1d([0.1, 0.2, 0.3]);
    const grads = new Map([['w', g]]);
    opt.step(grads, 0.1);
    const count = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.step(grads, 0.1);
    opt.state();
    expect(tf.memory().numTensors).toBe(count);
    tf.dispose([g, a.variable]);
    opt.dispose();
  });
});

describe('gradients', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('accumulating two half batches gives the gradient of the whole batch', () => {
    const model = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, seed: 4 });
    // Equal-sized facial regions per sample: L_fr is then a per-sample mean, as L_rec and L_cl are.
    const { mask, facialRegion } = randomMasks(4, 16, 12, 3, 5);
    const images = randomImages(4, 32, 8);
    const whole = model.lossAndGradients({ images, mask, facialRegion });
    const acc = new GradientAccumulator();
    for (const half of [0, 1]) {
      const imgs = images.slice([half * 2, 0, 0, 0], [2, 32, 32, 3]);
      const part = model.lossAndGradients({
        images: imgs,
        mask: mask.subarray(half * 32, half * 32 + 32),
        facialRegion: facialRegion.subarray(half * 32, half * 32 + 32),
      });
      acc.add(part.grads);
      imgs.dispose();
    }
    const averaged = acc.take(2);
    let worst = 0;
    for (const [name, g] of whole.grads) {
      const a = g.dataSync();
      const b = averaged.get(name)!.dataSync();
      const scale = Math.max(...Array.from(a, Math.abs), 1e-6);
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]) / scale);
    }
    expect(averaged.size).toBe(whole.grads.size);
    expect(worst).toBeLessThan(2e-3);
    tf.dispose([...whole.grads.values(), ...averaged.values(), images]);
    model.dispose();
  });

  it('clips by global norm like torch clip_grad_norm_ and leaves small gradients alone', () => {
    const grads = new Map<string, tf.Tensor>([['a', tf.tensor1d([3, 0])], ['b', tf.tensor2d([[0, 4]])]]);
    expect(globalNorm(grads)).toBeCloseTo(5, 5);
    const norm = clipByGlobalNorm(grads, 1);
    expect(norm).toBeCloseTo(5, 5);
    expect(globalNorm(grads)).toBeCloseTo(1, 4);
    expect(Array.from(grads.get('a')!.dataSync())[0]).toBeCloseTo(0.6, 5);
    const before = grads.get('a')!;
    clipByGlobalNorm(grads, 10);
    expect(grads.get('a')).toBe(before);
    tf.dispose([...grads.values()]);
  });
});

/** torch.optim.Adam with weight_decay (L2 added to the gradient) written out in float64. */
function referenceAdamL2(theta: number[], grads: number[][], lr: number, wd: number, b1: number, b2: number, eps: number): number[] {
  const p = theta.slice();
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g0, k) => {
    const t = k + 1;
    for (let i = 0; i < p.length; i++) {
      const g = g0[i] + wd * p[i];
      m[i] = b1 * m[i] + (1 - b1) * g;
      v[i] = b2 * v[i] + (1 - b2) * g * g;
      p[i] -= (lr * (m[i] / (1 - b1 ** t))) / (Math.sqrt(v[i] / (1 - b2 ** t)) + eps);
    }
  });
  return p;
}

describe('Adam with L2 weight decay (decoupled: false, the FAS recipe)', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('matches torch Adam over three steps, the decay term entering the moments', () => {
    const w = param('w', [1, -2, 0.5]);
    // A large decay so that L2 and decoupled decay differ visibly.
    const opt = new AdamW({ decay: [w], noDecay: [] }, { betas: [0.9, 0.999], eps: 1e-8, weightDecay: 0.5, decoupled: false });
    const gw = [[0.5, -0.1, 0.02], [0.3, 0.2, -0.4], [-0.05, 0.6, 0.1]];
    for (const g of gw) opt.step(new Map([['w', tf.tensor1d(g)]]), 0.1);
    const expected = referenceAdamL2([1, -2, 0.5], gw, 0.1, 0.5, 0.9, 0.999, 1e-8);
    const decoupled = referenceAdamW([1, -2, 0.5], gw, 0.1, 0.5, 0.9, 0.999, 1e-8);
    const got = Array.from(w.variable.dataSync());
    got.forEach((x, i) => expect(x).toBeCloseTo(expected[i], 5));
    expect(Math.abs(got[2] - decoupled[2])).toBeGreaterThan(1e-3);
    opt.dispose();
    w.variable.dispose();
  });
});
