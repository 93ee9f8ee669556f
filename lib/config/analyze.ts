import { z } from 'zod';
import { storeKeySchema, storeNameSchema } from '../store/keys';

/**
 * Input of the Analyze workflow: the attention analysis (supplement §B) of one or more checkpoints on the faces of a
 * prepared set, drawn side by side in one self-contained report (lib/analysis).
 */
export const AnalyzeInput = z
  .object({
    runId: storeNameSchema(128).optional().describe('outputs go to runs/<runId>/analysis/; default: the workflow id'),
    checkpoints: z
      .array(
        z
          .object({
            checkpoint: storeKeySchema.describe('a pretraining checkpoint or run folder (runs/<id>/pretrain), or a finetuned model (runs/<id>/finetune, …/best/<step>)'),
            label: z.string().min(1).max(64).optional().describe('the name in the figures; default the checkpoint prefix'),
            branch: z.enum(['online', 'target']).default('online').describe("pretrained checkpoints: which network's encoder"),
          })
          .strict(),
      )
      .min(1)
      .max(16)
      .refine((cs) => new Set(cs.map((c) => c.label ?? c.checkpoint)).size === cs.length, 'checkpoint labels must be unique'),
    prepared: storeKeySchema.describe('a prepared face set (PrepareDataset result prefix)'),
    split: z.string().min(1).optional().describe('only faces of this split; default all'),
    faces: z.number().int().min(1).max(10_000).default(32).describe('faces averaged into the attention metrics (the first ones in set order)'),
    mapFaces: z.number().int().min(0).max(32).default(4).describe('of those, how many get an attention overlay per checkpoint'),
    reconstructionFaces: z
      .number()
      .int()
      .min(0)
      .max(8)
      .default(2)
      .describe('pretrained checkpoints: of those faces, how many are shown masked / reconstructed / original under each masking strategy (0: no reconstruction figures)'),
    batchSize: z.number().int().min(1).max(256).default(8),
  })
  .strict();
export type AnalyzeInput = z.output<typeof AnalyzeInput>;

export interface AnalyzeResult {
  runId: string;
  summaryKey: string;
  reportHtmlKey: string;
  reportMarkdownKey: string;
  checkpoints: Array<{ label: string; kind: 'pretrained' | 'finetuned'; faces: number; lastBlockDistancePx: number; lastBlockKl: number }>;
}
