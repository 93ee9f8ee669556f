import { z } from 'zod';
import { storeKeySchema, storeNameSchema } from '../store/keys';
import { DatasetOptions } from '../datasets/options';
import { FINETUNE_PRESETS } from '../finetune/options';
import { PRETRAIN_PRESETS } from '../train/options';
import { EvaluateInput, FinetuneInput } from './finetune';
import { PrepareDatasetInput } from './prepare';
import { PretrainInput } from './pretrain';

const name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (a dataset name)');

/** A dataset as the pipeline uses it: where it is, how to read it, and prepare overrides for this use. */
const DatasetSpec = z
  .object({
    name,
    dataset: DatasetOptions,
    prepare: z.record(z.string(), z.unknown()).default({}).describe('prepare options (the purpose is set by the pipeline)'),
    maxVideos: z.number().int().min(1).optional(),
  })
  .strict();
export type DatasetSpec = z.output<typeof DatasetSpec>;

const stages = ['prepare', 'pretrain', 'finetune', 'evaluate'] as const;
export type PipelineStage = (typeof stages)[number];

/**
 * Input of FsfmPipeline: prepare every dataset, pretrain on the real faces of `datasets.pretrain`, finetune on
 * `datasets.train`, evaluate on `datasets.test` (and the train dataset's own test split), all from one JSON object.
 * Every stage is cached by a key over its config and its inputs' digests: unchanged stages are skipped.
 */
export const FsfmPipelineInput = z
  .object({
    runId: storeNameSchema(100)
      .optional()
      .describe(
        'a label returned in the result; default: the workflow id. Stage outputs live under runs/<stage>-<key16>/ (pretrain-, finetune-, eval-: the first 16 hex digits of the stage cache key), so any pipeline with the same inputs finds them',
      ),
    preset: z.enum(['paper', 'demo']).default('paper').describe('paper: the paper settings; demo: sized for 2 CPU cores'),
    datasets: z
      .object({
        pretrain: z.array(DatasetSpec).min(1).describe('real faces for pretraining (train + val splits)'),
        train: DatasetSpec.describe('the finetuning source (e.g. FF++ c23)'),
        test: z.array(DatasetSpec).default([]).describe('unseen test sets (all of their rows are scored)'),
      })
      .strict(),
    pretrain: z
      .object({
        config: z.record(z.string(), z.unknown()).default({}),
        checkpoint: storeKeySchema.optional().describe('use this pretraining checkpoint instead of pretraining'),
        stepsPerActivity: z.number().int().min(1).default(1000),
        heartbeatTimeoutS: z.number().int().min(5).max(3600).default(300),
      })
      .strict()
      .prefault({}),
    finetune: z
      .object({
        preset: z
          .enum(['paper', 'diff', 'fas', 'demo'])
          .optional()
          .describe("the Finetune preset (fsfm schema Finetune): paper (DfD), diff, fas (the FAS protocol), demo; default demo for the demo pipeline, else paper"),
        config: z.record(z.string(), z.unknown()).default({}),
        stepsPerActivity: z.number().int().min(1).default(1000),
        heartbeatTimeoutS: z.number().int().min(5).max(3600).default(300),
      })
      .strict()
      .prefault({}),
    evaluate: z
      .object({
        modelName: z.string().min(1).max(64).default('FSFM'),
        batchSize: z.number().int().min(1).max(1024).default(16),
        trainTestSplit: z
          .boolean()
          .default(true)
          .describe("also score the train set's own test split (<train>-test); leave-one-domain-out turns it off: that split holds the target's faces and the source faces used for selection"),
      })
      .strict()
      .prefault({}),
    prepare: z.object({ parallelism: z.number().int().min(1).max(256).default(4) }).strict().prefault({}),
    force: z.array(z.enum(stages)).default([]).describe('stages to run again even when their outputs are cached'),
  })
  .strict()
  .superRefine((v, ctx) => {
    const names = [...v.datasets.pretrain, v.datasets.train, ...v.datasets.test].map((d) => d.name);
    if (!v.evaluate.trainTestSplit && v.datasets.test.length === 0) {
      ctx.addIssue({ code: 'custom', path: ['evaluate', 'trainTestSplit'], message: 'nothing to evaluate: trainTestSplit is false and datasets.test is empty' });
    }
    const dup = names.filter((n, i) => names.indexOf(n) !== i && n !== v.datasets.train.name);
    if (dup.length) ctx.addIssue({ code: 'custom', path: ['datasets'], message: `dataset names must be unique (except reusing the train set): ${[...new Set(dup)].join(', ')}` });
    // Validate every stage's input now, with placeholders for what earlier stages produce, so a bad config fails
    // before any work: a typo in finetune.config surfaces here, not hours later.
    const presetFt = v.finetune.preset ?? (v.preset === 'demo' ? 'demo' : 'paper');
    const checks: Array<[string, z.ZodType, unknown]> = [
      ...[...v.datasets.pretrain, v.datasets.train, ...v.datasets.test].map((d, i) => [`datasets[${i}] ${d.name}`, PrepareDatasetInput, { dataset: d.dataset, prepare: d.prepare, maxVideos: d.maxVideos }] as [string, z.ZodType, unknown]),
      ['pretrain', PretrainInput, { preset: v.preset, config: withPrepared(v.pretrain.config, ['prepared/placeholder']), stepsPerActivity: v.pretrain.stepsPerActivity, heartbeatTimeoutS: v.pretrain.heartbeatTimeoutS }],
      ['finetune', FinetuneInput, { preset: presetFt, config: withPrepared({ init: { from: 'fsfm', checkpoint: 'runs/placeholder/pretrain' }, ...v.finetune.config }, ['prepared/placeholder']), stepsPerActivity: v.finetune.stepsPerActivity }],
      ['evaluate', EvaluateInput, { model: 'runs/placeholder/finetune', modelName: v.evaluate.modelName, batchSize: v.evaluate.batchSize, testSets: [{ name: 'placeholder', prepared: 'prepared/placeholder' }] }],
    ];
    // One message per problem: the train set often is a pretrain set too (same name, same prepare), so its problems
    // would otherwise be reported once per use.
    const seen = new Set<string>();
    for (const [where, schema, value] of checks) {
      const r = schema.safeParse(value);
      if (r.success) continue;
      for (const issue of r.error.issues) {
        const path = [where, ...issue.path.map(String)];
        const key = JSON.stringify([where.replace(/^datasets\[\d+\] /, 'datasets '), JSON.stringify(value), issue.path, issue.message]);
        if (seen.has(key)) continue;
        seen.add(key);
        ctx.addIssue({ code: 'custom', path, message: issue.message });
      }
    }
  });
