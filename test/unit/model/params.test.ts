import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FsfmNetwork } from '../../../lib/model/fsfm.js';
import { FsfmModel } from '../../../lib/model/model.js';
import { linear } from '../../../lib/model/ops.js';
import { fromTorchLayout, toTorchLayout } from '../../../lib/model/params.js';
import { patchify } from '../../../lib/model/patchify.js';
import { FSFM_PRESETS, type FsfmArch } from '../../../lib/model/presets.js';
import { TEST_ARCH, randomImages, useTestBackend } from './backend-for-tests.js';

const arch = { ...FSFM_PRESETS.demo, ...TEST_ARCH } as FsfmArch;
const blockNames = (p: string) =>
  ['norm1.weight', 'norm1.bias', 'attn.qkv.weight', 'attn.qkv.bias', 'attn.proj.weight', 'attn.proj.bias', 'norm2.weight', 'norm2.bias', 'mlp.fc1.weight', 'mlp.fc1.bias', 'mlp.fc2.weight', 'mlp.fc2.bias'].map((s) => `${p}.${s}`);
const headNames = (p: string) => ['0.weight', '0.bias', '1.weight', '1.bias', '3.weight', '3.bias'].map((s) => `${p}.projection_head.${s}`);

describe('named parameters', () => {
  let model: FsfmModel;
  beforeAll(async () => {
    await useTestBackend();
    model = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, seed: 1 });
  });
  afterAll(() => model.dispose());

  it('use the reference state_dict names, in its order', () => {
    expect(model.online.params.names()).toEqual([
      'patch_embed.proj.weight', 'patch_embed.proj.bias', 'cls_token',
      ...blockNames('blocks.0'), ...blockNames('blocks.1'), 'norm.weight', 'norm.bias',
      ...headNames('projector'), ...headNames('predictor'),
      'mask_token', 'rep_decoder_embed.weight', 'rep_decoder_embed.bias', ...blockNames('rep_decoder_blocks.0'),
      'rep_decoder_norm.weight', 'rep_decoder_norm.bias', 'rep_decoder_pred.weight', 'rep_decoder_pred.bias',
      'decoder_embed.weight', 'decoder_embed.bias', ...blockNames('decoder_blocks.0'),
      'decoder_norm.weight', 'decoder_norm.bias', 'decoder_pred.weight', 'decoder_pred.bias',
    ]);
  });

  it('record PyTorch shapes next to ours', () => {
    const spec = (n: string) => model.online.params.spec(n);
    expect(spec('blocks.0.attn.qkv.weight')).toMatchObject({ shape: [32, 96], torchShape: [96, 32], layout: 'linear' });
    expect(spec('patch_embed.proj.weight')).toMatchObject({ shape: [192, 32], torchShape: [32, 3, 8, 8], layout: 'patch-embed' });
    expect(spec('cls_token')).toMatchObject({ shape: [1, 32], torchShape: [1, 1, 32] });
    expect(spec('decoder_pred.weight').torchShape).toEqual([192, 24]);
    expect(spec('norm.weight').torchShape).toEqual([32]);
  });

  it('EMA shares encoder, mask token, representation decoder and projector, not predictor or pixel decoder', () => {
    const shared = model.emaSharedNames();
    expect(shared).toEqual(model.target.params.names());
    expect(shared).toContain('mask_token');
    expect(shared).toContain('rep_decoder_blocks.0.attn.qkv.weight');
    expect(shared).toContain('projector.projection_head.3.weight');
    expect(shared.some((n) => n.startsWith('predictor') || n.startsWith('decoder_'))).toBe(false);
    expect(model.target.params.names().filter((n) => !model.online.params.has(n))).toEqual([]);
  });

  it('exclude biases and 1-D parameters from weight decay, but not the tokens', () => {
    const { decay, noDecay } = model.paramGroups();
    const decayNames = decay.map((p) => p.name);
    expect(decayNames).toContain('cls_token');
    expect(decayNames).toContain('mask_token');
    expect(decayNames).toContain('patch_embed.proj.weight');
    expect(decay.every((p) => p.variable.shape.length > 1 && !p.name.endsWith('.bias'))).toBe(true);
    expect(noDecay.every((p) => p.variable.shape.length === 1)).toBe(true);
    expect(noDecay.map((p) => p.name)).toContain('blocks.0.norm1.weight');
    expect(decay.length + noDecay.length).toBe(model.online.params.names().length);
  });

  it('convert to and from the PyTorch layout, and the patch-embed map equals the reference Conv2d', () => {
    const spec = model.online.params.spec('patch_embed.proj.weight');
    const ours = model.online.params.get('patch_embed.proj.weight');
    const torch = toTorchLayout(spec, ours.dataSync() as Float32Array);
    expect(Array.from(fromTorchLayout(spec, torch))).toEqual(Array.from(ours.dataSync()));
    // Conv2d(3→D, kernel p, stride p) with the torch weight, as TF's [p, p, 3, D] filter.
    const [D, , p] = spec.torchShape;
    const filter = new Float32Array(p * p * 3 * D);
    for (let d = 0; d < D; d++) for (let c = 0; c < 3; c++) for (let i = 0; i < p; i++) for (let j = 0; j < p; j++) {
      filter[((i * p + j) * 3 + c) * D + d] = torch[((d * 3 + c) * p + i) * p + j];
    }
    const imgs = randomImages(2, 32, 9);
    const conv = tf.conv2d(imgs, tf.tensor4d(filter, [p, p, 3, D]), p, 'valid').reshape([2, 16, D]);
    const ourEmbed = linear(patchify(imgs, p), ours as tf.Tensor2D);
    const diff = tf.max(tf.abs(tf.sub(conv, ourEmbed))).dataSync()[0];
    expect(diff).toBeLessThan(1e-4);

    const lin = model.online.params.spec('blocks.0.mlp.fc1.weight');
    const w = model.online.params.get('blocks.0.mlp.fc1.weight');
    const t = toTorchLayout(lin, w.dataSync() as Float32Array);
    // torch[o][i] = ours[i][o]
    expect(t[3 * lin.shape[0] + 5]).toBe((w.arraySync() as number[][])[5][3]);
    expect(Array.from(fromTorchLayout(lin, t))).toEqual(Array.from(w.dataSync()));
  });
});

