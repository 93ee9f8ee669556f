import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FsfmModel } from '../../../lib/model/model.js';
import { TEST_ARCH, randomImages, randomMasks, useTestBackend } from './backend-for-tests.js';

/** One plain Adam step on the online network, then the EMA; returns the loss values. */
function adamStep(model: FsfmModel, opt: tf.Optimizer, batch: Parameters<FsfmModel['lossAndGradients']>[0], i: number, total: number) {
  const { losses, grads } = model.lossAndGradients(batch);
  opt.applyGradients(model.trainableVariables().map((p) => ({ name: p.variable.name, tensor: grads.get(p.name)! })));
  tf.dispose([...grads.values()]);
  model.updateTarget(i, total);
  return losses;
}

describe('training signal', () => {
  let backend = '';
  beforeAll(async () => {
    backend = await useTestBackend();
  });

  it('every online parameter receives a non-zero gradient from the total loss', () => {
    const model = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, seed: 9 });
    const { mask, facialRegion } = randomMasks(2, 16, 12, 3);
    const images = randomImages(2, 32, 12);
    const { losses, grads } = model.lossAndGradients({ images, mask, facialRegion });
    expect(Number.isFinite(losses.loss)).toBe(true);
    // No exceptions: pos embeddings are constants, not parameters, so every parameter is on a loss path.
    const missing = model.trainableVariables().filter((p) => !grads.has(p.name)).map((p) => p.name);
    const zero = [...grads.entries()].filter(([, g]) => tf.max(tf.abs(g)).dataSync()[0] === 0).map(([n]) => n);
    expect(missing).toEqual([]);
    expect(zero).toEqual([]);
    expect(grads.size).toBe(model.online.params.names().length);
    tf.dispose([...grads.values(), images]);
    model.dispose();
  });

  it('the tensor count stays flat across optimiser + EMA steps', () => {
    const model = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, seed: 10 });
    const opt = tf.train.adam(1e-3);
    const batch = { images: randomImages(2, 32, 13), ...randomMasks(2, 16, 12, 3, 2) };
    adamStep(model, opt, batch, 0, 10); // creates Adam's slot variables
    const after1 = tf.memory().numTensors;
    for (let i = 1; i < 4; i++) adamStep(model, opt, batch, i, 10);
    expect(tf.memory().numTensors).toBe(after1);
    opt.dispose();
    model.dispose();
  });

  it('the loss falls over a few dozen Adam steps on a fixed batch (demo preset)', () => {
    const model = new FsfmModel({ preset: 'demo', seed: 11 });
    const opt = tf.train.adam(1e-3);
    const batch = { images: randomImages(2, 112, 14), ...randomMasks(2, 196, 147, 20, 3) };
    const started = performance.now();
    const history = Array.from({ length: 24 }, (_, i) => adamStep(model, opt, batch, i, 24));
    const msPerStep = (performance.now() - started) / history.length;
    console.info(`demo preset, batch 2, ${backend}: ${msPerStep.toFixed(0)} ms/step; loss ${history[0].loss.toFixed(3)} -> ${history.at(-1)!.loss.toFixed(3)}`);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const first = mean(history.slice(0, 3).map((h) => h.loss));
    const last = mean(history.slice(-3).map((h) => h.loss));
    expect(last).toBeLessThan(0.8 * first);
    expect(history.at(-1)!.lRec).toBeLessThan(history[0].lRec);
    opt.dispose();
    model.dispose();
  });
});
