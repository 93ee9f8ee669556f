/**
 * Options of FSFM pretraining with the paper's defaults (fsfm-method.md §5), composed from the model,
 * masking and tensor-backend schemas. lib/config composes this; parse with `parsePretrainConfig`, which
 * also lets the masking geometry follow the model when it is not given.
 */
import { z } from 'zod';
import { storeKeySchema } from '../store/keys.js';
import { checkSchedule, maxStepsSchema, mergePreset, parseOptions, seedSchema } from '../options.js';
import { maskingOptionsSchema } from '../masking/options.js';
import { resolveArch } from '../model/presets.js';
import { modelOptionsSchema } from '../model/options.js';
import { tensorOptionsSchema } from '../tensor/options.js';

const rgbTriple = z.tuple([z.number(), z.number(), z.number()]);

export const normalizationSchema = z.union([
  z.literal('dataset').describe('per-channel mean/std computed over the pretraining faces in one pass'),
  z
    .object({ mean: rgbTriple, std: z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]) })
    .strict()
    .describe('fixed per-channel mean/std of pixel values in [0, 1]'),
]);

export const pretrainDataSchema = z
  .object({
    prepared: z
      .array(storeKeySchema)
      .default([])
      .describe('store prefixes of prepared face-shard sets (lib/prepare); several are concatenated'),
    splits: z
      .array(z.string().min(1))
      .min(1)
      .default(['train', 'val'])
      .describe('splits whose real faces are used (the paper pretrains on FF++ train + val)'),
    normalization: normalizationSchema.default('dataset'),
    resizeKernel: z
      .enum(['cubic', 'linear'])
      .default('cubic')
      .describe('resampling of faces whose size differs from the model input (region maps always use nearest)'),
    shuffleWindowShards: z
      .number()
      .int()
      .positive()
      .default(16)
      .describe('faces are shuffled across this many shards at a time (all of them when there are fewer)'),
    prefetchBatches: z.number().int().nonnegative().default(2).describe('batches decoded ahead of the training step'),
  })
  .strict();

export const pretrainOptionsSchema = z
  .object({
    epochs: z.number().int().positive().default(400),
    warmupEpochs: z.number().nonnegative().default(40).describe('per-iteration linear warmup, then half-cycle cosine'),
    batchSize: z.number().int().positive().default(256).describe('faces per forward pass'),
    accumIter: z.number().int().positive().default(4).describe('forward passes whose gradients make one optimizer step'),
    baseLr: z.number().positive().default(1.5e-4).describe('lr = baseLr · batchSize · accumIter / 256'),
    minLr: z.number().nonnegative().default(0),
    weightDecay: z.number().nonnegative().default(0.05).describe('AdamW decay; never on biases or 1-D parameters'),
    betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.95]),
    adamEps: z.number().positive().default(1e-8),
    clipGrad: z.number().positive().nullable().default(null).describe('max global gradient norm; null: no clipping'),
    checkpointEverySteps: z.number().int().positive().default(500).describe('optimizer steps between checkpoints'),
    keepLastCheckpoints: z.number().int().positive().default(3),
    seed: seedSchema.describe('seed of the data order and the masks (model.seed seeds the initialisation)'),
    maxSteps: maxStepsSchema,
    model: modelOptionsSchema.prefault({}),
    masking: maskingOptionsSchema.prefault({}),
    data: pretrainDataSchema.prefault({}),
    tensor: tensorOptionsSchema.prefault({}),
  })
  .strict()
  .superRefine((o, ctx) => {
    checkSchedule(o, peakLr(o), ctx);
    if (o.model.dropPathRate > 0) {
      // The reference pretrains without drop path, and the pretraining model does not seed one (finetuning does).
      ctx.addIssue({ code: 'custom', path: ['model', 'dropPathRate'], message: 'pretraining uses no drop path (it is a finetuning option)' });
    }
    let arch;
    try {
      arch = resolveArch(o.model);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['model'], message: (err as Error).message });
      return;
    }
    if (o.masking.imageSizePx !== arch.imageSizePx || o.masking.patchSizePx !== arch.patchSizePx) {
      ctx.addIssue({
        code: 'custom',
        path: ['masking'],
        message: `masking geometry ${o.masking.imageSizePx}px/${o.masking.patchSizePx}px must match the model's ${arch.imageSizePx}px/${arch.patchSizePx}px`,
      });
    }
  });

export type PretrainConfig = z.output<typeof pretrainOptionsSchema>;
export type PretrainConfigInput = z.input<typeof pretrainOptionsSchema>;

/** Effective batch of one optimizer step (one process: no data-parallel replicas). */
export function effectiveBatchSize(o: Pick<PretrainConfig, 'batchSize' | 'accumIter'>): number {
  return o.batchSize * o.accumIter;
}

/** The peak (post-warmup) learning rate: baseLr · effectiveBatch / 256, as the reference's `blr`. */
export function peakLr(o: Pick<PretrainConfig, 'baseLr' | 'batchSize' | 'accumIter'>): number {
  return (o.baseLr * effectiveBatchSize(o)) / 256;
}

/**
 * Presets as partial inputs. `demo` fits 2 CPU cores: the demo model (112 px faces, 8 px patches, the paper's
 * 14×14 grid), batch 8, two epochs over the sample set's ~240 real train + val faces (~60 steps), a peak lr
 * high enough to see the loss fall within them.
 */
export const PRETRAIN_PRESETS = {
  paper: {},
  demo: {
    epochs: 2,
    warmupEpochs: 0.25,
    batchSize: 8,
    accumIter: 1,
    baseLr: 0.016,
    checkpointEverySteps: 20,
    keepLastCheckpoints: 2,
    model: { preset: 'demo' },
    masking: { imageSizePx: 112, patchSizePx: 8 },
    data: { shuffleWindowShards: 64 },
  },
} as const satisfies Record<string, PretrainConfigInput>;

export type PretrainPresetName = keyof typeof PRETRAIN_PRESETS;

/**
 * Validates a pretraining config (throws InvalidConfig naming every problem). When the input sets no masking
 * geometry, it follows the model's (so `{ model: { preset: 'demo' } }` masks 8 px patches of 112 px faces).
 */
export function parsePretrainConfig(input: PretrainConfigInput | PretrainConfig = {}): PretrainConfig {
  return parseOptions(pretrainOptionsSchema, fillMaskingGeometry(input), 'pretraining config');
}

/** A preset merged (one level deep for the option groups) with overrides, then parsed. */
export function pretrainPreset(name: PretrainPresetName, overrides: PretrainConfigInput = {}): PretrainConfig {
  return parsePretrainConfig(mergePreset<PretrainConfigInput>(PRETRAIN_PRESETS[name], overrides, ['model', 'masking', 'data', 'tensor']));
}

function fillMaskingGeometry(input: PretrainConfigInput): PretrainConfigInput {
  if (input === null || typeof input !== 'object') return input;
  const masking = (input.masking ?? {}) as Record<string, unknown>;
  if (masking.imageSizePx !== undefined && masking.patchSizePx !== undefined) return input;
  const model = modelOptionsSchema.safeParse(input.model ?? {});
  if (!model.success) return input;
  let arch;
  try {
    arch = resolveArch(model.data);
  } catch {
    return input;
  }
  return {
    ...input,
    masking: { imageSizePx: arch.imageSizePx, patchSizePx: arch.patchSizePx, ...masking },
  };
}
