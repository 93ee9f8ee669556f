/**
 * Timing of one FSFM pretraining step (demo preset, batch 8) and of a plain 2-D matMul, in one process.
 * Not a test: run `npx tsx test/unit/model/bench-step.ts [backend]` (default wasm).
 */
import * as tf from '@tensorflow/tfjs';
import { FsfmModel } from '../../../lib/model/model.js';
import { type BackendPreference, initBackend } from '../../../lib/tensor/backend.js';
import { randomImages, randomMasks } from './backend-for-tests.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function matMulGflops(m: number, k: number, n: number, reps: number): number {
  const a = tf.randomNormal([m, k]) as tf.Tensor2D;
  const b = tf.randomNormal([k, n]) as tf.Tensor2D;
  tf.matMul(a, b).dispose();
  const times: number[] = [];
  for (let r = 0; r < reps; r++) {
    // A fresh right operand each time, as in training (the wasm kernel caches packed weights per tensor).
    const b2 = tf.add(b, 0) as tf.Tensor2D;
    const t0 = performance.now();
    const c = tf.matMul(a, b2);
    c.dataSync();
    times.push(performance.now() - t0);
    tf.dispose([b2, c]);
  }
  tf.dispose([a, b]);
  return (2 * m * k * n) / median(times) / 1e6;
}

async function main(): Promise<void> {
  const prefer = (process.argv[2] ?? 'wasm') as BackendPreference;
  const batchSize = Number(process.argv[3] ?? 8);
  const sel = await initBackend({ prefer });
  const model = new FsfmModel({ preset: 'demo' });
  const L = 196;
  const batch = { images: randomImages(batchSize, 112, 1), ...randomMasks(batchSize, L, 147, 20, 2) };
  const opt = tf.train.adam(1e-4);
  const step = (i: number) => {
    const { losses, grads } = model.lossAndGradients(batch);
    opt.applyGradients(model.trainableVariables().map((p) => ({ name: p.variable.name, tensor: grads.get(p.name)! })));
    tf.dispose([...grads.values()]);
    model.updateTarget(i, 1000);
    return losses.loss;
  };
  step(0);
  const times: number[] = [];
  for (let i = 1; i <= 5; i++) {
    const t0 = performance.now();
    step(i);
    times.push(performance.now() - t0);
  }
  const gf = [matMulGflops(1576, 192, 768, 7), matMulGflops(512, 512, 512, 7)];
  console.log(JSON.stringify({
    backend: sel.backend,
    preset: 'demo',
    batch: batchSize,
    onlineParams: model.online.params.count(),
    stepMsMedian: Math.round(median(times)),
    stepMs: times.map((t) => Math.round(t)),
    matMulGflops: { '1576x192x768': +gf[0].toFixed(1), '512x512x512': +gf[1].toFixed(1) },
  }));
}

void main();
