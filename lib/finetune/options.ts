/**
 * Options of the finetuning data pipeline and regularisers (method notes §6), with the reference's defaults
 * (MAE/timm finetune recipe for DfD/DiFF; fas.py's dataset for FAS). lib/config composes these; AdamW, the lr
 * schedule and the weight decay value belong to lib/train's options.
 */
import { z } from 'zod';
import { RAND_AUGMENT_OPS } from './rand-augment.js';

const probability = z.number().min(0).max(1);
const range = (lo: number, hi: number) => z.tuple([z.number().positive(), z.number().positive()]).default([lo, hi]);

export const randAugmentOptionsSchema = z
  .object({
    /** timm rand-m9-mstd0.5-inc1: 2 ops per image, magnitude 9 ± 0.5 (clipped to [0, 10]), each op with p 0.5. */
    numOps: z.number().int().nonnegative().default(2),
    magnitude: z.number().min(0).max(10).default(9),
    magnitudeStd: z.number().nonnegative().default(0.5),
    magnitudeMax: z.number().positive().default(10),
    opProb: probability.default(0.5),
    ops: z.array(z.enum(RAND_AUGMENT_OPS)).min(1).default([...RAND_AUGMENT_OPS]),
  })
  .strict();

export const randomErasingOptionsSchema = z
  .object({
    prob: probability.default(0.25),
    mode: z.enum(['pixel', 'const']).default('pixel'),
    minArea: z.number().positive().default(0.02),
    maxArea: z.number().positive().default(1 / 3),
    minAspect: z.number().positive().default(0.3),
    count: z.number().int().positive().default(1),
  })
  .strict();

/** DfD / DiFF train and eval transforms (timm create_transform, MAE's eval resize + centre crop). */
export const dfdAugmentOptionsSchema = z
  .object({
    /** RandomResizedCrop area fraction and aspect range, bicubic resize to the model's input size. */
    cropScale: range(0.08, 1),
    cropRatio: range(3 / 4, 4 / 3),
    hflipProb: probability.default(0.5),
    randAugment: randAugmentOptionsSchema.prefault({}),
    randomErasing: randomErasingOptionsSchema.prefault({}),
    /** Eval: resize the shorter side to ⌊size / cropPct⌋, centre crop `size` (224/256 for inputs ≤ 224). 1 = plain resize. */
    evalCropPct: z.number().gt(0).max(1).default(224 / 256),
  })
  .strict();

/** FAS train transform (fas.py FASDataset): HSV saturation jitter, resize, horizontal flip. */
export const fasAugmentOptionsSchema = z
  .object({
    saturationProb: probability.default(0.5),
    saturationRange: range(0.8, 1.2),
    hflipProb: probability.default(0.5),
  })
  .strict();

/** Label smoothing and mixup/cutmix (timm Mixup in batch mode). */
export const regularizationOptionsSchema = z
  .object({
    labelSmoothing: z.number().min(0).lt(1).default(0.1),
    mixupAlpha: z.number().nonnegative().default(0.8),
    cutmixAlpha: z.number().nonnegative().default(1.0),
    mixupProb: probability.default(1),
    mixupSwitchProb: probability.default(0.5),
  })
  .strict();

export const finetuneOptionsSchema = z
  .object({
    /** Layer-wise lr decay (method notes §6: 0.65). */
    layerDecay: z.number().gt(0).max(1).default(0.65),
    augment: dfdAugmentOptionsSchema.prefault({}),
    fasAugment: fasAugmentOptionsSchema.prefault({}),
    regularization: regularizationOptionsSchema.prefault({}),
    /** Class-balanced sampling: equal mass per class, then per video within a class (`video`) or per record. */
    balanceWithin: z.enum(['video', 'record']).default('video'),
  })
  .strict();

export type RandAugmentOptionsParsed = z.infer<typeof randAugmentOptionsSchema>;
export type RandomErasingOptionsParsed = z.infer<typeof randomErasingOptionsSchema>;
export type DfdAugmentOptions = z.infer<typeof dfdAugmentOptionsSchema>;
export type FasAugmentOptions = z.infer<typeof fasAugmentOptionsSchema>;
export type RegularizationOptions = z.infer<typeof regularizationOptionsSchema>;
export type FinetuneOptions = z.infer<typeof finetuneOptionsSchema>;
export type FinetuneOptionsInput = z.input<typeof finetuneOptionsSchema>;
