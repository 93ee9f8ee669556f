import { z } from 'zod';
import { roundedMaskedCount } from './grid.js';

export const MASKING_STRATEGIES = ['crfr-p', 'random', 'frp', 'crfr-r', 'fasking-i'] as const;
export type MaskingStrategy = (typeof MASKING_STRATEGIES)[number];

/**
 * Masking options with the paper's defaults (CRFR-P, 75 % of 14 × 14 patches of 16 px at 224 px).
 * The divisibility check lives here so a whole pipeline config fails validation up front; Masker
 * repeats it (as InvalidConfig) for callers that skip the schema. Nest it with `.prefault({})`
 * (zod 4's `.default({})` would skip parsing and so skip these defaults).
 */
export const maskingOptionsSchema = z
  .object({
    strategy: z.enum(MASKING_STRATEGIES).default('crfr-p').describe('patch masking strategy; crfr-p is FSFM'),
    maskRatio: z.number().gt(0).lt(1).default(0.75).describe('fraction of patches hidden from the encoder'),
    patchSizePx: z.number().int().positive().default(16).describe('ViT patch side in pixels'),
    imageSizePx: z.number().int().positive().default(224).describe('input image side in pixels'),
  })
  .strict()
  .refine((o) => o.imageSizePx % o.patchSizePx === 0, {
    message: 'patchSizePx must divide imageSizePx',
    path: ['patchSizePx'],
  })
  .refine(
    (o) => {
      const numPatches = (o.imageSizePx / o.patchSizePx) ** 2;
      const numMasked = roundedMaskedCount(o.maskRatio, numPatches);
      return numMasked >= 1 && numMasked <= numPatches - 1;
    },
    { message: 'maskRatio must hide at least one patch and leave at least one visible', path: ['maskRatio'] },
  );

export type MaskingOptions = z.output<typeof maskingOptionsSchema>;
export type MaskingOptionsInput = z.input<typeof maskingOptionsSchema>;
