/**
 * Options of the FSFM model, with the paper's defaults (method notes §3-§4). lib/config composes this.
 */
import { z } from 'zod';
import { FSFM_PRESET_NAMES } from './presets.js';

const positiveInt = z.number().int().positive();

/** Per-field overrides of a preset (e.g. a smaller model for tests). */
export const archOverridesSchema = z
  .object({
    imageSizePx: positiveInt,
    patchSizePx: positiveInt,
    embedDim: positiveInt,
    depth: positiveInt,
    numHeads: positiveInt,
    decoderEmbedDim: positiveInt,
    decoderDepth: positiveInt,
    decoderNumHeads: positiveInt,
    repDecoderDepth: positiveInt,
    repDecoderNumHeads: positiveInt,
    projectionHiddenDim: positiveInt,
    projectionDim: positiveInt,
    mlpRatio: z.number().positive(),
    normEps: z.number().positive(),
    patchEmbed: z.enum(['linear', 'conv']),
    stemChannels: positiveInt,
  })
  .partial()
  .strict();

export const modelOptionsSchema = z
  .object({
    /** Model size; `demo` is the CPU-sized model on 112 px faces with the paper's 14×14 grid. */
    preset: z.enum(FSFM_PRESET_NAMES as [string, ...string[]]).default('base'),
    arch: archOverridesSchema.default({}),
    /** Reconstruct per-patch normalised pixels. */
    normPixLoss: z.boolean().default(true),
    /** Weight of L_fr, the loss on the fully covered facial region. */
    lambdaFr: z.number().nonnegative().default(0.007),
    /** Weight of L_cl, the online/target representation loss. */
    lambdaCl: z.number().nonnegative().default(0.1),
    /** Base momentum of the target EMA; rises to 1 on a cosine over training. */
    emaBase: z.number().min(0).max(1).default(0.996),
    /** Stochastic depth of the encoder (finetuning; pretraining uses 0). */
    dropPathRate: z.number().min(0).max(1).default(0),
    /** Seed of the parameter initialisation. */
    seed: z.number().int().nonnegative().default(0),
  })
  .strict();

export type ModelOptions = z.infer<typeof modelOptionsSchema>;
export type ModelOptionsInput = z.input<typeof modelOptionsSchema>;
