/**
 * Options of the finetuning data pipeline and regularisers (method notes §6), with the reference's defaults
 * (MAE/timm finetune recipe for DfD/DiFF; fas.py's dataset for FAS), and the whole finetuning run's config
 * (`finetuneConfigSchema`: optimiser, schedule, init, data, checkpoints, selection) built around them.
 * lib/config composes these.
 */
import { z } from 'zod';
import { storeKeySchema } from '../store/keys.js';
import { checkSchedule, maxStepsSchema, mergePreset, parseOptions, seedSchema } from '../options.js';
import { classifierOptionsSchema, type HeadKind } from '../model/heads-options.js';
import { resolveArch } from '../model/presets.js';
import { tensorOptionsSchema } from '../tensor/options.js';
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

// ---------------------------------------------------------------------------------------------------------------
// The whole finetuning run (lib/finetune/train.ts): the optimiser, schedule and run options around the options above.
// ---------------------------------------------------------------------------------------------------------------

const rgbTriple = z.tuple([z.number(), z.number(), z.number()]);
const positiveRgbTriple = z.tuple([z.number().positive(), z.number().positive(), z.number().positive()]);

/** What the finetuned classifier sees: pixel values in [0, 1] normalised by these per-channel stats. */
export const finetuneNormalizationSchema = z.union([
  z.literal('checkpoint').describe("the pretraining checkpoint's channel mean/std (init.from 'fsfm' only)"),
  z.literal('imagenet').describe('ImageNet mean/std (0.485, 0.456, 0.406) / (0.229, 0.224, 0.225), as the reference for DiFF'),
  z.object({ mean: rgbTriple, std: positiveRgbTriple }).strict().describe('fixed per-channel mean/std of pixel values in [0, 1]'),
]);

/** Where the encoder's weights come from; the task head always starts from its finetuning init. */
export const finetuneInitSchema = z.discriminatedUnion('from', [
  z
    .object({
      from: z.literal('fsfm'),
      checkpoint: storeKeySchema.describe('store prefix of a pretraining checkpoint set (runs/<id>/pretrain/ckpt/<step>) or of a pretraining run (its latest.json is followed)'),
      branch: z.enum(['online', 'target']).default('online').describe("which network's encoder; the reference finetunes from checkpoint-*.pth, the online model"),
    })
    .strict(),
  z.object({ from: z.literal('scratch') }).strict(),
  z.object({ from: z.literal('safetensors'), key: storeKeySchema.describe('store key of an encoder in timm names/layouts (exportEncoderSafetensors)') }).strict(),
  z
    .object({
      from: z.literal('pth'),
      key: storeKeySchema.describe("store key of a torch.save checkpoint (the reference's checkpoint-*.pth)"),
      entry: z.string().min(1).default('model').describe('the state_dict entry of the checkpoint'),
    })
    .strict(),
]);

export const finetuneDataSchema = z
  .object({
    prepared: z.array(storeKeySchema).default([]).describe('store prefixes of prepared face-shard sets (lib/prepare); several are concatenated'),
    trainSplit: z.string().min(1).default('train'),
    valSplit: z.string().min(1).nullable().default('val').describe('faces scored for the validation loss after every epoch; null: no validation'),
    sampling: z
      .enum(['class-balanced', 'shuffle', 'per-domain'])
      .default('class-balanced')
      .describe(
        'class-balanced: draws with replacement, equal mass per class (balanceWithin); shuffle: each face once per epoch; per-domain: the FAS protocol, perDomain.real + perDomain.fake faces from each source domain per batch (batchSize is then domains × (real + fake))',
      ),
    perDomain: z
      .object({ real: z.number().int().nonnegative().default(12), fake: z.number().int().nonnegative().default(12) })
      .strict()
      .prefault({})
      .describe('per-domain sampling: faces of each label from each source domain per batch (the reference: 12 + 12)'),
    iterationsPerEpoch: z
      .number()
      .int()
      .positive()
      .nullable()
      .default(null)
      .describe('per-domain sampling: optimizer steps per "epoch", i.e. between validations (the FAS protocol: 100); other samplings derive epochs from the data'),
    targetDomain: z
      .string()
      .min(1)
      .nullable()
      .default(null)
      .describe('leave-one-domain-out: faces of this domain are never trained on nor used for source validation (MCIO: the target domain)'),
    targetSplit: z.string().min(1).default('test').describe("the target domain's faces scored by the target-* selections"),
    selectionDomains: z
      .array(z.string().min(1))
      .min(1)
      .nullable()
      .default(null)
      .describe(
        "selection 'target-val-loss-per-domain' (DiFF): the domains that each get their own selected model, picked on their data.targetSplit faces; null: every domain among those faces that no training face has",
      ),
    prefetchBatches: z.number().int().nonnegative().default(1).describe('batches read and decoded ahead of the training step'),
  })
  .strict();

