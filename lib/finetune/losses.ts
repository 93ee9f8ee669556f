/**
 * Classification losses of the finetuning recipe (timm.loss), on logits [N, C].
 * Labels are class indices (1 = fake); targets are per-class probabilities (rows sum to 1).
 * Class selection is a product with a constant one-hot matrix: `gather`'s gradient does not exist on wasm.
 */
import * as tf from '@tensorflow/tfjs';
import { InvalidConfig } from '../errors.js';

/**
 * timm's LabelSmoothingCrossEntropy: mean over the batch of (1 − s)·(−log p_y) + s·mean_c(−log p_c).
 * logits: [N, C], labels: N class indices -> scalar.
 */
export function labelSmoothingCrossEntropy(logits: tf.Tensor2D, labels: ArrayLike<number>, smoothing = 0.1): tf.Scalar {
  if (!(smoothing >= 0 && smoothing < 1)) throw new InvalidConfig(`label smoothing must be in [0, 1), got ${smoothing}`);
  const [n, c] = logits.shape;
  return tf.tidy(() => {
    const logProbs = tf.logSoftmax(logits);
    const oneHot = oneHotConstant(labels, n, c);
    const nll = tf.neg(tf.sum(tf.mul(logProbs, oneHot), -1));
    const smooth = tf.neg(tf.mean(logProbs, -1));
    return tf.mean(tf.add(tf.mul(nll, 1 - smoothing), tf.mul(smooth, smoothing))) as tf.Scalar;
  });
}

/** timm's SoftTargetCrossEntropy: mean over the batch of Σ_c −t_c·log p_c. logits, targets: [N, C] -> scalar. */
export function softTargetCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor2D | Float32Array): tf.Scalar {
  const [n, c] = logits.shape;
  return tf.tidy(() => {
    const t = targets instanceof Float32Array ? tf.tensor2d(checkSize(targets, n * c), [n, c]) : targets;
    return tf.mean(tf.sum(tf.mul(tf.neg(tf.logSoftmax(logits)), t), -1)) as tf.Scalar;
  });
}

/** Plain cross-entropy (no smoothing), the FAS loss. logits: [N, C], labels: N class indices -> scalar. */
export function crossEntropy(logits: tf.Tensor2D, labels: ArrayLike<number>): tf.Scalar {
  return labelSmoothingCrossEntropy(logits, labels, 0);
}

/** timm's mixup_target without mixing: one-hot with off = s/C and on = 1 − s + s/C. -> Float32Array [N·C]. */
export function smoothedOneHot(labels: ArrayLike<number>, numClasses: number, smoothing: number): Float32Array {
  const off = smoothing / numClasses;
  const on = 1 - smoothing + off;
  const out = new Float32Array(labels.length * numClasses).fill(off);
  for (let i = 0; i < labels.length; i++) out[i * numClasses + checkLabel(labels[i], numClasses)] = on;
  return out;
}

function oneHotConstant(labels: ArrayLike<number>, n: number, c: number): tf.Tensor2D {
  if (labels.length !== n) throw new InvalidConfig(`${labels.length} labels for a batch of ${n}`);
  return tf.tensor2d(smoothedOneHot(labels, c, 0), [n, c]);
}

function checkLabel(label: number, numClasses: number): number {
  if (!Number.isInteger(label) || label < 0 || label >= numClasses) throw new InvalidConfig(`label ${label} is not a class index in [0, ${numClasses})`);
  return label;
}

function checkSize(values: Float32Array, size: number): Float32Array {
  if (values.length !== size) throw new InvalidConfig(`targets hold ${values.length} values, the logits need ${size}`);
  return values;
}
