import { z } from 'zod';
import { storeKeySchema } from '../store/keys';
import { DatasetOptions } from '../datasets/options';
import { prepareOptionsSchema } from '../prepare/options';


/** Input of the PrepareDataset workflow: a dataset folder in, training-ready faces (crops, landmarks, maps, shards) out. */
export const PrepareDatasetInput = z
  .object({
    dataset: DatasetOptions.describe('the dataset folder (as the workers see it) and how to read it'),
    prepare: prepareOptionsSchema.prefault({}).describe('frame sampling, face crop, region maps, shards'),
    outputPrefix: storeKeySchema.optional().describe('store prefix of the prepared set; default prepared/<stage key>'),
    parallelism: z.number().int().min(1).max(256).default(4).describe('work units (videos, or batches of images) in flight across all workers'),
    imagesPerUnit: z.number().int().min(1).max(4096).default(64).describe('image rows handled by one activity'),
    maxVideos: z.number().int().min(1).optional().describe('for trials: at most N rows of each class (real, fake) in each split, picked deterministically by row id hash'),
    force: z.boolean().default(false).describe('prepare again even where committed outputs exist'),
    unitsPerRun: z.number().int().min(1).max(10_000).default(400).describe('units per workflow run before it continues as new (keeps history small)'),
  })
  .strict();
export type PrepareDatasetInput = z.output<typeof PrepareDatasetInput>;

export interface PrepareProgress {
  stage: 'plan' | 'prepare' | 'pack' | 'done' | 'failed';
  unitsTotal: number;
  unitsDone: number;
  videosTotal: number;
  videosDone: number;
  videosFailed: number;
  videosSkipped: number;
  faces: number;
  facesPerSecond: number;
}

export interface PrepareDatasetResult {
  prefix: string;
  manifestKey: string;
  summaryKey: string;
  dataset: string;
  /** True when the whole prepared set already existed and nothing was run. */
  reused: boolean;
  videosTotal: number;
  /** Videos prepared into faces by this run (0 on a re-run of the same input). */
  videosProcessed: number;
  /** Videos whose committed faces were reused instead of prepared again. */
  videosSkipped: number;
  videosFailed: number;
  faces: number;
  shards: number;
  countsBySplit: Record<string, { real: number; fake: number }>;
  failedByType: Record<string, number>;
  /** The first failures with their reasons (all are in summary.json). */
  failures: Array<{ videoId: string; type: string; message: string }>;
  /** Videos kept with some sampled frames undecodable (a stream cut mid-way); they count as done. */
  videosPartial: number;
  /** The first of them, with the counts (all are in summary.json). */
  partial: Array<{ videoId: string; framesSampled: number; framesUndecodable: number; warning: string }>;
}
