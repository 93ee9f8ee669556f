import { z } from 'zod';
import { FINETUNE_PRESETS, finetunePreset, type FinetuneConfig } from '../finetune/options';

const runId = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'letters, digits, . _ - (at most 128)');
type PresetName = keyof typeof FINETUNE_PRESETS;

/**
 * Input of the Finetune workflow: the paper's DfD recipe (`paper`), DiFF's (`diff`) or the 2-core `demo`, with
 * overrides of any field of lib/finetune/options.ts (`fsfm schema Finetune`): above all `init` (an FSFM checkpoint,
 * scratch, safetensors or .pth) and `data.prepared` (prepared face sets with train and val splits).
 */
export const FinetuneInput = z
  .object({
    runId: runId.optional().describe('checkpoints go to runs/<runId>/finetune/; default: the workflow id. Same runId = resume'),
    preset: z.enum(Object.keys(FINETUNE_PRESETS) as [PresetName, ...PresetName[]]).default('paper'),
    config: z.record(z.string(), z.unknown()).default({}).describe('overrides of the preset (nested objects merge one level deep)'),
    stepsPerActivity: z.number().int().min(1).default(1000).describe('optimizer steps per activity; each resumes from the last checkpoint'),
    heartbeatTimeoutS: z.number().int().min(5).max(3600).default(300).describe('a worker silent this long is presumed dead and the run resumes elsewhere'),
  })
  .strict()
  .transform((v, ctx) => {
    let config: FinetuneConfig;
    try {
      config = finetunePreset(v.preset, v.config as never);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['config'], message: (err as Error).message });
      return z.NEVER;
    }
    if (config.data.prepared.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['config', 'data', 'prepared'], message: 'name at least one prepared face set (a PrepareDataset result prefix)' });
      return z.NEVER;
    }
    return { ...v, config };
  });
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
  selection: 'source-val-loss' | 'last';
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
    model: z.string().min(1).describe('a finetuned model: runs/<id>/finetune/best/<step> (a Finetune result\'s bestKey), a checkpoint, or runs/<id>/finetune'),
    modelName: z.string().min(1).max(64).default('FSFM').describe('the row name in the report table'),
    selection: z.enum(['source-val-loss', 'target']).default('source-val-loss').describe('how the model was selected, stated in the report'),
    task: z.enum(['deepfake', 'fas']).default('deepfake'),
    testSets: z
      .array(z.object({ name, prepared: z.string().min(1).describe('a prepared face set (PrepareDataset result prefix)'), split: z.string().min(1).optional().describe('only faces of this split; default all') }).strict())
      .min(1)
      .refine((sets) => new Set(sets.map((s) => s.name)).size === sets.length, 'test set names must be unique'),
    batchSize: z.number().int().min(1).max(1024).default(16),
  })
  .strict();
export type EvaluateInput = z.output<typeof EvaluateInput>;

export interface EvaluateResult {
  runId: string;
  reportMarkdownKey: string;
  reportHtmlKey: string;
  testSets: Array<{ name: string; scoresKey: string; metricsKey: string; faces: number; frameAuc: number; videoAuc: number; eer: number; hter: number | null }>;
  /** Test sets that could not be scored, with the reason (e.g. a single-class set). */
  failed: Array<{ name: string; error: string }>;
}
