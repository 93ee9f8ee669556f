import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contrastiveLoss, pixelLosses, totalLoss } from '../../../lib/model/loss.js';
import { maskIndexFrom } from '../../../lib/model/mask-index.js';
import { FsfmModel } from '../../../lib/model/model.js';
import { TEST_ARCH, randomImages, randomMasks, useTestBackend } from './backend-for-tests.js';

describe('FSFM losses on hand-built inputs', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  // One sample, two patches of two values. target [[1,3],[0,4]], pred [[1,1],[2,2]].
  const target = () => tf.tensor3d([[[1, 3], [0, 4]]]);
  const pred = () => tf.tensor3d([[[1, 1], [2, 2]]]);
  const hidden = () => tf.tensor2d([[0, 1]]);
  const region = () => tf.tensor2d([[1, 1]]);

  it('raw pixels: e = [2, 4] -> L_rec = 4 (hidden patch only), L_fr = 3', () => {
    const { lRec, lFr } = pixelLosses(target(), pred(), hidden(), region(), false);
    expect(lRec.dataSync()[0]).toBeCloseTo(4, 6);
    expect(lFr.dataSync()[0]).toBeCloseTo(3, 6);
  });

  it('norm-pix: patches become ±1/√2 (unbiased variance) -> e = [1.5, 4.5], L_rec = 4.5, L_fr = 3', () => {
    // [1,3]: μ 2, s² 2 -> [−.7071, .7071]; e0 = ((1+.7071)² + (1−.7071)²)/2 = 1.5
    // [0,4]: μ 2, s² 8 -> [−.7071, .7071]; e1 = ((2+.7071)² + (2−.7071)²)/2 = 4.5
    const { lRec, lFr } = pixelLosses(target(), pred(), hidden(), region(), true);
    expect(lRec.dataSync()[0]).toBeCloseTo(4.5, 4);
    expect(lFr.dataSync()[0]).toBeCloseTo(3, 4);
  });

  it('L_cl = −0.5·mean cos: cos = [0.6, −1] -> 0.1; total = 4.5 + 0.007·3 + 0.1·0.1 = 4.531', () => {
    const lCl = contrastiveLoss(tf.tensor2d([[1, 0], [0, 2]]), tf.tensor2d([[0.6, 0.8], [0, -1]]));
    expect(lCl.dataSync()[0]).toBeCloseTo(0.1, 6);
    const { lRec, lFr } = pixelLosses(target(), pred(), hidden(), region(), true);
    expect(totalLoss({ lRec, lFr, lCl }, 0.007, 0.1).dataSync()[0]).toBeCloseTo(4.531, 4);
  });

  it('an empty facial region contributes 0 instead of NaN', () => {
    const { lFr } = pixelLosses(target(), pred(), hidden(), tf.tensor2d([[0, 0]]), true);
    expect(lFr.dataSync()[0]).toBe(0);
  });
});

describe('the model wires the losses as specified', () => {
  let model: FsfmModel;
  beforeAll(async () => {
    await useTestBackend();
    model = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, seed: 4, lambdaFr: 0.5, lambdaCl: 0.25 });
  });
  afterAll(() => model.dispose());

  it('L_rec, L_fr, L_cl and L equal plain-JS recomputations from the forward outputs', () => {
    const n = 3;
    const L = 16;
    const images = randomImages(n, 32, 21);
    const { mask, facialRegion } = randomMasks(n, L, 12, 4, 5);
    const z = model.targetFeatures(images);
    const r = model.losses({ images, mask, facialRegion }, z);
    expect(r.pred.shape).toEqual([n, L, 192]);

    // Pixel terms from pred and the patchified image, in loops.
    const target = model.online.patchify(images).arraySync();
    const pred = r.pred.arraySync();
    let rec = 0;
    let fr = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < L; j++) {
      const t = target[i][j];
      const mean = t.reduce((a, b) => a + b, 0) / t.length;
      const variance = t.reduce((a, b) => a + (b - mean) ** 2, 0) / (t.length - 1);
      const e = t.reduce((a, v, k) => a + (pred[i][j][k] - (v - mean) / Math.sqrt(variance + 1e-6)) ** 2, 0) / t.length;
      rec += e * mask[i * L + j];
      fr += e * facialRegion[i * L + j];
    }
    rec /= 12 * n;
    fr /= 4 * n;
    expect(r.lRec.dataSync()[0]).toBeCloseTo(rec, 4);
    expect(r.lFr.dataSync()[0]).toBeCloseTo(fr, 4);

    // L_cl from the online prediction and the target projection.
    const index = maskIndexFrom(mask, n, L);
    const p = model.online.forwardRepresentation(model.online.forwardEncoder(images, index), index).arraySync();
    const zz = z.arraySync();
    let cos = 0;
    for (let i = 0; i < n; i++) {
      const dot = p[i].reduce((a, v, k) => a + v * zz[i][k], 0);
      const norm = Math.hypot(...p[i]) * Math.hypot(...zz[i]);
      cos += dot / norm;
    }
    const lCl = (-0.5 * cos) / n;
    expect(r.lCl.dataSync()[0]).toBeCloseTo(lCl, 5);
    expect(r.loss.dataSync()[0]).toBeCloseTo(rec + 0.5 * fr + 0.25 * lCl, 4);
  });

  it('the target features are unit vectors', () => {
    const images = randomImages(2, 32, 8);
    const z = model.targetFeatures(images).arraySync();
    for (const row of z) expect(Math.hypot(...row)).toBeCloseTo(1, 5);
  });
});
