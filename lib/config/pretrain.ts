import type { z } from 'zod';
import { PRETRAIN_PRESETS, pretrainPreset } from '../train/options';
import { trainingInput } from './training-input';

/**
 * Input of the Pretrain workflow: a preset of the paper's settings (or the 2-core `demo` preset) with overrides.
 * `config` takes any field of the pretraining config (lib/train/options.ts; `fsfm schema Pretrain`), most importantly
 * `data.prepared`: the store prefixes of prepared face sets (PrepareDataset results, purpose pretrain).
 */
export const PretrainInput = trainingInput('pretrain', ['paper', 'demo'] as const satisfies ReadonlyArray<keyof typeof PRETRAIN_PRESETS>, (preset, overrides) =>
  pretrainPreset(preset, overrides as never),
);
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
