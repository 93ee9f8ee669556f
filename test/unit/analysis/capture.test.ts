import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { encoderAttention, patchGeometry } from '../../../lib/analysis/capture.js';
import { FsfmNetwork, attention, attentionProbabilities, fullView, resolveArch } from '../../../lib/model/index.js';
import { ClassifierModel } from '../../../lib/model/heads.js';
import { TEST_ARCH, randomImages, useTestBackend } from '../model/backend-for-tests.js';

beforeAll(async () => {
  await useTestBackend();
});

describe('encoder attention capture', () => {
  it('returns one [B, H, T, T] map per block with rows summing to 1 and leaves the encoder output unchanged', () => {
    const arch = resolveArch({ preset: 'demo', arch: TEST_ARCH });
    const net = new FsfmNetwork({ arch, role: 'target', seed: 1 });
    const images = randomImages(2, 32);
    const before = tf.memory().numTensors;
    const maps = encoderAttention(net, images);
    expect(tf.memory().numTensors).toBe(before);
    expect(maps).toHaveLength(arch.depth);
    for (const m of maps) {
      expect([m.batch, m.heads, m.tokens]).toEqual([2, arch.numHeads, 17]);
      for (let r = 0; r < m.batch * m.heads * m.tokens; r++) {
        let s = 0;
        for (let k = 0; k < m.tokens; k++) s += m.data[r * m.tokens + k];
        expect(s).toBeCloseTo(1, 5);
      }
    }
    expect(maps[0].data).not.toEqual(maps[1].data);
    const index = fullView(2, net.numPatches);
    const plain = net.forwardEncoder(images, index);
    const hooked = net.forwardEncoder(images, index, { onAttention: () => {} });
    expect(Array.from(hooked.dataSync())).toEqual(Array.from(plain.dataSync()));
    expect(patchGeometry(net)).toEqual({ gridSize: 4, patchSizePx: 8, prefixTokens: 1 });
    tf.dispose([images, plain, hooked]);
    net.dispose();
  });

  it('the probabilities are the ones the attention sub-layer uses: probs·v then proj reproduces attention()', () => {
    const [B, T, D, H] = [2, 5, 8, 2];
    const d = D / H;
    const x = randomImages(1, 10, 11).reshape([-1]).slice(0, B * T * D).reshape([B, T, D]) as tf.Tensor3D;
    const w = (seed: number, shape: number[]) => randomImages(1, 16, seed).reshape([-1]).slice(0, shape.reduce((a, b) => a * b)).reshape(shape);
    const p = { qkvWeight: w(2, [D, 3 * D]) as tf.Tensor2D, qkvBias: w(3, [3 * D]) as tf.Tensor1D, projWeight: w(4, [D, D]) as tf.Tensor2D, projBias: w(5, [D]) as tf.Tensor1D };
    const probs = attentionProbabilities(x, p, H); // [B, H, T, T]
    const v = tf.matMul(x.reshape([B * T, D]), p.qkvWeight).add(p.qkvBias).slice([0, 2 * D], [B * T, D]).reshape([B, T, H, d]).transpose([0, 2, 1, 3]);
    const merged = tf.matMul(probs, v as tf.Tensor4D).transpose([0, 2, 1, 3]).reshape([B * T, D]);
    const expected = tf.matMul(merged, p.projWeight).add(p.projBias).reshape([B, T, D]);
    const actual = attention(x, p, H);
    const a = actual.dataSync();
    expected.dataSync().forEach((e, i) => expect(a[i]).toBeCloseTo(e, 4));
  });

  it('works on a finetuned classifier too', () => {
    const clf = new ClassifierModel({ preset: 'demo', arch: TEST_ARCH, head: 'dfd' });
    const images = randomImages(1, 32, 5);
    const maps = encoderAttention(clf, images);
    expect(maps).toHaveLength(2);
    expect(maps[1].tokens).toBe(17);
    images.dispose();
  });
});
