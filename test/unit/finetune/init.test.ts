/**
 * Where a finetuning run's encoder comes from (config.init): an FSFM pretraining checkpoint (either branch), an
 * encoder safetensors file, or a torch.save .pth archive; and the normalisation each implies.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidConfig, NotFound } from '../../../lib/errors.js';
import { buildInitialModel } from '../../../lib/finetune/init.js';
import { parseFinetuneConfig, type FinetuneConfigInput } from '../../../lib/finetune/options.js';
import type { ClassifierModel } from '../../../lib/model/heads.js';
import { FsfmModel } from '../../../lib/model/model.js';
import { sinCosPosEmbed2d } from '../../../lib/model/pos-embed.js';
import { AdamW } from '../../../lib/train/adamw.js';
import { modelWeights, readCheckpoint, writeCheckpoint } from '../../../lib/train/checkpoint.js';
import { resolveArch } from '../../../lib/model/presets.js';
import { exportEncoderSafetensors, torchStateDict } from '../../../lib/train/interop/weights.js';
import { parsePretrainConfig } from '../../../lib/train/options.js';
import { Rng } from '../../../lib/masking/rng.js';
import { tempStore } from '../train/helpers.js';
import { type PickleValue, torchArchive } from '../train/torch-fixture.js';
import { TINY_ARCH, useTestBackend } from './helpers.js';

const STATS = { mean: [0.55, 0.42, 0.37] as [number, number, number], std: [0.28, 0.24, 0.23] as [number, number, number] };

function config(init: FinetuneConfigInput['init'], more: FinetuneConfigInput = {}) {
  return parseFinetuneConfig({ init, ...more, model: { preset: 'demo', arch: TINY_ARCH, ...(more.model as object) } });
}

function values(model: ClassifierModel, name: string): number[] {
  return Array.from(model.params.get(name).dataSync());
}

describe('finetuning init', () => {
  let ctx: Awaited<ReturnType<typeof tempStore>>;
  let source: FsfmModel;
  beforeAll(async () => {
    await useTestBackend();
    ctx = await tempStore();
    source = new FsfmModel({ preset: 'demo', arch: TINY_ARCH, seed: 5 });
    // Make the branches differ, so that the test can tell which one was loaded.
    const w = source.online.params.get('blocks.0.attn.qkv.weight');
    tf.tidy(() => w.assign(tf.add(w, 1)));
    const adamw = new AdamW(source.paramGroups(), { betas: [0.9, 0.95], eps: 1e-8, weightDecay: 0.05 });
    await writeCheckpoint(
      ctx.store,
      'pre',
      {
        ...modelWeights(source),
        optimizer: adamw.state(),
        state: {
          format: 'fsfm-pretrain-state/1',
          step: 7,
          totalSteps: 10,
          epoch: 0,
          batchInEpoch: 7,
          maskRng: Rng.fromSeed(1).state(),
          shuffle: { seed: 0, windowShards: 1 },
          normalization: STATS,
          data: { shards: [], total: 0, splits: ['train'] },
          config: parsePretrainConfig({ model: { preset: 'demo', arch: TINY_ARCH } }),
          skippedBatches: 0,
          lastLosses: null,
          backend: 'wasm',
          trainMs: 0,
        },
      },
      { keepLast: 1 },
    );
    adamw.dispose();
  });
  afterAll(async () => {
    source.dispose();
    await ctx.cleanup();
  });

  it("fsfm: the online encoder by default, the target's on request, and the checkpoint's channel stats", async () => {
    const online = await buildInitialModel(config({ from: 'fsfm', checkpoint: 'runs/pre/pretrain/ckpt/000000007' }), ctx.store);
    const target = await buildInitialModel(config({ from: 'fsfm', checkpoint: 'runs/pre/pretrain', branch: 'target' }), ctx.store);
    const want = (which: 'online' | 'target', name: string) => Array.from(source[which].params.get(name).dataSync());
    for (const name of ['blocks.0.attn.qkv.weight', 'blocks.1.mlp.fc2.bias', 'patch_embed.proj.weight', 'cls_token']) {
      expect(values(online.model, name), name).toEqual(want('online', name));
      expect(values(target.model, name), name).toEqual(want('target', name));
    }
    expect(values(online.model, 'blocks.0.attn.qkv.weight')).not.toEqual(values(target.model, 'blocks.0.attn.qkv.weight'));
    // FSFM keeps pos_embed as a fixed buffer: the classifier starts from the same sin-cos table.
    expect(values(online.model, 'pos_embed')).toEqual(Array.from(sinCosPosEmbed2d(32, 4, true)));
    expect(online.normalization).toEqual(STATS);
    expect(online.source).toBe('runs/pre/pretrain/ckpt/000000007');
    expect(target.source).toBe('runs/pre/pretrain/ckpt/000000007');
    expect(online.report!.missing).toEqual(['pos_embed']);
    online.model.dispose();
    target.model.dispose();
  });

  it('fsfm: a checkpoint of another model size is refused, naming what differs', async () => {
    await expect(buildInitialModel(config({ from: 'fsfm', checkpoint: 'runs/pre/pretrain' }, { model: { arch: { ...TINY_ARCH, depth: 3 } } }), ctx.store)).rejects.toThrow(
      /pretraining checkpoint runs\/pre\/pretrain\/ckpt\/000000007 holds a ViT 32 wide, 2 blocks.* but the finetuning model is a ViT 32 wide, 3 blocks.*\(depth 2 vs 3\)/,
    );
    await expect(buildInitialModel(config({ from: 'fsfm', checkpoint: 'runs/none/pretrain' }), ctx.store)).rejects.toThrow(NotFound);
  });

  it('a checkpoint is read as the architecture it recorded, not as what its preset means today', async () => {
    // The same config, but the checkpoint was made when the preset had 4 heads (as ViT-S had 6 before it had 12):
    // every shape fits, the heads do not.
    const ckpt = await readCheckpoint(ctx.store, 'runs/pre/pretrain/ckpt/000000007');
    await writeCheckpoint(ctx.store, 'old-preset', { ...ckpt, state: { ...ckpt.state, arch: { ...resolveArch(ckpt.state.config.model), numHeads: 4 } } }, { keepLast: 1 });
    await expect(buildInitialModel(config({ from: 'fsfm', checkpoint: 'runs/old-preset/pretrain' }), ctx.store)).rejects.toThrow(
      /holds a ViT 32 wide, 2 blocks, 4 heads.* but the finetuning model is a ViT 32 wide, 2 blocks, 2 heads.*\(numHeads 4 vs 2\)/,
    );
    const ok = await buildInitialModel(config({ from: 'fsfm', checkpoint: 'runs/old-preset/pretrain' }, { model: { arch: { ...TINY_ARCH, numHeads: 4 } } }), ctx.store);
    expect(ok.model.arch.numHeads).toBe(4);
    ok.model.dispose();
  });

  it('safetensors and pth: the recorded architecture (metadata, args.model) must match the model', async () => {
    await ctx.store.put('weights/encoder-arch.safetensors', exportEncoderSafetensors(source.online));
    await expect(buildInitialModel(config({ from: 'safetensors', key: 'weights/encoder-arch.safetensors' }, { model: { arch: { ...TINY_ARCH, numHeads: 4 } } }), ctx.store)).rejects.toThrow(
      /weights\/encoder-arch.safetensors holds a ViT 32 wide, 2 blocks, 2 heads.*\(numHeads 2 vs 4\)/,
    );
    const storages = new Map<string, Buffer>();
    const dict: [string, PickleValue][] = [];
    for (const [i, [name, t]] of [...torchStateDict(source.online)].entries()) {
      storages.set(String(i), Buffer.from(Float32Array.from(t.values).buffer));
      const stride = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
      dict.push([name, { $tensor: { key: String(i), dtype: 'float32', numel: t.values.length, offset: 0, shape: t.shape, stride } }]);
    }
    const args = { $namespace: { model: 'fsfm_vit_small_patch16', input_size: 224 } };
    await ctx.store.put('weights/vit-s.pth', torchArchive('checkpoint-0', { model: { $ordered: dict }, args }, storages));
    await expect(buildInitialModel(config({ from: 'pth', key: 'weights/vit-s.pth' }), ctx.store)).rejects.toThrow(
      /weights\/vit-s.pth \(args.model\) holds a ViT 384 wide, 12 blocks, 12 heads.* but the finetuning model is a ViT 32 wide, 2 blocks, 2 heads/,
    );
  });

  it('safetensors: an exported encoder loads under timm names and layouts, with ImageNet normalisation', async () => {
    await ctx.store.put('weights/encoder.safetensors', exportEncoderSafetensors(source.online));
    const init = await buildInitialModel(config({ from: 'safetensors', key: 'weights/encoder.safetensors' }), ctx.store);
    for (const name of ['blocks.0.attn.qkv.weight', 'blocks.1.norm2.weight', 'patch_embed.proj.weight']) {
      expect(values(init.model, name), name).toEqual(Array.from(source.online.params.get(name).dataSync()));
    }
    expect(init.report!.missing).toEqual([]);
    expect(init.normalization).toEqual({ mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] });
    init.model.dispose();
    await expect(buildInitialModel(config({ from: 'safetensors', key: 'weights/none.safetensors' }), ctx.store)).rejects.toThrow(NotFound);
  });

  it("pth: a torch.save archive's state_dict loads, with explicit normalisation", async () => {
    const storages = new Map<string, Buffer>();
    const dict: [string, PickleValue][] = [];
    for (const [i, [name, t]] of [...torchStateDict(source.target)].entries()) {
      storages.set(String(i), Buffer.from(Float32Array.from(t.values).buffer));
      const stride = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
      dict.push([name, { $tensor: { key: String(i), dtype: 'float32', numel: t.values.length, offset: 0, shape: t.shape, stride } }]);
    }
    await ctx.store.put('weights/checkpoint-te-399.pth', torchArchive('checkpoint-te-399', { model: { $ordered: dict }, epoch: 399 }, storages));
    const custom = { mean: [0.5, 0.5, 0.5] as [number, number, number], std: [0.25, 0.25, 0.25] as [number, number, number] };
    const init = await buildInitialModel(config({ from: 'pth', key: 'weights/checkpoint-te-399.pth' }, { normalization: custom }), ctx.store);
    expect(values(init.model, 'blocks.0.attn.qkv.weight')).toEqual(Array.from(source.target.params.get('blocks.0.attn.qkv.weight').dataSync()));
    expect(init.normalization).toEqual(custom);
    init.model.dispose();
    await expect(buildInitialModel(config({ from: 'pth', key: 'weights/checkpoint-te-399.pth', entry: 'ema' }), ctx.store)).rejects.toThrow(InvalidConfig);
  });

  it('scratch: the seeded timm initialisation', async () => {
    const a = await buildInitialModel(config({ from: 'scratch' }), ctx.store);
    const b = await buildInitialModel(config({ from: 'scratch' }), ctx.store);
    expect(values(a.model, 'blocks.0.attn.qkv.weight')).toEqual(values(b.model, 'blocks.0.attn.qkv.weight'));
    expect(a.report).toBeNull();
    a.model.dispose();
    b.model.dispose();
  });
});