export const FINETUNE_TASKS = ['dfd', 'fas', 'diff'] as const;
export const FINETUNE_SELECTIONS = ['source-val-loss', 'source-hter', 'last', 'target-hter', 'target-val-loss', 'target-val-loss-per-domain'] as const;
export type FinetuneSelection = (typeof FINETUNE_SELECTIONS)[number];

export { selectionLabel, selectsOnTarget } from './selection.js';
import { selectsOnTarget } from './selection.js';
export type FinetuneTask = (typeof FINETUNE_TASKS)[number];

const finetuneConfigObject = z
  .object({
    task: z.enum(FINETUNE_TASKS).default('dfd').describe('dfd / diff: fc_norm + Linear head; fas: the reference FAS head'),
    epochs: z.number().int().positive().default(10),
    warmupEpochs: z.number().nonnegative().default(5).describe('per-iteration linear warmup, then half-cycle cosine to minLr'),
    batchSize: z.number().int().positive().default(64).describe('faces per forward pass'),
    accumIter: z.number().int().positive().default(1).describe('forward passes whose gradients make one optimizer step'),
    valBatchSize: z.number().int().positive().nullable().default(null).describe('faces per validation forward pass; null: batchSize'),
    baseLr: z.number().positive().default(2.5e-4).describe('lr = baseLr · batchSize · accumIter / 256 (the reference\'s blr)'),
    minLr: z.number().nonnegative().default(1e-6),
    weightDecay: z.number().nonnegative().default(0.05).describe('AdamW decay; never on 1-D parameters, pos_embed or cls_token'),
    lr: z
      .number()
      .positive()
      .nullable()
      .default(null)
      .describe('peak learning rate as such (the FAS recipe: 1e-4); null: baseLr · batchSize · accumIter / 256'),
    optimizer: z
      .enum(['adamw', 'adam'])
      .default('adamw')
      .describe("adamw: decoupled weight decay, none on 1-D parameters, pos_embed, cls_token (DfD/DiFF); adam: torch Adam's L2 term on every parameter (the FAS recipe)"),
    betas: z.tuple([z.number().min(0).lt(1), z.number().min(0).lt(1)]).default([0.9, 0.999]),
    adamEps: z.number().positive().default(1e-8),
    clipGrad: z.number().positive().nullable().default(null).describe('max global gradient norm; null: no clipping (the reference default)'),
    ...finetuneOptionsSchema.shape,
    init: finetuneInitSchema.default({ from: 'scratch' }),
    model: z
      .record(z.string(), z.unknown())
      .default({})
      .describe('classifier options of lib/model/heads-options.ts without `head` (the task picks it): preset, arch, dropPathRate (0.1 for dfd), seed, …; the input size follows the preset'),
    data: finetuneDataSchema.prefault({}),
    normalization: finetuneNormalizationSchema.optional().describe("default: 'checkpoint' for init.from 'fsfm' (except task diff), else 'imagenet'"),
    seed: seedSchema.describe('seed of sampling, augmentation and mixup (model.seed seeds the head initialisation)'),
    checkpointEverySteps: z.number().int().positive().default(500).describe('optimizer steps between checkpoints'),
    keepLastCheckpoints: z.number().int().positive().default(2),
    maxSteps: maxStepsSchema,
    selection: z
      .enum(FINETUNE_SELECTIONS)
      .default('source-val-loss')
      .describe(
        'the model kept as best: lowest validation loss (source-val-loss, the default) or HTER (source-hter; ties go to the later epoch) on source validation faces, the last weights, or — TARGET-DOMAIN SELECTION, optimistic for cross-domain claims and labelled so in reports — lowest HTER / loss on data.targetDomain\'s data.targetSplit faces, as the reference does for FAS; target-val-loss-per-domain: one model per domain of data.selectionDomains, each the lowest loss on that domain\'s data.targetSplit faces (the reference\'s DiFF protocol: per subset on its val faces), plus the lowest loss over all of them as the run\'s model',
      ),
    tensor: tensorOptionsSchema.prefault({}),
  })
  .strict();