export type FsfmPipelineInput = z.output<typeof FsfmPipelineInput>;

function withPrepared(config: Record<string, unknown>, prepared: string[]): Record<string, unknown> {
  const data = (config.data ?? {}) as Record<string, unknown>;
  return { ...config, data: { ...data, prepared: data.prepared ?? prepared } };
}

export const PIPELINE_PRESETS = { pretrain: PRETRAIN_PRESETS, finetune: FINETUNE_PRESETS };

export type StageStatus = 'ran' | 'cached' | 'failed' | 'skipped';

/** Stages whose outputs the stage cache records: the pipeline's, and a sweep's attention analysis. */
export type CachedStage = PipelineStage | 'analyze';

export interface StageRecord<R = unknown> {
  stage: CachedStage;
  key: string;
  status: StageStatus;
  workflowId?: string;
  result?: R;
}

export interface FsfmPipelineResult {
  runId: string;
  stages: {
    prepare: Array<StageRecord & { name: string; purpose: string; prefix?: string }>;
    pretrain: StageRecord & { checkpointKey?: string | null };
    finetune: StageRecord & { bestKey?: string | null };
    evaluate: StageRecord & { reportMarkdownKey?: string; reportHtmlKey?: string };
  };
  metrics: Array<{ testSet: string; faces: number; videoAuc: number; frameAuc: number; eer: number; videoAucCi?: { low: number; high: number } | null; frameAucCi?: { low: number; high: number } | null }>;
  reportMarkdownKey: string | null;
  reportHtmlKey: string | null;
}
