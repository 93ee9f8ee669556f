/**
 * Options of the finetuning classifiers (method notes §6), with the reference's defaults. lib/config composes this.
 *
 * `head` picks the task head:
 *   dfd  DfD / DiFF: encoder without its final norm, fc_norm(mean of patch tokens), Linear D -> 2.
 *   fas  face anti-spoofing (the reference's fas.py): all tokens -> Linear D -> 512, ReLU, Dropout 0.5, token 0 =
 *        fc_norm(mean of patch tokens), features scaled, 2-way classifier whose weight is re-normalised every forward.
 */
import { z } from 'zod';
import { archOverridesSchema } from './options.js';
import { FSFM_PRESET_NAMES } from './presets.js';

const common = {
  /** Encoder size; the same registry as pretraining (decoder fields of the preset are ignored). */
  preset: z.enum(FSFM_PRESET_NAMES as [string, ...string[]]).default('base'),
  arch: archOverridesSchema.default({}),
  /** Seed of the parameter initialisation. */
  seed: z.number().int().nonnegative().default(0),
};

export const dfdHeadOptionsSchema = z
  .object({
    head: z.literal('dfd'),
    ...common,
    /** Stochastic depth, rising linearly over the blocks to this rate (main_finetune_DfD.py --drop_path 0.1). */
    dropPathRate: z.number().min(0).max(1).default(0.1),
    /** Std of the truncated-normal head weight after loading a checkpoint (MAE finetune: 2e-5). */
    headInitStd: z.number().positive().default(2e-5),
  })
  .strict();

export const fasHeadOptionsSchema = z
  .object({
    head: z.literal('fas'),
    ...common,
    /** train_vit.py --drop_path defaults to 0 and the released FAS scripts do not set it. */
    dropPathRate: z.number().min(0).max(1).default(0),
    /** Width of the bottleneck Linear (feature_embedder: 768 -> 512). */
    bottleneckDim: z.number().int().positive().default(512),
    dropoutRate: z.number().min(0).lt(1).default(0.5),
    /**
     * Axis of the feature norm. The reference computes torch.norm(feature, dim=1) on [N, T, 512], i.e. over the
     * tokens, per channel (`tokens`); SSDG, which it was ported from, had [N, 512] features (`channels`).
     */
    featureNormAxis: z.enum(['tokens', 'channels']).default('tokens'),
    /**
     * Which vectors of the classifier weight get unit norm. The reference's l2_norm(weight, axis=0) on PyTorch's
     * [2, 512] weight normalises each input feature's pair of class weights (`per-input`); `per-class` gives each
     * class's 512-d weight row unit norm (a cosine classifier).
     */
    classifierNorm: z.enum(['per-input', 'per-class']).default('per-input'),
  })
  .strict();

export const classifierOptionsSchema = z.discriminatedUnion('head', [dfdHeadOptionsSchema, fasHeadOptionsSchema]);

export type ClassifierOptions = z.infer<typeof classifierOptionsSchema>;
export type ClassifierOptionsInput = z.input<typeof classifierOptionsSchema>;
export type DfdHeadOptions = z.infer<typeof dfdHeadOptionsSchema>;
export type FasHeadOptions = z.infer<typeof fasHeadOptionsSchema>;
export type HeadKind = ClassifierOptions['head'];
