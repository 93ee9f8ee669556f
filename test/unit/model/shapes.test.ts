import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fullView, maskIndexFrom } from '../../../lib/model/mask-index.js';
import { FsfmModel } from '../../../lib/model/model.js';
import { modelOptionsSchema } from '../../../lib/model/options.js';
import { FSFM_PRESETS, FSFM_PRESET_NAMES, numPatches, validateArch } from '../../../lib/model/presets.js';
import { randomImages, randomMasks, useTestBackend } from './backend-for-tests.js';

describe('forward shapes of the demo preset (112 px, 8 px patches, 14×14 grid)', () => {
  let model: FsfmModel;
  const n = 2;
  const L = 196;
  beforeAll(async () => {
    await useTestBackend();
    model = new FsfmModel({ preset: 'demo' });
  });
  afterAll(() => model.dispose());

  it('keeps the paper grid', () => {
    expect(numPatches(model.arch)).toBe(196);
  });

  it('encoder, decoders, heads and target have the documented shapes', () => {
    const images = randomImages(n, 112);
    const { mask } = randomMasks(n, L, 147, 10);
    const index = maskIndexFrom(mask, n, L);
    const { embedDim: D, projectionDim: K } = model.arch;
    tf.tidy(() => {
      expect(model.online.patchify(images).shape).toEqual([n, L, 192]);
      const latent = model.online.forwardEncoder(images, index);
      expect(latent.shape).toEqual([n, 1 + 49, D]);
      expect(model.online.forwardPixelDecoder(latent, index).shape).toEqual([n, L, 8 * 8 * 3]);
      const feats = model.online.forwardRepDecoder(latent, index);
      expect(feats.shape).toEqual([n, 1 + L, D]);
      const z = model.online.projector(tf.mean(feats, 1) as tf.Tensor2D);
      expect(z.shape).toEqual([n, K]);
      expect(model.online.predictor(z).shape).toEqual([n, K]);
      expect(model.online.forwardRepresentation(latent, index).shape).toEqual([n, K]);
      const full = fullView(n, L);
      expect(model.target.forwardEncoder(images, full).shape).toEqual([n, 1 + L, D]);
      expect(model.targetFeatures(images).shape).toEqual([n, K]);
      expect(model.online.unpatchify(model.online.forwardPixelDecoder(latent, index)).shape).toEqual([n, 112, 112, 3]);
    });
    expect(() => model.target.forwardPixelDecoder(model.target.forwardEncoder(images, index), index)).toThrow(/no pixel decoder/);
  });
});

describe('presets and options', () => {
  it('registry holds tiny/small/base/large/demo with the paper sizes', () => {
    expect(FSFM_PRESET_NAMES).toEqual(['tiny', 'small', 'base', 'large', 'demo']);
    // The reference's factories (models_fsfm.py fsfm_vit_{small,base,large}_patch16_dec512d8b): ViT-S has 12
    // heads there (and in models_vit.vit_small_patch16), not timm's 6.
    const decoders = { decoderEmbedDim: 512, decoderDepth: 8, decoderNumHeads: 16, repDecoderDepth: 2, repDecoderNumHeads: 16 };
    const common = { imageSizePx: 224, patchSizePx: 16, mlpRatio: 4, normEps: 1e-6, projectionHiddenDim: 4096, projectionDim: 256, ...decoders };
    expect(FSFM_PRESETS.small).toEqual({ embedDim: 384, depth: 12, numHeads: 12, ...common });
    expect(FSFM_PRESETS.base).toEqual({ embedDim: 768, depth: 12, numHeads: 12, ...common });
    expect(FSFM_PRESETS.large).toEqual({ embedDim: 1024, depth: 24, numHeads: 16, ...common });
    for (const name of FSFM_PRESET_NAMES) expect(() => validateArch(FSFM_PRESETS[name])).not.toThrow();
  });

  it('options default to the paper values and reject unknown keys', () => {
    expect(modelOptionsSchema.parse({})).toEqual({ preset: 'base', arch: {}, normPixLoss: true, lambdaFr: 0.007, lambdaCl: 0.1, emaBase: 0.996, dropPathRate: 0, seed: 0 });
    expect(() => modelOptionsSchema.parse({ preset: 'huge' })).toThrow();
    expect(() => modelOptionsSchema.parse({ lamdaFr: 1 })).toThrow();
    expect(() => new FsfmModel({ preset: 'demo', arch: { numHeads: 5 } })).toThrow(/not divisible by 5 heads/);
  });
});