type FinetuneConfigObject = z.output<typeof finetuneConfigObject>;

/** The head a task trains: the reference FAS head for fas, fc_norm + Linear otherwise. */
export function headForTask(task: FinetuneTask): HeadKind {
  return task === 'fas' ? 'fas' : 'dfd';
}

/** Peak (post-warmup) learning rate: `lr` when given, else baseLr · batchSize · accumIter / 256. */
export function finetunePeakLr(o: Pick<FinetuneConfigObject, 'baseLr' | 'batchSize' | 'accumIter'> & { lr?: number | null }): number {
  return o.lr ?? (o.baseLr * o.batchSize * o.accumIter) / 256;
}

function defaultNormalization(o: Pick<FinetuneConfigObject, 'init' | 'task'>): z.output<typeof finetuneNormalizationSchema> {
  return o.init.from === 'fsfm' && o.task !== 'diff' ? 'checkpoint' : 'imagenet';
}

export const finetuneConfigSchema = finetuneConfigObject
  .superRefine((o, ctx) => {
    checkSchedule(o, finetunePeakLr(o), ctx);
    const mixing = o.regularization.mixupAlpha > 0 || o.regularization.cutmixAlpha > 0;
    if (mixing && o.regularization.mixupProb > 0 && o.data.sampling === 'per-domain') {
      ctx.addIssue({ code: 'custom', path: ['regularization'], message: 'per-domain sampling (the FAS recipe) trains without mixup/cutmix: set regularization.mixupProb 0' });
    }
    if (mixing && o.regularization.mixupProb > 0 && o.batchSize % 2 !== 0) {
      ctx.addIssue({ code: 'custom', path: ['batchSize'], message: `mixup/cutmix pair each face with another of its batch: batchSize (${o.batchSize}) must be even` });
    }
    if (o.normalization === 'checkpoint' && o.init.from !== 'fsfm') {
      ctx.addIssue({ code: 'custom', path: ['normalization'], message: `'checkpoint' normalization needs init.from 'fsfm' (a ${o.init.from} init carries no channel stats)` });
    }
    if ((o.selection === 'source-val-loss' || o.selection === 'source-hter') && o.data.valSplit === null) {
      ctx.addIssue({ code: 'custom', path: ['selection'], message: `selection '${o.selection}' needs a validation split (data.valSplit); use selection 'last' without one` });
    }
    if (selectsOnTarget(o.selection) && o.selection !== 'target-val-loss-per-domain' && o.data.targetDomain === null) {
      ctx.addIssue({ code: 'custom', path: ['selection'], message: `selection '${o.selection}' picks the model on target-domain faces and needs data.targetDomain` });
    }
    if (o.data.sampling === 'per-domain' && o.data.perDomain.real + o.data.perDomain.fake === 0) {
      ctx.addIssue({ code: 'custom', path: ['data', 'perDomain'], message: 'per-domain sampling needs at least one face per domain (perDomain.real + perDomain.fake > 0)' });
    }
    if ('head' in o.model) {
      ctx.addIssue({ code: 'custom', path: ['model', 'head'], message: 'the head follows task; do not set model.head' });
      return;
    }
    const model = classifierOptionsSchema.safeParse({ ...o.model, head: headForTask(o.task) });
    if (!model.success) {
      for (const issue of model.error.issues) ctx.addIssue({ code: 'custom', path: ['model', ...issue.path.map(String)], message: issue.message });
      return;
    }
    try {
      resolveArch(model.data);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['model'], message: (err as Error).message });
    }
  })
  .transform((o) => ({
    ...o,
    model: classifierOptionsSchema.parse({ ...o.model, head: headForTask(o.task) }),
    normalization: o.normalization ?? defaultNormalization(o),
  }));

export type FinetuneConfig = z.output<typeof finetuneConfigSchema>;
export type FinetuneConfigInput = z.input<typeof finetuneConfigSchema>;

