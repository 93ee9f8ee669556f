import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { FsfmModel } from '../../../lib/model/model.js';
import { AdamW } from '../../../lib/train/adamw.js';
import { TEST_ARCH, nativeBuilt, randomImages, randomMasks, useTestBackend } from './backend-for-tests.js';

/** A few AdamW + EMA steps from one seed on fixed batches; the loss before each step. */
function train(steps: number): number[] {
  const model = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, seed: 21 });
  const opt = new AdamW(model.paramGroups(), { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05 });
  const batches = [0, 1].map((k) => ({ images: randomImages(4, 32, 40 + k), ...randomMasks(4, 16, 12, 3, 50 + k) }));
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const { losses: l, grads } = model.lossAndGradients(batches[i % 2]);
    losses.push(l.loss);
    opt.step(grads, 2e-3);
    tf.dispose([...grads.values()]);
    model.updateTarget(i, steps);
  }
  batches.forEach((b) => b.images.dispose());
  opt.dispose();
  model.dispose();
  return losses;
}

describe('the native engine and wasm train alike', () => {
  it.skipIf(!nativeBuilt)('same seed, same steps: the losses agree to 1e-5 (relative) and fall on both backends', async () => {
    expect(await useTestBackend('default')).toBe('tensorflow');
    const native = train(8);
    expect(await useTestBackend('wasm')).toBe('wasm');
    const wasm = train(8);
    console.info(`losses native ${native.map((l) => l.toFixed(6)).join(' ')}\n       wasm   ${wasm.map((l) => l.toFixed(6)).join(' ')}`);
    native.forEach((l, i) => expect(Math.abs(l - wasm[i]) / Math.abs(wasm[i])).toBeLessThan(1e-5));
    for (const run of [native, wasm]) {
      expect(run.slice(-2).reduce((a, b) => a + b)).toBeLessThan(run.slice(0, 2).reduce((a, b) => a + b));
    }
  });
});