describe('initialisation', () => {
  beforeAll(async () => {
    await useTestBackend();
  });

  it('is deterministic by seed and differs across seeds', () => {
    const a = new FsfmNetwork({ arch, role: 'online', seed: 5 });
    const b = new FsfmNetwork({ arch, role: 'online', seed: 5 });
    const c = new FsfmNetwork({ arch, role: 'online', seed: 6 });
    for (const name of ['blocks.1.attn.qkv.weight', 'cls_token', 'predictor.projection_head.0.weight']) {
      expect(Array.from(a.params.get(name).dataSync())).toEqual(Array.from(b.params.get(name).dataSync()));
      expect(Array.from(a.params.get(name).dataSync())).not.toEqual(Array.from(c.params.get(name).dataSync()));
    }
    [a, b, c].forEach((n) => n.dispose());
  });

  it('follows the spec: xavier linears, N(0,0.02) tokens, LayerNorm 1/0, kaiming fan-out heads, zero biases', () => {
    const net = new FsfmNetwork({ arch: { ...arch, projectionHiddenDim: 512 }, role: 'online', seed: 2 });
    const values = (n: string) => Array.from(net.params.get(n).dataSync());
    const std = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0) / v.length);
    const qkv = values('blocks.0.attn.qkv.weight');
    const bound = Math.sqrt(6 / (32 + 96));
    expect(Math.max(...qkv.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(std(qkv)).toBeCloseTo(bound / Math.sqrt(3), 2);
    const patch = values('patch_embed.proj.weight');
    expect(Math.max(...patch.map(Math.abs))).toBeLessThanOrEqual(Math.sqrt(6 / (192 + 32)));
    expect(Math.max(...patch.map(Math.abs))).toBeGreaterThan(0.9 * Math.sqrt(6 / (192 + 32)));
    // kaiming normal, fan-out = out features: std √(2/512) for the 32→512 layer
    expect(std(values('projector.projection_head.0.weight')) / Math.sqrt(2 / 512)).toBeGreaterThan(0.95);
    expect(std(values('projector.projection_head.0.weight')) / Math.sqrt(2 / 512)).toBeLessThan(1.05);
    const tokens = [...values('cls_token'), ...values('mask_token')];
    expect(std(tokens)).toBeGreaterThan(0.012);
    expect(std(tokens)).toBeLessThan(0.03);
    expect(values('blocks.0.norm1.weight').every((v) => v === 1)).toBe(true);
    for (const n of ['blocks.0.norm1.bias', 'blocks.0.attn.qkv.bias', 'projector.projection_head.0.bias', 'decoder_pred.bias']) {
      expect(values(n).every((v) => v === 0)).toBe(true);
    }
    net.dispose();
  });

  it('the target starts as a copy of the online network', () => {
    const model = new FsfmModel({ preset: 'demo', arch: TEST_ARCH, seed: 3 });
    for (const name of model.emaSharedNames()) {
      expect(Array.from(model.target.params.get(name).dataSync())).toEqual(Array.from(model.online.params.get(name).dataSync()));
    }
    model.dispose();
  });

  it('the ViT-S encoder has exactly timm vit_small_patch16_224 parameters (without head and pos_embed)', () => {
    const net = new FsfmNetwork({ arch: FSFM_PRESETS.small, role: 'target' });
    const encoder = net.params.specsList().filter((s) => /^(patch_embed|cls_token|blocks\.|norm\.)/.test(s.name));
    const count = encoder.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
    // timm: 22,050,664 total − head 385,000 − pos_embed 75,648
    expect(count).toBe(21_590_016);
    net.dispose();
  });
});
