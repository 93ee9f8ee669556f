import { describe, expect, it } from 'vitest';
import { InvalidConfig } from '../../../lib/errors.js';
import { decaysWeight, layerDecayByParam, layerDecayGroups, layerIdForParam, layerLrScale } from '../../../lib/finetune/layer-decay.js';
import { ClassifierModel } from '../../../lib/model/heads.js';
import { TINY_ARCH, useTestBackend } from './helpers.js';

describe('layer-wise lr decay (depth 4, decay 0.65)', () => {
  const depth = 4;
  const decay = 0.65;

  it('maps embedding -> 0, block i -> i+1, everything else -> depth+1, with scale decay^(5 − id)', () => {
    const byHand: [string, number, number][] = [
      ['cls_token', 0, 0.65 ** 5],
      ['pos_embed', 0, 0.1160290625],
      ['patch_embed.proj.weight', 0, 0.1160290625],
      ['patch_embed.proj.bias', 0, 0.1160290625],
      ['blocks.0.attn.qkv.weight', 1, 0.17850625],
      ['blocks.1.norm1.weight', 2, 0.274625],
      ['blocks.2.mlp.fc2.bias', 3, 0.4225],
      ['blocks.3.mlp.fc1.weight', 4, 0.65],
      ['fc_norm.weight', 5, 1],
      ['head.weight', 5, 1],
      ['embedder.bottleneck_layer_fc.weight', 5, 1],
      ['classifier.classifier_layer.bias', 5, 1],
    ];
    for (const [name, id, scale] of byHand) {
      expect(layerIdForParam(name, depth), name).toBe(id);
      expect(layerLrScale(name, depth, decay), name).toBeCloseTo(scale, 12);
    }
    // "blocks.10" is not "blocks.1" followed by anything.
    expect(layerIdForParam('blocks.10.norm1.weight', 12)).toBe(11);
    expect(() => layerIdForParam('blocks.4.norm1.weight', depth)).toThrow(InvalidConfig);
    expect(() => layerLrScale('head.weight', depth, 0)).toThrow(InvalidConfig);
  });

  it('excludes 1-D parameters, biases, pos_embed and cls_token from weight decay', () => {
    expect(decaysWeight({ name: 'cls_token', shape: [1, 8] })).toBe(false);
    expect(decaysWeight({ name: 'pos_embed', shape: [17, 8] })).toBe(false);
    expect(decaysWeight({ name: 'blocks.0.attn.qkv.bias', shape: [24] })).toBe(false);
    expect(decaysWeight({ name: 'fc_norm.weight', shape: [8] })).toBe(false);
    expect(decaysWeight({ name: 'patch_embed.proj.weight', shape: [192, 8] })).toBe(true);
    expect(decaysWeight({ name: 'head.weight', shape: [8, 2] })).toBe(true);
  });

  it('groups a real depth-4 classifier like MAE param_groups_lrd: 2 groups per layer id, every parameter once', async () => {
    await useTestBackend();
    const model = new ClassifierModel({ head: 'dfd', preset: 'demo', arch: { ...TINY_ARCH, depth } });
    const params = model.namedWeights().map(([name, v]) => ({ name, shape: v.shape }));
    const groups = layerDecayGroups(params, { depth, layerDecay: decay, weightDecay: 0.05 });
    expect(groups.map((g) => g.groupName)).toEqual([
      'layer_0_no_decay', 'layer_0_decay',
      'layer_1_no_decay', 'layer_1_decay', 'layer_2_no_decay', 'layer_2_decay',
      'layer_3_no_decay', 'layer_3_decay', 'layer_4_no_decay', 'layer_4_decay',
      'layer_5_no_decay', 'layer_5_decay',
    ]);
    const all = groups.flatMap((g) => g.paramNames);
    expect(all.sort()).toEqual(params.map((p) => p.name).sort());
    const g0 = groups.find((g) => g.groupName === 'layer_0_no_decay')!;
    expect(g0.paramNames).toEqual(['cls_token', 'pos_embed', 'patch_embed.proj.bias']);
    expect(g0.weightDecay).toBe(0);
    expect(g0.lrScale).toBeCloseTo(0.1160290625, 12);
    const last = groups.find((g) => g.groupName === 'layer_5_decay')!;
    expect(last).toMatchObject({ paramNames: ['head.weight'], weightDecay: 0.05, lrScale: 1 });
    const byParam = layerDecayByParam(params, { depth, layerDecay: decay, weightDecay: 0.05 });
    expect(byParam.get('blocks.3.attn.proj.weight')).toEqual({ lrScale: 0.65, weightDecay: 0.05 });
    expect(byParam.get('blocks.3.attn.proj.bias')).toEqual({ lrScale: 0.65, weightDecay: 0 });
    model.dispose();
  });
});
