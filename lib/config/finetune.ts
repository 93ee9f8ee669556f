import { z } from 'zod';
import { storeKeySchema, storeNameSchema } from '../store/keys';
import { FINETUNE_PRESETS, type FinetuneSelection, finetunePreset } from '../finetune/options';
import { trainingInput } from './training-input';

const runId = storeNameSchema(128);

/**
 * Input of the Finetune workflow: the paper's DfD recipe (`paper`), DiFF's (`diff`) or the 2-core `demo`, with
 * overrides of any field of lib/finetune/options.ts (`fsfm schema Finetune`): above all `init` (an FSFM checkpoint,
 * scratch, safetensors or .pth) and `data.prepared` (prepared face sets with train and val splits).
 */
export const FinetuneInput = trainingInput('finetune', ['paper', 'diff', 'fas', 'demo'] as const satisfies ReadonlyArray<keyof typeof FINETUNE_PRESETS>, (preset, overrides) =>
  finetunePreset(preset, overrides as never),
);
export type FinetuneInput = z.output<typeof FinetuneInput>;

export interface FinetuneEpoch {
  epoch: number;
  step: number;
  trainLoss: number;
  valLoss: number | null;
}

export interface FinetuneChunkResult {
  status: 'completed' | 'stopped';
  step: number;
  totalSteps: number;
  bestKey: string | null;
  bestValLoss: number | null;
  bestEpoch: number | null;
  /** selection 'target-val-loss-per-domain': each domain's selected model set. */
  bestByDomain?: Record<string, { key: string; epoch: number; valLoss: number | null }> | null;
  lastKey: string | null;
  resumedFromStep: number | null;
  history: FinetuneEpoch[];
  backend: string;
  msPerStep: number;
}

export interface FinetuneResult {
  runId: string;
  task: string;
  /** The selected model (lowest source-validation loss by default): what Evaluate scores. */
  bestKey: string | null;
  bestValLoss: number | null;
  bestEpoch: number | null;
  /**
   * selection 'target-val-loss-per-domain' (DiFF): each domain's own selected model (picked on that domain's
   * target faces); Evaluate's `modelsByDomain` takes it as is. Absent otherwise.
   */
  bestByDomain?: Record<string, { key: string; epoch: number; valLoss: number | null }> | null;
  selection: FinetuneSelection;
  lastKey: string | null;
  step: number;
  totalSteps: number;
  resumedFromStep: number | null;
  backend: string;
  history: FinetuneEpoch[];
}

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (a test set name)');

/** Input of the Evaluate workflow: one model scored on any number of unseen test sets, in parallel, then reported. */
export const EvaluateInput = z
  .object({
    runId: runId.optional().describe('outputs go to runs/<runId>/eval/<testSet>/ and runs/<runId>/report.{md,html}; default: the workflow id'),
    model: storeKeySchema.describe('a finetuned model: runs/<id>/finetune/best/<step> (a Finetune result\'s bestKey), a checkpoint, or runs/<id>/finetune'),
    modelName: z.string().min(1).max(64).default('FSFM').describe('the row name in the report table'),
    selection: z
      .enum(['source-val-loss', 'target'])
      .default('source-val-loss')
      .describe("how the model was selected, stated in the report; a model whose own record says it was picked on target-domain data is reported as such whatever this says"),
    modelsByDomain: z
      .record(z.string().min(1), storeKeySchema)
      .optional()
      .describe("per-subset models (DiFF): a test set with a `domain` listed here is scored with that domain's model instead of `model`; a Finetune result's bestByDomain (selection 'target-val-loss-per-domain') maps each key to it"),
    task: z.enum(['deepfake', 'fas']).default('deepfake'),
    testSets: z
      .array(
        z
          .object({
            name,
            prepared: storeKeySchema.describe('a prepared face set (PrepareDataset result prefix)'),
            split: z.string().min(1).optional().describe('only faces of this split; default all'),
            domain: z.string().min(1).optional().describe('only faces of this domain (a DiFF subset T2I/I2I/FS/FE, an MCIO domain); default all'),
          })
          .strict(),
      )
      .min(1)
      .refine((sets) => new Set(sets.map((s) => s.name)).size === sets.length, 'test set names must be unique'),
    batchSize: z.number().int().min(1).max(1024).default(16),
    training: z
      .object({
        pretrain: z.array(z.object({ step: z.number(), loss: z.number(), lRec: z.number(), lFr: z.number(), lCl: z.number() }).passthrough()).optional(),
        finetune: z.array(z.object({ epoch: z.number(), step: z.number(), trainLoss: z.number(), valLoss: z.number().nullable() }).passthrough()).optional(),
      })
      .strict()
      .optional()
      .describe("the model's training curves, shown in the report (FsfmPipeline passes them)"),
  })
  .strict();
export type EvaluateInput = z.output<typeof EvaluateInput>;

export interface EvaluateResult {
  runId: string;
  reportMarkdownKey: string;
  reportHtmlKey: string;
  testSets: Array<{
    name: string;
    scoresKey: string;
    metricsKey: string;
    faces: number;
    frameAuc: number;
    videoAuc: number;
    eer: number;
    hter: number | null;
    videoAucCi?: { low: number; high: number } | null;
    frameAucCi?: { low: number; high: number } | null;
    /** The model set scored and how it was selected (its own record). */
    model?: string;
    selection?: string;
    domain?: string;
  }>;
  /** Test sets that could not be scored, with the reason (e.g. a single-class set). */
  failed: Array<{ name: string; error: string }>;
}
