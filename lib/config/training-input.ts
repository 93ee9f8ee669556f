import { z } from 'zod';
import { storeNameSchema } from '../store/keys';

const runId = storeNameSchema(128);

/**
 * The input shape Pretrain and Finetune share: a named preset plus overrides, resolved by `resolve` (the stage's
 * own preset merger and validation) into the full config; training runs in chunks of steps, each one activity.
 */
export function trainingInput<P extends string, C extends { data: { prepared: string[] } }>(stage: 'pretrain' | 'finetune', presets: readonly [P, ...P[]], resolve: (preset: P, overrides: Record<string, unknown>) => C) {
  return z
    .object({
      runId: runId.optional().describe(`checkpoints go to runs/<runId>/${stage}/; default: the workflow id. Same runId = resume`),
      preset: z.enum(presets).default(presets[0] as never),
      config: z.record(z.string(), z.unknown()).default({}).describe('overrides of the preset (nested objects merge one level deep)'),
      stepsPerActivity: z.number().int().min(1).default(1000).describe('optimizer steps per activity; each resumes from the last checkpoint'),
      heartbeatTimeoutS: z.number().int().min(5).max(3600).default(300).describe('a worker silent this long is presumed dead and the run resumes elsewhere'),
      progressIntervalS: z
        .number()
        .min(1)
        .max(3600)
        .default(15)
        .describe("how often (at most) the training activity reports its step, loss and rate to the workflow's progress query (one history event each)"),
    })
    .strict()
    .transform((v, ctx) => {
      let config: C;
      try {
        config = resolve(v.preset as P, v.config);
      } catch (err) {
        ctx.addIssue({ code: 'custom', path: ['config'], message: (err as Error).message });
        return z.NEVER;
      }
      if (config.data.prepared.length === 0) {
        ctx.addIssue({ code: 'custom', path: ['config', 'data', 'prepared'], message: 'name at least one prepared face set (a PrepareDataset result prefix)' });
        return z.NEVER;
      }
      return { ...v, preset: v.preset as P, config };
    });
}