/** Validates a finetuning config; throws InvalidConfig naming every problem. */
export function parseFinetuneConfig(input: FinetuneConfigInput | FinetuneConfig = {}): FinetuneConfig {
  // A parsed config carries a full model (with head); parse its input form again.
  return parseOptions(finetuneConfigSchema, stripHead(input), 'finetuning config');
}

function stripHead(input: FinetuneConfigInput | FinetuneConfig): FinetuneConfigInput {
  if (input === null || typeof input !== 'object' || !input.model || typeof input.model !== 'object') return input as FinetuneConfigInput;
  const model = input.model as Record<string, unknown>;
  const task = (input.task ?? 'dfd') as FinetuneTask;
  if (!('head' in model) || model.head !== headForTask(task)) return input as FinetuneConfigInput;
  const { head: _head, ...rest } = model;
  return { ...(input as FinetuneConfigInput), model: rest };
}

/**
 * Presets as partial inputs. `paper`: the DfD recipe (method notes §6). `diff`: the DiFF recipe (batch 256, 50
 * epochs, base lr 5e-4, ImageNet normalisation). `demo` fits 2 CPU cores: the demo model (112 px, 8 px patches),
 * batch 8, three epochs over the sample set's ~770 train faces (~290 steps), and a small-data recipe: peak lr 1e-3,
 * no mixup/cutmix, RandAugment, random erasing or drop path, and crops of 70–100% of the face. The sample fakes
 * differ from reals by swap traces (a lower-resolution, imperfectly recoloured face behind a blending seam);
 * crops down to 8% of the face enlarged 3×, or RandAugment's sharpness and posterize ops, blur or mimic exactly
 * those traces, and with a few hundred faces the classifier then stays at chance (design/demo-learning.md).
 */
export const FINETUNE_PRESETS = {
  paper: {},
  diff: { task: 'diff', batchSize: 256, epochs: 50, baseLr: 5e-4, normalization: 'imagenet' },
  /**
   * The FAS protocol (MCIO leave-one-domain-out, train_vit.py): per source domain 12 real + 12 fake faces per batch,
   * torch Adam lr 1e-4 with weight decay 1e-6 on every parameter, constant lr, no layer decay, plain cross-entropy
   * (no smoothing, no mixup), 4000 iterations with a validation every 100 (40 "epochs" of 100) and the lowest HTER
   * kept. Validation here is the source domains' test faces; the reference's pick on the target domain is selection
   * 'target-hter' with data.targetDomain. Set data.targetDomain to leave that domain out.
   */
  fas: {
    task: 'fas',
    epochs: 40,
    warmupEpochs: 0,
    lr: 1e-4,
    minLr: 1e-4,
    optimizer: 'adam',
    weightDecay: 1e-6,
    layerDecay: 1,
    betas: [0.9, 0.999],
    regularization: { labelSmoothing: 0, mixupAlpha: 0, cutmixAlpha: 0, mixupProb: 0 },
    data: { sampling: 'per-domain', perDomain: { real: 12, fake: 12 }, iterationsPerEpoch: 100, valSplit: 'test' },
    selection: 'source-hter',
    checkpointEverySteps: 100,
  },
  demo: {
    epochs: 3,
    warmupEpochs: 0.5,
    batchSize: 8,
    baseLr: 0.032,
    layerDecay: 0.75,
    checkpointEverySteps: 40,
    keepLastCheckpoints: 2,
    model: { preset: 'demo', dropPathRate: 0 },
    augment: { cropScale: [0.7, 1], randAugment: { numOps: 0 }, randomErasing: { prob: 0 } },
    regularization: { mixupAlpha: 0, cutmixAlpha: 0 },
  },
} as const satisfies Record<string, FinetuneConfigInput>;

export type FinetunePresetName = keyof typeof FINETUNE_PRESETS;

/** A preset merged (one level deep for the nested option groups; `init` is replaced) with overrides, then parsed. */
export function finetunePreset(name: FinetunePresetName, overrides: FinetuneConfigInput = {}): FinetuneConfig {
  const groups = ['model', 'data', 'tensor', 'augment', 'fasAugment', 'regularization'] as const;
  return parseFinetuneConfig(mergePreset<FinetuneConfigInput>(FINETUNE_PRESETS[name], overrides, groups));
}
