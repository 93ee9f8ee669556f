import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { emaMomentum } from '../../../lib/model/ema.js';
import { FsfmModel } from '../../../lib/model/model.js';
import { TEST_ARCH, useTestBackend } from './backend-for-tests.js';

describe('EMA of the target network', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('momentum rises on a cosine from the base (0.996) to 1', () => {
    expect(emaMomentum(0, 1000)).toBeCloseTo(0.996, 12);
    expect(emaMomentum(500, 1000)).toBeCloseTo(0.998, 12);
    expect(emaMomentum(1000, 1000)).toBe(1);
    expect(emaMomentum(250, 1000, 0.99)).toBeCloseTo(1 - 0.01 * (1 + Math.SQRT1_2) / 2, 12);
    expect(emaMomentum(100, 1000)).toBeLessThan(emaMomentum(101, 1000));
  });

  it('θt ← m·θt + (1−m)·θo on shared parameters only', () => {
    const model = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, emaBase: 0.9 });
    const name = 'blocks.0.attn.qkv.weight';
    const before = model.target.params.get(name).dataSync().slice();
    // Move the online weight by +1 everywhere; the target should move by (1 − m) = 0.1.
    model.online.params.get(name).assign(tf.add(model.online.params.get(name), 1));
    const m = model.updateTarget(0, 10);
    expect(m).toBeCloseTo(0.9, 12);
    const after = model.target.params.get(name).dataSync();
    for (let i = 0; i < after.length; i += 97) expect(after[i] - before[i]).toBeCloseTo(0.1, 5);
    // An untouched shared parameter stays equal to the online one.
    expect(Array.from(model.target.params.get('norm.weight').dataSync())).toEqual(Array.from(model.online.params.get('norm.weight').dataSync()));
    expect(model.target.params.has('predictor.projection_head.0.weight')).toBe(false);
    model.dispose();
  });
});
