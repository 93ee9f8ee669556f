import { z } from 'zod';
import { MASKING_STRATEGIES } from '../masking/options';
import { DatasetOptions } from '../datasets/options';
import { storeNameSchema } from '../store/keys';
import { planSweep } from '../sweep/plan';

const MAX_POINTS = 1024;
const values = <T extends z.ZodType>(t: T) => z.array(t).min(1).max(64);
const pathSchema = z
  .string()
  .regex(/^(datasets|pretrain|finetune|evaluate|prepare|preset)(\.[A-Za-z0-9_]+)*$/, 'a dotted path into the FsfmPipeline input, e.g. finetune.config.data.targetDomain');
const axisName = z.string().regex(/^[A-Za-z][A-Za-z0-9_-]{0,31}$/, 'letters, digits, _ - (an axis name)');

/**
 * Input of FsfmSweep: a base FsfmPipeline input and a grid; one child pipeline per point of the grid (the cartesian
 * product of the axes' values, times the seeds), sharing every stage that points have in common through the stage
 * cache, then a paper-style table (mean ± CI over seeds) and the attention analysis of each pretraining.
 */
export const FsfmSweepInput = z
  .object({
    runId: storeNameSchema(100).optional().describe('the report goes to runs/<runId>/sweep/; default: the workflow id'),
    base: z.record(z.string(), z.unknown()).describe('an FsfmPipeline input (fsfm schema FsfmPipeline) that every point starts from'),
    grid: z
      .object({
        strategy: values(z.enum(MASKING_STRATEGIES)).optional().describe('masking strategies (pretrain.config.masking.strategy)'),
        maskRatio: values(z.number().gt(0).lt(1)).optional().describe('masking ratios (pretrain.config.masking.maskRatio)'),
        lambdaFr: values(z.number().nonnegative()).optional().describe('λ_fr (pretrain.config.model.lambdaFr)'),
        lambdaCl: values(z.number().nonnegative()).optional().describe('λ_cl (pretrain.config.model.lambdaCl)'),
        seeds: values(z.number().int().min(0).max(2 ** 31 - 1))
          .default([0])
          .refine((s) => new Set(s).size === s.length, 'seeds must be distinct')
          .describe('each point runs once per seed; the table averages over them'),
        axes: z
          .array(
            z
              .object({
                name: axisName,
                paths: z.array(pathSchema).min(1).max(8).describe('where each value is written (several paths move together)'),
                values: values(z.json()),
              })
              .strict(),
          )
          .max(8)
          .default([])
          .describe('generic axes over any config path, e.g. {"name":"target","paths":["finetune.config.data.targetDomain"],"values":["casia","msu"]}'),
      })
      .strict()
      .prefault({}),
    seedScope: z
      .enum(['all', 'finetune'])
      .default('all')
      .describe('all: a seed seeds pretraining and finetuning (each seed pretrains anew); finetune: only finetuning, so the seeds share one pretraining'),
    leaveOneOut: z
      .object({
        dataset: z
          .object({
            name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
            dataset: DatasetOptions,
            prepare: z.record(z.string(), z.unknown()).default({}),
            maxVideos: z.number().int().min(1).optional(),
          })
          .strict()
          .describe('the multi-domain set (MCIO layout): trained on without its target domain, the target tested'),
        targets: values(z.string().min(1)).describe('one protocol per target domain, e.g. ["casia","msu","oulu","replay"]'),
        testSetName: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/).default('target').describe("the target's test split as a test set of every protocol"),
      })
      .strict()
      .optional()
      .describe("leave-one-domain-out (MCIO): one axis 'target' sets data.targetDomain and tests the target's test split; finetune preset fas unless base says otherwise"),
    concurrency: z.number().int().min(1).max(256).default(2).describe('child pipelines running at once'),
    report: z
      .object({
        testSets: z.array(z.string().min(1)).min(1).optional().describe('test sets in the table; default all (leaveOneOut: the target)'),
        metrics: z.enum(['auto', 'deepfake', 'fas']).default('auto').describe('deepfake: video/frame AUC, EER; fas: HTER, AUC, TPR@FPR=1%; auto: fas when the finetune preset is fas'),
        confidence: z.number().gt(0).lt(1).default(0.95).describe("Student's t interval of the mean over seeds"),
      })
      .strict()
      .prefault({}),
    analyze: z
      .object({
        enabled: z.boolean().default(true).describe('the attention analysis of each distinct pretraining (Analyze), drawn in the report'),
        split: z.string().min(1).default('test').describe("faces of the finetuning set's split analysed"),
        faces: z.number().int().min(1).max(10_000).default(16),
        mapFaces: z.number().int().min(0).max(32).default(2),
        reconstructionFaces: z.number().int().min(0).max(8).default(1).describe('faces shown masked / reconstructed / original under each masking strategy, per pretraining'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((v, ctx) => {
    const size = v.grid.seeds.length * [v.grid.strategy, v.grid.maskRatio, v.grid.lambdaFr, v.grid.lambdaCl, ...v.grid.axes.map((a) => a.values), v.leaveOneOut?.targets].reduce((n, a) => n * (a?.length ?? 1), 1);
    if (size > MAX_POINTS) {
      ctx.addIssue({ code: 'custom', path: ['grid'], message: `${size} points; at most ${MAX_POINTS} per sweep` });
      return;
    }
    try {
      const plan = planSweep(v as FsfmSweepInput);
      for (const problem of plan.problems) ctx.addIssue({ code: 'custom', path: problem.path, message: problem.message });
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['grid'], message: (err as Error).message });
    }
  });
export type FsfmSweepInput = z.output<typeof FsfmSweepInput>;

export type SweepMetricsKind = 'deepfake' | 'fas';

/** How one point ended: its child pipeline's stage statuses and metrics, or why it failed. */
export interface SweepPointResult {
  index: number;
  label: string;
  group: string;
  seed: number;
  values: Record<string, unknown>;
  workflowId: string;
  status: 'completed' | 'failed';
  error?: string;
  stages?: { prepare: string[]; pretrain: string; finetune: string; evaluate: string };
  /** The pretraining checkpoint the point finetuned from. */
  checkpointKey?: string | null;
  /** The finetuning set (for the analysis' faces). */
  trainPrefix?: string;
  /** Test set -> its committed metrics.json. */
  metricsKeys?: Record<string, string>;
  reportHtmlKey?: string | null;
}

export interface SweepTableCell {
  mean: number;
  /** Half-width of the t interval; null with one seed. */
  halfWidth: number | null;
  n: number;
  values: number[];
}

export interface SweepTableRow {
  group: string;
  testSet: string;
  seeds: number[];
  failed: number;
  cells: Record<string, SweepTableCell>;
}

export interface FsfmSweepResult {
  runId: string;
  points: SweepPointResult[];
  completed: number;
  failed: number;
  /** Stage runs over all points: how many ran now and how many came from the cache. */
  stageCounts: { ran: number; cached: number };
  analysis: { status: 'ran' | 'cached' | 'skipped' | 'failed'; reportHtmlKey?: string; error?: string };
  metrics: SweepMetricsKind;
  /** Coverage of the table's t intervals. */
  confidence: number;
  table: SweepTableRow[];
  reportHtmlKey: string;
  reportMarkdownKey: string;
  summaryKey: string;
}
