import type { CachedStage, StageRecord } from '../lib/config/pipeline';
import { lookupStage, recordStage } from '../lib/stage/cache';
import type { ArtifactStore } from '../lib/store';

export function makePipelineActivities(store: ArtifactStore) {
  return {
    /** The stage's cache key and, when it already completed with these inputs, its record. */
    async lookupStage(args: { stage: CachedStage; config: unknown; inputs: string[] }): Promise<{ key: string; record: StageRecord | null }> {
      return lookupStage(store, args.stage, args.config, args.inputs);
    },
    async recordStage(record: StageRecord): Promise<void> {
      await recordStage(store, record);
    },
  };
}
