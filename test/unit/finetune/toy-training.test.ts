import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy, labelSmoothingCrossEntropy } from '../../../lib/finetune/losses.js';
import { ClassifierModel } from '../../../lib/model/heads.js';
import { TINY_ARCH, lcg, useTestBackend } from './helpers.js';

/**
 * Noisy textures, brighter on average for one class: separable, but not by any single pixel. `brightIsFake`
 * picks which class is bright; a fresh model already leans to one side of the brightness, so training both
 * ways from the same init guarantees that one of them has to flip its initial guess.
 */
function toyBatch(n: number, seed: number, brightIsFake: boolean): { images: tf.Tensor4D; labels: number[] } {
  const rand = lcg(seed);
  const size = 32;
  const labels = Array.from({ length: n }, (_, i) => (i + seed) % 2);
  const values = new Float32Array(n * size * size * 3);
  for (let i = 0; i < n; i++) {
    const shift = (labels[i] === 1) === brightIsFake ? 0.3 : -0.3;
    for (let k = 0; k < size * size * 3; k++) values[i * size * size * 3 + k] = (rand() * 2 - 1) * 0.8 + shift;
  }
  return { images: tf.tensor4d(values, [n, size, size, 3]), labels };
}

function accuracy(model: ClassifierModel, batch: { images: tf.Tensor4D; labels: number[] }): number {
  const p = model.predictProba(batch.images);
  const values = p.dataSync();
  p.dispose();
  return batch.labels.filter((y, i) => (values[i] > 0.5 ? 1 : 0) === y).length / batch.labels.length;
}

describe('a tiny classifier learns bright (fake) vs dark (real) with plain Adam', () => {
  let backend = '';
  beforeAll(async () => {
    backend = await useTestBackend();
  });

  for (const [head, brightIsFake] of [['dfd', true], ['dfd', false], ['fas', true], ['fas', false]] as const) {
    it(`${head} head, ${brightIsFake ? 'bright' : 'dark'} = fake: > 90% held-out accuracy within 40 steps, with a flat tensor count`, () => {
      const model = new ClassifierModel(head === 'dfd' ? { head, preset: 'demo', arch: TINY_ARCH, seed: 1 } : { head, preset: 'demo', arch: TINY_ARCH, seed: 1, bottleneckDim: 32 });
      const lossFn = (labels: number[]) => (logits: tf.Tensor2D) => (head === 'dfd' ? labelSmoothingCrossEntropy(logits, labels) : crossEntropy(logits, labels));
      const opt = tf.train.adam(head === 'dfd' ? 2e-3 : 1e-3);
      const heldOut = toyBatch(64, 999, brightIsFake);
      const before = accuracy(model, heldOut);
      const started = performance.now();
      const losses: number[] = [];
      let tensorsAfterFirst = 0;
      let steps = 0;
      for (; steps < 40; steps++) {
        const batch = toyBatch(16, steps + 1, brightIsFake);
        const { loss, grads } = model.lossAndGradients(batch.images, lossFn(batch.labels));
        opt.applyGradients(model.trainableVariables().map((p) => ({ name: p.variable.name, tensor: grads.get(p.name)! })));
        tf.dispose([...grads.values(), batch.images]);
        losses.push(loss);
        if (steps === 0) tensorsAfterFirst = tf.memory().numTensors;
        if (steps >= 10 && steps % 5 === 0 && accuracy(model, heldOut) > 0.95) break;
      }
      expect(tf.memory().numTensors).toBe(tensorsAfterFirst);
      const after = accuracy(model, heldOut);
      console.info(`${head} (${brightIsFake ? 'bright' : 'dark'} = fake) on ${backend}: accuracy ${before} -> ${after} in ${steps} steps, ${((performance.now() - started) / steps).toFixed(0)} ms/step; loss ${losses[0].toFixed(3)} -> ${losses.at(-1)!.toFixed(3)}`);
      expect(after).toBeGreaterThan(0.9);
      expect(losses.at(-1)!).toBeLessThan(0.8 * losses[0]);
      heldOut.images.dispose();
      opt.dispose();
      model.dispose();
    });
  }
});
