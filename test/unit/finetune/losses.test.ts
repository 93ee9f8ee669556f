import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { crossEntropy, labelSmoothingCrossEntropy, smoothedOneHot, softTargetCrossEntropy } from '../../../lib/finetune/losses.js';
import { useTestBackend } from './helpers.js';

describe('finetuning losses', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('label smoothing CE (0.1) matches the hand value', () => {
    // Sample 1: logits (2, 0), label 0: nll = log(1 + e^-2), mean(−log p) = nll + 1, loss = nll + 0.1.
    // Sample 2: logits (0, 0), label 1: every term is log 2.
    const logits = tf.tensor2d([[2, 0], [0, 0]]);
    const expected = (Math.log(1 + Math.exp(-2)) + 0.1 + Math.LN2) / 2;
    expect(labelSmoothingCrossEntropy(logits, [0, 1], 0.1).dataSync()[0]).toBeCloseTo(expected, 6);
    expect(crossEntropy(logits, [0, 1]).dataSync()[0]).toBeCloseTo((Math.log(1 + Math.exp(-2)) + Math.LN2) / 2, 6);
    expect(() => labelSmoothingCrossEntropy(logits, [0, 2])).toThrow(InvalidConfig);
    expect(() => labelSmoothingCrossEntropy(logits, [0])).toThrow(/1 labels for a batch of 2/);
    logits.dispose();
  });

  it('soft-target CE on smoothed one-hot targets equals label smoothing CE, and its gradient is (softmax − t)/N', () => {
    const logits = tf.tensor2d([[0.3, -1.2], [2.5, 0.1], [-0.4, 0.9]]);
    const labels = [1, 0, 1];
    const targets = smoothedOneHot(labels, 2, 0.1);
    expect([...targets]).toEqual([0.05, 0.95, 0.95, 0.05, 0.05, 0.95].map(Math.fround));
    const soft = softTargetCrossEntropy(logits, targets).dataSync()[0];
    expect(soft).toBeCloseTo(labelSmoothingCrossEntropy(logits, labels, 0.1).dataSync()[0], 6);
    const grad = tf.grad((x: tf.Tensor) => softTargetCrossEntropy(x as tf.Tensor2D, targets))(logits);
    const expected = tf.div(tf.sub(tf.softmax(logits), tf.tensor2d(targets, [3, 2])), 3);
    expect(tf.max(tf.abs(tf.sub(grad, expected))).dataSync()[0]).toBeLessThan(1e-6);
    tf.dispose([logits, grad, expected]);
  });
});
