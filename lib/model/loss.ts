/**
 * FSFM losses (method notes §4):
 *   target pixels per patch (norm-pix): (x − μ) / √(σ²_unbiased + 1e-6)
 *   e_p   = mean over the patch's values of (pred − target)²
 *   L_rec = Σ e·mask / Σ mask          (all hidden patches)
 *   L_fr  = Σ e·F / Σ F                (the fully covered facial region)
 *   L_cl  = −0.5 · mean_batch cos(p, z)  (p: online prediction, z: target projection, no gradient to z)
 *   L     = L_rec + λ_fr·L_fr + λ_cl·L_cl
 */
import * as tf from '@tensorflow/tfjs';
import { stopGradient, tidyObject } from './ops.js';

export interface PixelLosses {
  lRec: tf.Scalar;
  lFr: tf.Scalar;
}

/** target, pred: [N, L, P]; hidden, region: [N, L] (0/1). */
export function pixelLosses(target: tf.Tensor3D, pred: tf.Tensor3D, hidden: tf.Tensor2D, region: tf.Tensor2D, normPixLoss: boolean): PixelLosses {
  return tidyObject(() => {
    const t = normPixLoss ? normalizePatches(target) : target;
    const perPatch = tf.mean(tf.squaredDifference(pred, t), -1); // [N, L]
    const lRec = tf.div(tf.sum(tf.mul(perPatch, hidden)), tf.sum(hidden)) as tf.Scalar;
    // An empty facial region would make 0/0; its loss term is then 0 rather than NaN.
    const lFr = tf.div(tf.sum(tf.mul(perPatch, region)), tf.maximum(tf.sum(region), 1)) as tf.Scalar;
    return { lRec, lFr };
  });
}

/** x: [N, L, P] -> per-patch (x − μ)/√(unbiased var + 1e-6). */
export function normalizePatches(x: tf.Tensor3D): tf.Tensor3D {
  return tf.tidy(() => {
    const count = x.shape[2];
    const mean = tf.mean(x, -1, true);
    const centered = tf.sub(x, mean);
    const varUnbiased = tf.div(tf.sum(tf.square(centered), -1, true), count - 1);
    return tf.div(centered, tf.sqrt(tf.add(varUnbiased, 1e-6))) as tf.Tensor3D;
  });
}

/** p, z: [N, K] -> −0.5 · mean cos(p, z); z is treated as a constant. */
export function contrastiveLoss(p: tf.Tensor2D, z: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    const zc = stopGradient(z);
    const dot = tf.sum(tf.mul(p, zc), -1);
    const norms = tf.sqrt(tf.mul(tf.sum(tf.square(p), -1), tf.sum(tf.square(zc), -1)));
    const cos = tf.div(dot, tf.maximum(norms, 1e-8));
    return tf.mul(tf.mean(cos), -0.5) as tf.Scalar;
  });
}

export function totalLoss(parts: { lRec: tf.Scalar; lFr: tf.Scalar; lCl: tf.Scalar }, lambdaFr: number, lambdaCl: number): tf.Scalar {
  return tf.tidy(() => tf.addN([parts.lRec, tf.mul(parts.lFr, lambdaFr), tf.mul(parts.lCl, lambdaCl)]) as tf.Scalar);
}
