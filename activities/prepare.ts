import { Context } from '@temporalio/activity';
import type { PrepareDatasetInput, PrepareDatasetResult } from '../lib/config/prepare';
import { packPrepared, planPrepare, prepareUnit, type PlanResult, type UnitResult } from '../lib/stage/prepare';
import type { ArtifactStore } from '../lib/store';

export function makePrepareActivities(store: ArtifactStore) {
  return {
    async planPrepare(input: PrepareDatasetInput): Promise<PlanResult> {
      return planPrepare(input, store);
    },

    /** One unit (a video, or a batch of images); heartbeats after every frame so a stuck decode is noticed. */
    async prepareUnit(args: { planPrefix: string; unit: number; force: boolean }): Promise<UnitResult> {
      const ctx = Context.current();
      return prepareUnit(store, { ...args, signal: ctx.cancellationSignal, onProgress: (p) => ctx.heartbeat(p) });
    },

    async packPrepared(args: { planPrefix: string; runStats: { processed: number; skipped: number } }): Promise<PrepareDatasetResult> {
      const ctx = Context.current();
      return packPrepared(store, { ...args, signal: ctx.cancellationSignal, onProgress: (done, total) => ctx.heartbeat({ packed: done, total }) });
    },
  };
}
