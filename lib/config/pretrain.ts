import { z } from 'zod';
import { PRETRAIN_PRESETS, pretrainPreset, type PretrainConfig } from '../train/options';

const runId = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'letters, digits, . _ - (at most 128)');

/**
 * Input of the Pretrain workflow: a preset of the paper's settings (or the 2-core `demo` preset) with overrides.
 * `config` takes any field of the pretraining config (lib/train/options.ts; `fsfm schema Pretrain`), most importantly
 * `data.prepared`: the store prefixes of prepared face sets (PrepareDataset results, purpose pretrain).
 */
export const PretrainInput = z
  .object({
    runId: runId.optional().describe('checkpoints go to runs/<runId>/pretrain/; default: the workflow id. Same runId = resume'),
    preset: z.enum(Object.keys(PRETRAIN_PRESETS) as [keyof typeof PRETRAIN_PRESETS, ...Array<keyof typeof PRETRAIN_PRESETS>]).default('paper'),
    config: z.record(z.string(), z.unknown()).default({}).describe('overrides of the preset (nested objects merge one level deep)'),
    stepsPerActivity: z.number().int().min(1).default(1000).describe('optimizer steps per activity; each resumes from the last checkpoint'),
    heartbeatTimeoutS: z.number().int().min(5).max(3600).default(300).describe('a worker silent this long is presumed dead and the run resumes elsewhere'),
  })
  .strict()
  .transform((v, ctx) => {
    let config: PretrainConfig | undefined;
    try {
      config = pretrainPreset(v.preset, v.config as never);
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
export type PretrainInput = z.output<typeof PretrainInput>;

export interface LossPoint {
  step: number;
  loss: number;
  lRec: number;
  lFr: number;
  lCl: number;
  lr: number;
}

export interface PretrainChunkResult {
  status: 'completed' | 'stopped';
  step: number;
  totalSteps: number;
  checkpointKey: string | null;
  resumedFromStep: number | null;
  imagesPerSec: number;
  backend: string;
  normalization: { mean: number[]; std: number[] };
  history: LossPoint[];
}

export interface PretrainResult {
  runId: string;
  checkpointKey: string | null;
  step: number;
  totalSteps: number;
  backend: string;
  normalization: { mean: number[]; std: number[] };
  /** Activities (chunks) that ran to completion. */
  chunks: number;
  /** The checkpoint step the last chunk resumed from (null: it started from scratch). */
  resumedFromStep: number | null;
  lossHistory: LossPoint[];
}

export interface PretrainProgressState {
  stage: 'pretrain';
  status: 'running' | 'completed' | 'failed' | 'cancelled';
  runId: string;
  step: number;
  totalSteps: number;
  loss: number | null;
  checkpointKey: string | null;
  /** Seconds left at the rate of the steps so far (null until known). */
  etaS: number | null;
  lossHistory: LossPoint[];
}
