import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { ClassifierModel } from '../../../lib/model/heads.js';
import { classifierOptionsSchema } from '../../../lib/model/heads-options.js';
import { fullView } from '../../../lib/model/mask-index.js';
import { FsfmModel } from '../../../lib/model/model.js';
import { layerNorm } from '../../../lib/model/ops.js';
import { toTorchLayout } from '../../../lib/model/params.js';
import { labelSmoothingCrossEntropy } from '../../../lib/finetune/losses.js';
import { TINY_ARCH, randomImages, useTestBackend } from './helpers.js';

const tiny = { preset: 'demo', arch: TINY_ARCH } as const;

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('classifier heads', () => {
  let fsfm: FsfmModel;
  let images: tf.Tensor4D;
  beforeAll(async () => {
    await useTestBackend();
    fsfm = new FsfmModel({ ...tiny, seed: 5 });
    images = randomImages(3, 32, 21);
  });
  afterAll(() => {
    fsfm.dispose();
    images.dispose();
  });

  it('options: head is required, DfD defaults to drop path 0.1 and FAS to the reference values', () => {
    expect(() => classifierOptionsSchema.parse({})).toThrow();
    expect(classifierOptionsSchema.parse({ head: 'dfd' })).toMatchObject({ preset: 'base', dropPathRate: 0.1, headInitStd: 2e-5, seed: 0 });
    expect(classifierOptionsSchema.parse({ head: 'fas' })).toMatchObject({
      dropPathRate: 0, bottleneckDim: 512, dropoutRate: 0.5, featureNormAxis: 'tokens', classifierNorm: 'per-input',
    });
    expect(() => classifierOptionsSchema.parse({ head: 'dfd', dropoutRate: 0.5 })).toThrow();
  });

  it('dfd and fas heads give [N, 2] logits, [N, 1+L, D] tokens and P(fake) in (0, 1) equal to softmax column 1', () => {
    for (const head of ['dfd', 'fas'] as const) {
      const model = new ClassifierModel(head === 'fas' ? { head, ...tiny, bottleneckDim: 24 } : { head, ...tiny });
      tf.tidy(() => {
        expect(model.forwardTokens(images).shape).toEqual([3, 17, 32]);
        const logits = model.forwardLogits(images);
        expect(logits.shape).toEqual([3, 2]);
        const p = model.predictProba(images);
        expect(p.shape).toEqual([3]);
        const expected = tf.softmax(logits).slice([0, 1], [3, 1]).reshape([3]);
        expect(maxAbsDiff(p, expected)).toBeLessThan(1e-6);
        for (const v of p.dataSync()) expect(v > 0 && v < 1).toBe(true);
        if (head === 'fas') expect(model.fasFeatures(model.forwardTokens(images)).shape).toEqual([3, 17, 24]);
      });
      model.dispose();
    }
  });

  it('loading an FSFM encoder reproduces its encoder output (before the final norm) and reports what was skipped', () => {
    const { model, report } = ClassifierModel.fromPretrained({ head: 'dfd', ...tiny }, fsfm.online.namedWeights());
    expect(report.loaded).toEqual(model.encoderParamNames().filter((n) => n !== 'pos_embed'));
    expect(report.missing).toEqual(['pos_embed']);
    expect(report.ignored).toEqual(expect.arrayContaining(['norm.weight', 'norm.bias', 'decoder_pred.weight', 'projector.projection_head.0.weight', 'mask_token']));
    tf.tidy(() => {
      const reference = fsfm.online.forwardEncoder(images, fullView(3, 16));
      const p = (n: string) => fsfm.online.params.get(n) as unknown as tf.Tensor1D;
      const ours = layerNorm(model.forwardTokens(images), p('norm.weight'), p('norm.bias'), fsfm.arch.normEps);
      expect(maxAbsDiff(ours, reference)).toBeLessThan(1e-4);
    });
    model.dispose();
  });

  it('an encoder under other names loads through a name map, in PyTorch layout too', () => {
    const { model: direct } = ClassifierModel.fromPretrained({ head: 'dfd', ...tiny }, fsfm.online.namedWeights());
    // A "student.*" checkpoint in state_dict layout.
    const torchStyle = new Map(
      fsfm.online.namedWeights().map(([name, v]) => {
        const spec = fsfm.online.params.spec(name);
        return [`student.${name}`, tf.tensor(toTorchLayout(spec, v.dataSync() as Float32Array), spec.torchShape)] as const;
      }),
    );
    const { model: mapped, report } = ClassifierModel.fromPretrained({ head: 'dfd', ...tiny, seed: 99 }, torchStyle, { nameMap: (n) => `student.${n}`, layout: 'torch' });
    expect(report.missing).toEqual(['pos_embed']);
    // Same encoder and the same head (the head init depends on the seed only through the head: copy it).
    mapped.loadWeights(new Map([...mapped.namedWeights(), ...direct.namedWeights().filter(([n]) => !direct.encoderParamNames().includes(n))]));
    tf.tidy(() => {
      expect(maxAbsDiff(mapped.forwardLogits(images), direct.forwardLogits(images))).toBeLessThan(1e-5);
    });
    tf.dispose([...torchStyle.values()]);
    direct.dispose();
    mapped.dispose();
  });

  it('a source missing an encoder parameter is refused before anything is written', () => {
    const model = new ClassifierModel({ head: 'dfd', ...tiny });
    const before = model.params.get('blocks.0.attn.qkv.weight').dataSync().slice();
    const partial = fsfm.online.namedWeights().filter(([n]) => n !== 'blocks.1.mlp.fc2.bias');
    expect(() => model.loadEncoderWeights(partial)).toThrow(InvalidConfig);
    expect(() => model.loadEncoderWeights(partial)).toThrow(/blocks\.1\.mlp\.fc2\.bias/);
    expect(model.params.get('blocks.0.attn.qkv.weight').dataSync()).toEqual(before);
    const wrongShape = new Map(fsfm.online.namedWeights());
    const bad = tf.zeros([3, 3]);
    wrongShape.set('patch_embed.proj.weight', bad as tf.Variable);
    expect(() => model.loadEncoderWeights(wrongShape)).toThrow(/patch_embed\.proj\.weight has shape \[3,3\]/);
    bad.dispose();
    model.dispose();
  });

  it('dfd drops the final norm: perturbing the pretrained norm leaves the logits unchanged, perturbing fc_norm or a block does not', () => {
    const { model: a } = ClassifierModel.fromPretrained({ head: 'dfd', ...tiny }, fsfm.online.namedWeights());
    const perturbed = new Map(fsfm.online.namedWeights().map(([n, v]) => [n, v as tf.Tensor] as const));
    const noisyNorm = tf.randomNormal([32], 3, 1);
    perturbed.set('norm.weight', noisyNorm);
    const { model: b } = ClassifierModel.fromPretrained({ head: 'dfd', ...tiny }, perturbed);
    tf.tidy(() => {
      const la = a.forwardLogits(images);
      expect(maxAbsDiff(la, b.forwardLogits(images))).toBe(0);
      // The head is initialised at std 2e-5: scale it up so that feature changes show in the logits.
      b.params.get('head.weight').assign(tf.mul(b.params.get('head.weight'), 1e4));
      a.params.get('head.weight').assign(tf.mul(a.params.get('head.weight'), 1e4));
      const base = a.forwardLogits(images);
      b.params.get('fc_norm.weight').assign(tf.randomNormal([32], 1, 0.5));
      expect(maxAbsDiff(base, b.forwardLogits(images))).toBeGreaterThan(1e-3);
      // A random change: a constant added to every weight would only shift each token's mean, which fc_norm removes.
      const c = a.params.get('blocks.1.mlp.fc2.weight');
      c.assign(tf.add(c, tf.randomNormal(c.shape, 0, 0.1)));
      expect(maxAbsDiff(base, a.forwardLogits(images))).toBeGreaterThan(1e-3);
    });
    noisyNorm.dispose();
    a.dispose();
    b.dispose();
  });

  it('scratch init: head weights tiny (std 2e-5) with zero bias, fc_norm 1/0, pos_embed trainable', () => {
    const model = new ClassifierModel({ head: 'dfd', ...tiny, seed: 3 });
    const w = model.params.get('head.weight').dataSync() as Float32Array;
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.5e-5);
    expect(std).toBeLessThan(4e-5);
    expect([...model.params.get('head.bias').dataSync()]).toEqual([0, 0]);
    expect(new Set(model.params.get('fc_norm.weight').dataSync())).toEqual(new Set([1]));
    expect(model.params.get('pos_embed').trainable).toBe(true);
    expect(model.namedWeights().map(([n]) => n).slice(0, 4)).toEqual(['cls_token', 'pos_embed', 'patch_embed.proj.weight', 'patch_embed.proj.bias']);
    expect(model.headParamNames()).toEqual(['fc_norm.weight', 'fc_norm.bias', 'head.weight', 'head.bias']);
    model.dispose();
  });

  it('fas re-normalises the classifier weight every forward: per input feature (reference) or per class', () => {
    for (const classifierNorm of ['per-input', 'per-class'] as const) {
      const model = new ClassifierModel({ head: 'fas', ...tiny, bottleneckDim: 24, classifierNorm });
      const w = model.params.get('classifier.classifier_layer.weight'); // ours [24, 2]
      const norms = () => {
        const v = w.arraySync() as number[][];
        return classifierNorm === 'per-input' ? v.map((r) => Math.hypot(...r)) : [0, 1].map((c) => Math.hypot(...v.map((r) => r[c])));
      };
      expect(Math.max(...norms())).toBeLessThan(0.5); // N(0, 0.01) init: far from unit norm
      tf.tidy(() => model.forwardLogits(images));
      for (const n of norms()) expect(n).toBeCloseTo(1, 5);
      // A gradient step moves it off the unit sphere; the next forward brings it back.
      w.assign(tf.mul(w, 3));
      tf.tidy(() => model.forwardLogits(images));
      for (const n of norms()) expect(n).toBeCloseTo(1, 5);
      model.dispose();
    }
  });

  it('fas features: token 0 is fc_norm(mean of patches), bottleneck + ReLU, divided by √(2‖f‖) with the norm over tokens (or channels)', () => {
    for (const featureNormAxis of ['tokens', 'channels'] as const) {
      const model = new ClassifierModel({ head: 'fas', ...tiny, bottleneckDim: 24, featureNormAxis });
      tf.tidy(() => {
        const tokens = model.forwardTokens(images);
        const p = (n: string) => model.params.get(n);
        const pooled = layerNorm(tf.mean(tokens.slice([0, 1, 0], [3, 16, 32]), 1), p('fc_norm.weight') as tf.Tensor1D, p('fc_norm.bias') as tf.Tensor1D, 1e-6);
        const x = tf.concat([pooled.reshape([3, 1, 32]), tokens.slice([0, 1, 0], [3, 16, 32])], 1);
        const g = tf.relu(tf.add(tf.matMul(x.reshape([51, 32]), p('embedder.bottleneck_layer_fc.weight')), p('embedder.bottleneck_layer_fc.bias'))).reshape([3, 17, 24]);
        const norm = tf.norm(g, 'euclidean', featureNormAxis === 'tokens' ? 1 : 2, true);
        const expected = tf.div(g, tf.mul(tf.sqrt(norm), Math.SQRT2));
        expect(maxAbsDiff(model.fasFeatures(tokens), expected)).toBeLessThan(1e-5);
      });
      model.dispose();
    }
  });

  it('namedWeights round-trips through loadWeights to identical logits', () => {
    for (const head of ['dfd', 'fas'] as const) {
      const a = new ClassifierModel({ head, ...tiny, seed: 1, ...(head === 'fas' ? { bottleneckDim: 24 } : {}) } as never);
      const b = new ClassifierModel({ head, ...tiny, seed: 2, ...(head === 'fas' ? { bottleneckDim: 24 } : {}) } as never);
      tf.tidy(() => {
        expect(maxAbsDiff(a.forwardLogits(images), b.forwardLogits(images))).toBeGreaterThan(0);
        b.loadWeights(a.namedWeights());
        expect(maxAbsDiff(a.forwardLogits(images), b.forwardLogits(images))).toBe(0);
      });
      expect(b.referenceName('blocks.0.norm1.weight')).toBe(head === 'fas' ? 'backbone.vit.blocks.0.norm1.weight' : 'blocks.0.norm1.weight');
      a.dispose();
      b.dispose();
    }
  });

  it('every parameter gets a gradient, drop path makes training stochastic, and the tensor count stays flat over Adam steps', () => {
    for (const head of ['dfd', 'fas'] as const) {
      const model = new ClassifierModel({ head, ...tiny, dropPathRate: 0.5, ...(head === 'fas' ? { bottleneckDim: 24 } : {}) } as never);
      const labels = [0, 1, 1];
      const opt = tf.train.adam(1e-3);
      const step = () => {
        const { loss, grads } = model.lossAndGradients(images, (logits) => labelSmoothingCrossEntropy(logits, labels));
        opt.applyGradients(model.trainableVariables().map((p) => ({ name: p.variable.name, tensor: grads.get(p.name)! })));
        const names = [...grads.keys()];
        tf.dispose([...grads.values()]);
        return { loss, names };
      };
      const first = step();
      expect(Number.isFinite(first.loss)).toBe(true);
      expect(first.names.sort()).toEqual(model.params.names().sort());
      const count = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) step();
      expect(tf.memory().numTensors).toBe(count);
      tf.tidy(() => {
        // Eval is deterministic (up to the FAS weight re-normalisation's float rounding).
        expect(maxAbsDiff(model.forwardLogits(images), model.forwardLogits(images))).toBeLessThan(1e-6);
        // Unseeded draws differ from call to call. 16 images: with drop path rising linearly over the blocks, the
        // tiny model's first block draws nothing, so 3 images would give only 6 coin flips (the same masks 1 time in 64).
        const many = randomImages(16, 32, 8);
        const t1 = model.forwardTokens(many, true);
        const t2 = model.forwardTokens(many, true);
        expect(maxAbsDiff(t1, t2)).toBeGreaterThan(0);
      });
      opt.dispose();
      model.dispose();
    }
  });

  it('a noise seed makes a training pass (drop path, FAS dropout) a pure function of it', () => {
    // 16 images, so that two different draws of drop path (only the second block draws here) cannot coincide by chance.
    const many = randomImages(16, 32, 8);
    const labels = Array.from({ length: 16 }, (_, i) => i % 2);
    for (const head of ['dfd', 'fas'] as const) {
      const model = new ClassifierModel({ head, ...tiny, dropPathRate: 0.5, ...(head === 'fas' ? { bottleneckDim: 24 } : {}) } as never);
      const pass = (seed?: number) => {
        const { loss, grads } = model.lossAndGradients(many, (logits) => labelSmoothingCrossEntropy(logits, labels), seed);
        const values = [...grads.entries()].sort(([a], [b]) => a.localeCompare(b)).flatMap(([, g]) => Array.from(g.dataSync()));
        tf.dispose([...grads.values()]);
        return { loss, grads: values };
      };
      const maxDiff = (a: number[], b: number[]) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
      const a = pass(1234);
      const b = pass(1234);
      // dfd: bit-identical. fas: each pass re-normalises the classifier weight first, which moves it by float rounding.
      const same = maxDiff(a.grads, b.grads);
      if (head === 'dfd') expect(same).toBe(0);
      expect(same, head).toBeLessThan(1e-5);
      // Another seed draws other masks; without a seed the draws come from TF.js's global RNG.
      expect(maxDiff(pass(99).grads, a.grads), head).toBeGreaterThan(1e-3);
      expect(maxDiff(pass().grads, a.grads), head).toBeGreaterThan(1e-3);
      model.dispose();
    }
    many.dispose();
  });
});
