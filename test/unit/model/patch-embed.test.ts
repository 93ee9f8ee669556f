import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { FsfmNetwork } from '../../../lib/model/fsfm.js';
import { ClassifierModel } from '../../../lib/model/heads.js';
import { embedPatches } from '../../../lib/model/patch-embed.js';
import { assertSameArch, encoderArch, type FsfmArch, resolveArch } from '../../../lib/model/presets.js';
import { lcg, TEST_ARCH, useTestBackend } from './backend-for-tests.js';

const arch: FsfmArch = resolveArch({ preset: 'demo', arch: { ...TEST_ARCH, patchEmbed: 'conv', stemChannels: 4 } });

function randomize(net: { params: { get(n: string): tf.Variable } }, name: string, seed: number): void {
  const v = net.params.get(name);
  const r = lcg(seed);
  v.assign(tf.tensor(Float32Array.from({ length: v.size }, () => r() - 0.5), v.shape));
}

describe('conv patch stem', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('keeps every token to its own patch: changing one patch changes only its token (masking hides a patch fully)', () => {
    const net = new FsfmNetwork({ arch, role: 'online', seed: 3 });
    // The stem's output Linear starts at zero; give it weights so the stem branch contributes.
    randomize(net, 'patch_embed.stem.proj.weight', 5);
    const r = lcg(9);
    const base = Float32Array.from({ length: 32 * 32 * 3 }, () => r());
    const changed = base.slice();
    // Patch (row 1, col 2) of the 4×4 grid of 8 px patches: every pixel of it, its border included.
    for (let y = 8; y < 16; y++) for (let x = 16; x < 24; x++) for (let c = 0; c < 3; c++) changed[(y * 32 + x) * 3 + c] += 0.7;
    const [a, b] = [base, changed].map((px) => tf.tidy(() => embedPatches(tf.tensor4d(px, [1, 32, 32, 3]), net.params, arch).arraySync()[0]));
    const moved = a.map((row, k) => Math.max(...row.map((v, d) => Math.abs(v - b[k][d])))).map((d) => d > 1e-6);
    expect(moved).toEqual(Array.from({ length: 16 }, (_, k) => k === 1 * 4 + 2));
    // The stem really takes part: without its branch the token of that patch would differ.
    const linearOnly = resolveArch({ preset: 'demo', arch: { ...TEST_ARCH } });
    const plain = tf.tidy(() => embedPatches(tf.tensor4d(base, [1, 32, 32, 3]), net.params, linearOnly).arraySync()[0]);
    expect(Math.max(...plain[6].map((v, d) => Math.abs(v - a[6][d])))).toBeGreaterThan(1e-3);
    net.dispose();
  });

  it('is part of the encoder a classifier loads from pretraining, and receives gradients when finetuned', () => {
    const net = new FsfmNetwork({ arch, role: 'online', seed: 3 });
    randomize(net, 'patch_embed.stem.proj.weight', 5);
    const { model, report } = ClassifierModel.fromPretrained({ head: 'dfd', preset: 'demo', arch: { ...TEST_ARCH, patchEmbed: 'conv', stemChannels: 4 }, headInitStd: 0.02 }, net.namedWeights());
    expect(report.loaded).toEqual(expect.arrayContaining(['patch_embed.stem.conv1.weight', 'patch_embed.stem.conv2.bias', 'patch_embed.stem.proj.weight']));
    expect(model.params.get('patch_embed.stem.proj.weight').arraySync()).toEqual(net.params.get('patch_embed.stem.proj.weight').arraySync());
    const r = lcg(4);
    const x = tf.tensor4d(Float32Array.from({ length: 2 * 32 * 32 * 3 }, () => r()), [2, 32, 32, 3]);
    const { grads } = model.lossAndGradients(x, (logits) => tf.mean(tf.sum(tf.mul(logits, tf.tensor2d([[1, -1], [-1, 1]])), 1)) as tf.Scalar);
    const g = grads.get('patch_embed.stem.conv1.weight');
    expect(g).toBeDefined();
    expect(tf.max(tf.abs(g!)).dataSync()[0]).toBeGreaterThan(0);
    tf.dispose([x, ...grads.values()]);
    model.dispose();
    net.dispose();
  });

  it('is part of the recorded encoder architecture: a stem checkpoint does not load into a linear model unnoticed', () => {
    const linear = resolveArch({ preset: 'demo', arch: { ...TEST_ARCH } });
    expect(encoderArch(linear).patchEmbed).toBe('linear');
    expect(() => assertSameArch(encoderArch(linear), encoderArch(arch), { model: 'the finetuning model', source: 'ckpt' })).toThrow(
      /ckpt holds a ViT .*conv stem ×4.* but the finetuning model is a ViT .*\(patchEmbed conv vs linear\)/,
    );
  });
});
